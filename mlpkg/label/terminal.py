"""``mlpkg label cli``: the same session in a terminal, for a server without a browser.

One article at a time; commands are typed lines (so it works over ssh and from a script):
``y``/``n`` decide the queue's tag (yes/no) and save; every tag starts undecided, and ``1``..``9``
cycle one (undecided, yes, no; ``1 3`` cycles two); ``0`` sets every undecided tag to no; an empty
line saves what is set; ``u`` toggles unsure; ``r TEXT`` sets the reason; ``s`` skips; ``z`` undoes;
``q`` quits. Only decided tags are written (the others stay undecided: training masks them for that
article), to the labels file exactly as the page writes them. Article text is printed without its
control characters, so a pool cannot send escape sequences to the terminal.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from typing import TextIO

from ..errors import MlpkgError
from .session import LabelSession

BODY_LINES = 30
HELP = "y/n: {focus} yes/no and save (other tags stay undecided) · {numbers}: cycle a tag undecided/yes/no · " \
       "0: undecided tags no · enter: save · u: unsure · r TEXT: reason · s: skip · z: undo · q: quit"
# C0/C1 controls but newline and tab, and the bidirectional overrides that reorder what a line shows
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    r"""``text`` without control characters (escape sequences from an article cannot reach the terminal).

    >>> printable("Koperasi\x1b[2J desa\r\n")
    'Koperasi[2J desa\n'
    """
    return CONTROL.sub("", text)


def _help(focus: str, tags: list[str]) -> str:
    return HELP.format(focus=focus, numbers=", ".join(f"{i} {t}" for i, t in enumerate(tags, start=1)))


def _state(tags: list[str], decided: dict[str, bool]) -> str:
    return " · ".join(f"{i} {t} {'yes' if decided[t] else 'no'}" if t in decided else f"{i} {t} ?"
                      for i, t in enumerate(tags, start=1))


def _marked(segments: list[list], tags: list[str], colour: bool) -> str:
    colours = ("33", "32", "36", "35", "34")
    out = []
    for text, tag in segments:
        text = printable(text)
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
    why = f": {'; '.join(a['reasons'])}" if a["reasons"] else ""
    print(printable(f"{a['id']} · queued for {a['why_tag']}{why}"), file=out)
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
    """Label until the queue is empty, ``q``, or end of input; returns the decisions this run wrote
    that are still live (an undone one does not count)."""
    colour = out.isatty() if colour is None else colour
    width = shutil.get_terminal_size((100, 20)).columns
    saved: list[str] = []
    while True:
        view = session.view(session.current(annotator), annotator)
        a = view["article"]
        if a is None:
            print("the queue is empty: every candidate is decided or skipped", file=out)
            return session.live_labels_of(annotator, saved)
        _show(view, out, colour, width)
        tags, focus = view["tags"], view["focus"] or a["why_tag"]
        decided: dict[str, bool] = {}
        unsure, reason = False, ""
        print(_help(focus, tags), file=out)
        while True:
            try:
                line = read(f"[{_state(tags, decided)}{' · unsure' if unsure else ''}] > ").strip()
            except EOFError:
                return session.live_labels_of(annotator, saved)
            cmd = line.split(maxsplit=1)[0].lower() if line else ""
            if cmd == "q":
                return session.live_labels_of(annotator, saved)
            if cmd in ("y", "n", ""):
                if cmd:
                    decided[focus] = cmd == "y"
                try:
                    session.decide(annotator, a["id"], [t for t in tags if decided.get(t) is True],
                                   [t for t in tags if decided.get(t) is False], unsure=unsure, reason=reason)
                except MlpkgError as exc:
                    print(exc, file=out)
                    continue
                saved.append(a["id"])
                print(f"saved {printable(a['id'])}: {_state(tags, decided)}", file=out)
                break
            if cmd == "s":
                session.skip(annotator, a["id"])
                print(f"skipped {printable(a['id'])}", file=out)
                break
            if cmd == "z":
                undone = session.undo(annotator)
                print(f"undone: {printable(undone)}" if undone else "nothing to undo", file=out)
                break
            if cmd == "u":
                unsure = not unsure
            elif cmd == "r":
                reason = line[1:].strip()
            elif cmd == "0":
                decided = {t: decided.get(t, False) for t in tags}
            elif all(w.isdigit() and 1 <= int(w) <= len(tags) for w in line.split()):
                for w in line.split():
                    t = tags[int(w) - 1]
                    if t not in decided:
                        decided[t] = True
                    elif decided[t]:
                        decided[t] = False
                    else:
                        del decided[t]
            else:
                print(_help(focus, tags), file=out)
