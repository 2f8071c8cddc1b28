"""``mlpkg label serve``: the annotation page, on the standard library's ``ThreadingHTTPServer``.

Bound to 127.0.0.1 by default. Bound anywhere else, every request needs the token (printed with the
URL; ``?token=`` on the page, the ``X-Label-Token`` header on the API). On loopback too, a request
whose ``Origin`` is not this server's own loopback address, or whose ``Host`` is not a loopback
name (DNS rebinding), is refused unless it carries the token: another web page the annotator has
open cannot write to the labels file. API writes must be JSON, which a cross-site form cannot send,
and only a POST claims an article (a cross-site image can make a GET).

Every request gets an answer: a malformed one a JSON error (400, 404, 411, 413, 415), an unexpected
failure a 500 (the server keeps serving); an idle connection is closed after ``IDLE_SECONDS``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import socket
import sys
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from ..errors import MlpkgError
from .session import LabelSession

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
STATIC = {"/": ("index.html", "text/html; charset=utf-8"), "/label.js": ("label.js", "text/javascript; charset=utf-8"),
          "/label.css": ("label.css", "text/css; charset=utf-8")}
MAX_BODY = 64 * 1024
IDLE_SECONDS = 30  # a keep-alive connection that sends nothing for this long is closed (it holds a thread)
LINGER_SECONDS, LINGER_BYTES = 1.0, 1 << 20


class BadRequest(Exception):
    """A request the API cannot take: answered with ``status`` and a JSON error."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(value: str) -> str:
    """The host part of a ``Host`` header or an ``Origin`` URL."""
    netloc = urlsplit(value).netloc if "://" in value else value
    return (urlsplit("//" + netloc).hostname or "").lower()


class LabelServer(ThreadingHTTPServer):
    daemon_threads = True
    idle_seconds = IDLE_SECONDS

    def __init__(self, session: LabelSession, host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
                 annotator: str = ""):
        self.session = session
        self.loopback_only = is_loopback(host)
        self.token = token or (None if self.loopback_only else secrets.token_urlsafe(16))
        self.default_annotator = annotator
        super().__init__((host, port), LabelHandler)

    def shutdown_request(self, request) -> None:
        """Close after reading what the client still sends (at most ``LINGER_BYTES``, ``LINGER_SECONDS`` idle):
        closing on unread input sends a reset, which can destroy the error answer before the client reads it."""
        try:
            request.shutdown(socket.SHUT_WR)
            request.settimeout(LINGER_SECONDS)
            drained = 0
            while drained < LINGER_BYTES and (chunk := request.recv(1 << 16)):
                drained += len(chunk)
        except OSError:
            pass
        self.close_request(request)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/" + (f"?token={self.token}" if self.token else "")


