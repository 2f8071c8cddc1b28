"""`mlpkg label serve` under malformed and concurrent requests, and who may decide an article: the
server in this process on 127.0.0.1 (the access rules and the page are in test_label.py and
test_label_browser.py)."""

from __future__ import annotations

import json
import random
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from label_helpers import pool_rows, write_pool

import mlpkg.label.session as session_module
from mlpkg.errors import ArticleNotOpenError
from mlpkg.label.server import LabelServer
from mlpkg.label.session import LabelSession
from mlpkg.label.store import LabelLog, labelled_rows

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "topic_tfidf.yaml"
TAGS = ["koperasi", "umkm", "pendidikan"]


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> Path:
    return write_pool(tmp_path_factory.mktemp("pool") / "pool.jsonl", pool_rows(12))


def _session(pool: Path, labels: Path) -> LabelSession:
    return LabelSession(str(pool), labels, tag="koperasi", config=CONFIG)


def _serving(server: LabelServer):
    """``server`` answering on a thread until the test ends."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=30)


@pytest.fixture
def served(pool, tmp_path):
    yield from _serving(LabelServer(_session(pool, tmp_path / "labels.jsonl"), "127.0.0.1", 0))


def _raw(server: LabelServer, data: bytes) -> bytes:
    """Send ``data`` on a new connection, close our side, read the answer to its end."""
    with socket.create_connection(server.server_address[:2], timeout=30) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:  # answered and closed before reading all of it (a request line too long)
            pass
        chunks = []
        while chunk := s.recv(1 << 16):
            chunks.append(chunk)
    return b"".join(chunks)


def _request(method: str, path: str, body: bytes = b"", headers: dict | None = None) -> bytes:
    headers = {"Host": "127.0.0.1", "Content-Type": "application/json", "Content-Length": str(len(body)),
               **(headers or {})}
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items() if v is not None)
    return f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode() + body


def _status(answer: bytes) -> tuple[int, dict | None]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if b"application/json" in head else None


def _post(server: LabelServer, path: str, body: dict) -> tuple[int, dict | None]:
    return _status(_raw(server, _request("POST", path, json.dumps(body).encode())))


def test_label_serve_answers_malformed_requests_with_json_errors(served, monkeypatch):
    for length, body in (("-1", b"{}"), ("abc", b"{}"), ("99999999", b"{}"), ("10", b"{}")):
        status, error = _status(_raw(served, _request("POST", "/api/undo", body, {"Content-Length": length})))
        assert status in (400, 413) and "error" in error, length
    for body in (b"[]", b"1", b"null", b"[" * 30000):
        status, error = _status(_raw(served, _request("POST", "/api/undo", body)))
        assert status == 400 and "JSON" in error["error"], body[:10]
    status, error = _post(served, "/api/decide", {"annotator": ["ana"], "id": "x", "tags": ["koperasi"]})
    assert status == 400 and "annotator must be a string" in error["error"]

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(served.session, "view", broken)
    status, error = _status(_raw(served, _request("GET", "/api/current?annotator=ana")))
    assert status == 500 and "still running" in error["error"]
    monkeypatch.undo()
    assert _status(_raw(served, _request("GET", "/api/current?annotator=ana")))[0] == 200  # still serving


def test_label_serve_closes_an_idle_connection(served):
    served.idle_seconds = 0.5
    with socket.create_connection(served.server_address[:2], timeout=10) as s:
        assert s.recv(1) == b""  # closed by the server, long before this socket's own timeout


def test_get_current_claims_nothing_and_post_claims(served):
    status, view = _status(_raw(served, _request("GET", "/api/current?annotator=ana")))
    assert status == 200 and view["article"] is None and served.session._held == {}
    status, view = _post(served, "/api/current", {"annotator": "ana"})
    first = view["article"]["id"]
    assert served.session._held == {"ana": first}
    assert _status(_raw(served, _request("GET", "/api/current?annotator=ana")))[1]["article"]["id"] == first
    status, view = _post(served, "/api/decide", {"annotator": "ana", "id": first, "tags": ["koperasi"]})
    assert status == 200 and view["article"]["id"] != first


def test_a_decision_is_accepted_only_for_the_article_that_annotator_holds(pool, tmp_path, monkeypatch):
    session = _session(pool, tmp_path / "labels.jsonl")
    mine, theirs = session.current("ana").id, session.current("budi").id
    with pytest.raises(ArticleNotOpenError, match=r"\[E205\] article .* is not the one on budi's screen"):
        session.decide("budi", mine, ["koperasi"])
    with pytest.raises(ArticleNotOpenError, match=r"\[E205\]"):
        session.skip("ana", theirs)
    monkeypatch.setattr(session_module, "HOLD_SECONDS", 0)  # ana's tab has not asked for a while
    session.skip("budi", theirs)
    assert session.current("budi").id == mine  # ana's hold lapsed: budi has it now, and ana may not decide it
    with pytest.raises(ArticleNotOpenError, match=r"\[E205\]"):
        session.decide("ana", mine, ["koperasi"])
    session.decide("budi", mine, [], ["koperasi"])
    assert [e.data["action"] for e in LabelLog(tmp_path / "labels.jsonl").events] == ["skip", "label"]


def test_two_servers_on_one_labels_file_do_not_accept_conflicting_decisions(pool, tmp_path):
    labels = tmp_path / "labels.jsonl"
    one, two = _session(pool, labels), _session(pool, labels)
    article = one.current("ana").id
    assert two.current("budi").id == article  # neither server knows what the other shows
    one.decide("ana", article, ["koperasi"])
    with pytest.raises(ArticleNotOpenError, match=r"\[E205\] article .* was already decided by 'ana'"):
        two.decide("budi", article, [], ["koperasi"])
    assert [r["tags"] for r in labelled_rows([labels], TAGS)] == [["koperasi"]]
    assert two.current("budi").id != article


METHODS = ["GET", "PUT", "DELETE", "HEAD", "OPTIONS", "BREW", "get", "POST /x"]
PATHS = ["/", "/api/current", "/api/skip", "/api/undo", "/api/queue?limit=abc", "/api/queue?limit=-5", "/api/nope",
         "/../../etc/passwd", "/%00", "//api//decide", "*", "/label.js?x=1", "/api/current?annotator=%ff%fe",
         "/" + "a" * 5000]
VERSIONS = ["HTTP/1.0", "HTTP/2.0", "HTTP/x", "HTTP/1.1 extra"]
BODIES = [b"", b"[]", b"1", b"null", b'"x"', b"{", b"\xff\xfe{}", b'{"id": 5}', b"[" * 40000,
          b'{"annotator": 5, "id": "x"}', b'{"annotator": ["a"]}', b'{"annotator": "", "id": "x"}',
          b'{"annotator": "fuzz", "tags": "koperasi", "id": "x"}', b'{"annotator": "fuzz", "tags": [1, 2]}',
          b'{"annotator": "fuzz", "tags": [], "rejected": []}', b'{"annotator": "fuzz", "unsure": true}']


WRITES = {"/api/decide": "label", "/api/skip": "skip", "/api/undo": "undo"}


def _mutations(rng: random.Random, body: bytes, held: str, other: str) -> dict:
    """One way a request to decide ``held`` can be wrong (or a decision of another article, or a wrong one)."""
    n = len(body)
    return rng.choice([
        {"method": rng.choice(METHODS)}, {"path": rng.choice(PATHS)}, {"version": rng.choice(VERSIONS)},
        {"body": rng.choice(BODIES)},
        {"body": json.dumps({"annotator": "fuzz", "id": rng.choice([other, held]), "tags": rng.choice(
            [["otomotif"], ["umkm"]]), "rejected": ["umkm"], "unsure": rng.random() < 0.5}).encode()},
        {"headers": {"Content-Length": rng.choice([str(n + 10), str(max(n - 1, 0)), "-1", "abc", "1e3", " 5", "",
                                                   "\u0663", "99999999", None])}},
        {"headers": {"Content-Type": rng.choice(["text/plain", None])}},
        {"headers": {"Host": rng.choice(["evil.example", "[::1", ""])}},
        {"headers": rng.choice([{"Origin": "null"}, {"Transfer-Encoding": "chunked"}, {"X-Long": "v" * 70000},
                                {f"X-{k}": "1" for k in range(120)}, {"Content-Length": "5", "content-length": "9"}])},
    ])


@pytest.fixture
def served_many(tmp_path):
    """A server on a pool of 200 articles (the fuzz decides a few dozen)."""
    yield from _serving(LabelServer(_session(write_pool(tmp_path / "pool.jsonl", pool_rows(200)),
                                             tmp_path / "labels.jsonl"), "127.0.0.1", 0))


def test_label_serve_survives_a_fuzz_of_malformed_requests(served_many, tmp_path):
    served, rng = served_many, random.Random(0)
    answered, written, live = 0, [], []  # what the labels file must hold; the fuzz annotator's live decisions
    for _ in range(1000):
        held = _post(served, "/api/current", {"annotator": "fuzz"})[1]["article"]["id"]  # claims the next article
        other = rng.choice([c.id for c in served.session.queue.candidates if c.id != held])
        body = json.dumps({"annotator": "fuzz", "id": held, "tags": ["koperasi"]}).encode()
        request = {"method": "POST", "path": "/api/decide", "version": "HTTP/1.1", "body": body, "headers": {}}
        for _ in range(rng.choice([0] + [1] * 14 + [2] * 5)):  # one in 20 stays valid: its decision is written
            change = _mutations(rng, request["body"], held, other)
            request = {**request, **change, "headers": {**request["headers"], **change.get("headers", {})}}
        raw = _request(request["method"], request["path"], request["body"], {
            "Content-Length": str(len(request["body"])), **request["headers"]})
        answer = _raw(served, raw.replace(b"HTTP/1.1", request["version"].encode(), 1))
        assert answer.startswith(b"HTTP/1."), raw[:200]
        answered += 1
        route = urlsplit(request["path"]).path
        if request["method"] != "POST" or _status(answer)[0] != 200 or route not in WRITES:
            continue
        if route == "/api/undo" and live:
            written.append(("undo", live.pop()))
        elif route != "/api/undo":
            written.append((WRITES[route], held))
            live.append(held)
    assert answered == 1000 and any(action == "label" for action, _ in written)
    assert _post(served, "/api/current", {"annotator": "ana"})[0] == 200  # still serving
    events = LabelLog(tmp_path / "labels.jsonl").events  # every line parses
    assert [(e.data["action"], e.id) for e in events] == written
    labels = [e.data for e in events if e.data["action"] == "label"]
    assert all(e["tags"] == ["koperasi"] and e["rejected"] == [] for e in labels)
