"""``mlpkg label cli``: the same session in a terminal, for a server without a browser.

One article at a time; commands are typed lines (so it works over ssh and from a script):
``y``/``n`` accept/reject the queue's tag and save; ``1``..``9`` toggle a tag (``1 3`` toggles two);
empty line saves; ``u`` toggles unsure; ``r TEXT`` sets the reason; ``s`` skips; ``z`` undoes;
``q`` quits. Decisions go to the labels file exactly as the page writes them.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from typing import TextIO

from ..errors import MlpkgError
from .session import LabelSession

BODY_LINES = 30
HELP = "y/n: {focus} yes/no and save · 1-{n}: toggle a tag · enter: save · u: unsure · r TEXT: reason · " \
       "s: skip · z: undo · q: quit"


def _marked(segments: list[list], tags: list[str], colour: bool) -> str:
    colours = ("33", "32", "36", "35", "34")
    out = []
    for text, tag in segments:
        if tag is None:
            out.append(text)
        elif colour:
            out.append(f"\x1b[1;{colours[tags.index(tag) % len(colours)]}m{text}\x1b[0m")
        else:
            out.append(f"[{text}]")
    return "".join(out)


def _show(view: dict, out: TextIO, colour: bool, width: int) -> None:
    a, tags, p = view["article"], view["tags"], view["progress"]
    positives = " · ".join(f"{t} {p['positives'][t]}" for t in tags)
    print("\n" + "=" * min(width, 100), file=out)
    print(f"labelled today {p['labelled_today']} · all {p['labelled']} · positives: {positives} · "
          f"queue left {p['queue_left']}", file=out)
    print(f"{a['id']} · queued for {a['why_tag']}" + (f": {'; '.join(a['reasons'])}" if a["reasons"] else ""),
          file=out)
    if a["scores"]:
        print("scores: " + "  ".join(f"{t} {a['scores'][t]:.2f}" + (f" (cut {a['thresholds'][t]:.2f})"
                                                                     if a["thresholds"].get(t) is not None else "")
                                      for t in tags), file=out)
    print("", file=out)
    print(_marked(a["title_marks"], tags, colour), file=out)
    body = _marked(a["body"], tags, colour).split("\n")
    print("\n".join(body[:BODY_LINES]) + ("\n[…]" if len(body) > BODY_LINES or a["truncated"] else ""), file=out)


def run_terminal(session: LabelSession, annotator: str, read: Callable[[str], str] = input,
                 out: TextIO = sys.stdout, colour: bool | None = None) -> int:
    """Label until the queue is empty, ``q``, or end of input; returns the decisions written."""
    colour = out.isatty() if colour is None else colour
    width = shutil.get_terminal_size((100, 20)).columns
    written = 0
    while True:
        view = session.view(session.current(annotator), annotator)
        a = view["article"]
        if a is None:
            print("the queue is empty: every candidate is decided or skipped", file=out)
            return written
        _show(view, out, colour, width)
        tags, focus = view["tags"], view["focus"] or a["why_tag"]
        accept, unsure, reason = set(), False, ""
        print(HELP.format(focus=focus, n=len(tags)), file=out)
        while True:
            state = ", ".join(tags_ if (tags_ := [t for t in tags if t in accept]) else ["no tag"])
            try:
                line = read(f"[{state}{' · unsure' if unsure else ''}] > ").strip()
            except EOFError:
                return written
            cmd = line.split(maxsplit=1)[0].lower() if line else ""
            if cmd == "q":
                return written
            if cmd in ("y", "n", ""):
                if cmd:
                    (accept.add if cmd == "y" else accept.discard)(focus)
                try:
                    session.decide(annotator, a["id"], sorted(accept), unsure=unsure, reason=reason)
                except MlpkgError as exc:
                    print(exc, file=out)
                    continue
                written += 1
                print(f"saved {a['id']}: {', '.join(t for t in tags if t in accept) or 'no tag'}", file=out)
                break
            if cmd == "s":
                session.skip(annotator, a["id"])
                print(f"skipped {a['id']}", file=out)
                break
            if cmd == "z":
                undone = session.undo(annotator)
                print(f"undone: {undone}" if undone else "nothing to undo", file=out)
                break
            if cmd == "u":
                unsure = not unsure
            elif cmd == "r":
                reason = line[1:].strip()
            elif all(w.isdigit() and 1 <= int(w) <= len(tags) for w in line.split()):
                for w in line.split():
                    accept ^= {tags[int(w) - 1]}
            else:
                print(HELP.format(focus=focus, n=len(tags)), file=out)
