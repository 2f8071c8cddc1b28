"""A wall-clock budget for one call of the model, so one article cannot hold a worker for good.

``with time_budget(60):`` raises :class:`RowTimeout` in the block once 60 seconds have passed, from
a ``SIGALRM`` timer: Python's regular-expression engine and every Python loop check for signals,
so a lexicon term that backtracks exponentially, or a summary of a huge article, stops there (a
single C call that never returns to Python, such as one large matrix product, ends first).

Signals reach only the main thread of a process, which is where the local engine's worker
processes run their tasks. Elsewhere the block runs without a budget: in a Ray actor (Ray Data calls
the UDF from a thread of its own; there the lexicon check at model load is the guard) and on
Windows, which has no ``SIGALRM``.

>>> with time_budget(5):
...     sum(range(1000))
499500
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RowTimeout(Exception):
    """The model took longer than the budget on the rows it was given."""


def _available() -> bool:
    return hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`RowTimeout` in the block after ``seconds`` (see the module doc for where it applies)."""
    if not _available():
        yield
        return

    def expired(signum, frame) -> None:
        raise RowTimeout(f"took longer than {seconds:g} s (--row-timeout)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