class LabelHandler(BaseHTTPRequestHandler):
    server: LabelServer
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # an error on a bad request line still gets a status line

    def setup(self) -> None:
        self.timeout = self.server.idle_seconds  # the socket timeout of this connection
        super().setup()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What the standard library answers itself (a bad request line or header, an unknown method), as JSON."""
        self.close_connection = True
        self._json(code, {"error": message or HTTPStatus(code).phrase})

    def log_message(self, format: str, *args) -> None:  # one line per request is noise for an annotator
        return

    def do_GET(self) -> None:
        self._answer(self._get)

    def do_POST(self) -> None:
        self._answer(self._post)

    def _answer(self, route) -> None:
        """Run ``route``; whatever goes wrong, answer with a JSON error and keep serving."""
        try:
            self._route_or_error(route)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):  # the client left: nobody to answer
            self.close_connection = True

    def _route_or_error(self, route) -> None:
        try:
            why = self._allowed()
            if why:
                return self._refuse(why)
            route()
        except BadRequest as exc:
            self._json(exc.status, {"error": str(exc)})
        except (MlpkgError, ValueError) as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            raise
        except Exception as exc:  # a bug must not leave a request without an answer, nor stop the server
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error ({type(exc).__name__}); "
                                                                   "the server is still running"})

    # --- access ---------------------------------------------------------------------------------

    def _token_ok(self) -> bool:
        token = self.server.token
        if not token:
            return False
        given = self.headers.get("X-Label-Token") or parse_qs(urlsplit(self.path).query).get("token", [""])[0]
        return hmac.compare_digest(given.encode(), token.encode())

    def _allowed(self) -> str | None:
        """Why this request is refused, or None."""
        if self._token_ok():
            return None
        if not self.server.loopback_only:
            return "this server is bound beyond loopback: the token is required (?token= or X-Label-Token)"
        if not is_loopback(self.client_address[0]):
            return "request from a non-loopback address without the token"
        if not is_loopback(_hostname(self.headers.get("Host", ""))):
            return "Host is not a loopback name (DNS rebinding?) and no token was given"
        origin = self.headers.get("Origin")
        if origin and (origin == "null" or not is_loopback(_hostname(origin))):
            return f"request from origin {origin!r} (not loopback) without the token"
        return None

    # --- responses ------------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        if status >= 400:  # an unread body must not be parsed as the next request
            self.send_header("Connection", "close")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: dict) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _refuse(self, why: str) -> None:
        self._json(HTTPStatus.FORBIDDEN, {"error": why})

    def _annotator(self, body: dict | None = None) -> str:
        query = parse_qs(urlsplit(self.path).query)
        name = (body or {}).get("annotator") or query.get("annotator", [""])[0] or self.server.default_annotator
        if not isinstance(name, str):
            raise BadRequest(HTTPStatus.BAD_REQUEST, "annotator must be a string")
        return name

    # --- routes ---------------------------------------------------------------------------------

    def _get(self) -> None:
        path = urlsplit(self.path).path
        if path in STATIC:
            name, ctype = STATIC[path]
            return self._send(HTTPStatus.OK, resources.files(__package__).joinpath("static", name).read_bytes(), ctype)
        session = self.server.session
        if path == "/api/current":  # what the annotator holds, if anything: a GET claims nothing
            annotator = self._annotator()
            if not annotator:
                return self._json(HTTPStatus.OK, {**session.view(None, ""), "need_annotator": True})
            return self._json(HTTPStatus.OK, session.view(session.peek(annotator), annotator))
        if path == "/api/queue":
            limit = int(parse_qs(urlsplit(self.path).query).get("limit", ["20"])[0])
            return self._json(HTTPStatus.OK, {"ids": [c.id for c in session.ranked()[:limit]]})
        self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page {path!r}"})

    def _body(self) -> dict:
        """The request's JSON object; :class:`BadRequest` for anything else."""
        if not self.headers.get("Content-Type", "").startswith("application/json"):
            raise BadRequest(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON (application/json)")
        if self.headers.get("Transfer-Encoding"):
            raise BadRequest(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length, not chunked")
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not raw.isdigit() or not raw.isascii():
            raise BadRequest(HTTPStatus.BAD_REQUEST, f"Content-Length must be a number of bytes, got {raw[:40]!r}")
        length = int(raw)
        if length > MAX_BODY:
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request too large (over {MAX_BODY} bytes)")
        try:
            data = self.rfile.read(length)
        except TimeoutError:
            raise BadRequest(HTTPStatus.REQUEST_TIMEOUT, f"no body after {self.server.idle_seconds}s") from None
        if len(data) < length:
            raise BadRequest(HTTPStatus.BAD_REQUEST, f"body ended after {len(data)} of {length} bytes")
        try:
            body = json.loads(data or b"{}")
        except (ValueError, RecursionError):
            raise BadRequest(HTTPStatus.BAD_REQUEST, "body is not JSON") from None
        if not isinstance(body, dict):
            raise BadRequest(HTTPStatus.BAD_REQUEST, f"body must be a JSON object, got {type(body).__name__}")
        return body

    def _post(self) -> None:
        body = self._body()
        session, path = self.server.session, urlsplit(self.path).path
        annotator = self._annotator(body)
        if path == "/api/current" and not annotator.strip():
            return self._json(HTTPStatus.OK, {**session.view(None, ""), "need_annotator": True})
        if path == "/api/decide":
            session.decide(annotator, _text(body, "id"), _tags(body, "tags"), _tags(body, "rejected"),
                           unsure=body.get("unsure") is True, reason=_text(body, "reason"))
        elif path == "/api/skip":
            session.skip(annotator, _text(body, "id"))
        elif path == "/api/undo":
            session.undo(annotator)
        elif path != "/api/current":  # POST /api/current: claim the next article (the page's first call)
            return self._json(HTTPStatus.NOT_FOUND, {"error": f"no such action {path!r}"})
        self._json(HTTPStatus.OK, session.view(session.current(annotator), annotator))


def _text(body: dict, key: str) -> str:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"{key!r} must be a string")
    return value or ""


def _tags(body: dict, key: str) -> list[str]:
    value = body.get(key) or []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise BadRequest(HTTPStatus.BAD_REQUEST, f"{key!r} must be a list of tags")
    return value


def serve(session: LabelSession, host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
          annotator: str = "", log=print) -> None:
    """Serve until interrupted; prints the URL (with the token, when there is one) first."""
    server = LabelServer(session, host, port, token, annotator)
    log(f"labelling {len(session.queue.candidates)} pool articles into {session.labels_path}; open {server.url}")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
