"""Job progress on standard error: a bar with rows/s on a terminal, plain log lines otherwise.

A reader that goes away (``mlpkg tag ... 2>&1 | head``) does not stop the job: :func:`say` sends
what would have gone to a closed pipe to ``/dev/null`` from then on.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

MODES = ("auto", "bar", "log", "none")


def say(message: str, stream: TextIO | None = None) -> None:
    """Print a line to ``stream`` (standard error by default); a closed pipe silences it instead of raising."""
    stream = stream or sys.stderr
    try:
        print(message, file=stream, flush=True)
    except BrokenPipeError:
        mute(stream)


def mute(stream: TextIO) -> None:
    """Point ``stream``'s descriptor at /dev/null, so that neither we nor Python's exit flush write to a dead pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stream.fileno())
    os.close(devnull)


class Progress:
    """Counts rows as chunks finish.

    ``auto`` is a tqdm bar when ``stream`` is a terminal and a log line every ``interval_s``
    seconds when it is not (a cron job's log, a CI console), so unattended runs show they are
    alive without filling the log with carriage returns.
    """

    def __init__(self, mode: str = "auto", total: int | None = None, stream: TextIO | None = None,
                 interval_s: float = 10.0):
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if self.stream.isatty() else "log"
        self.mode, self.interval_s = mode, interval_s
        self.read = self.tagged = self.rejected = 0
        self.start = self._last_log = time.monotonic()
        self._skipped = 0
        self.first_done: float | None = None  # when the first chunk came back: workers up, model loaded
        self._first_rows = 0
        self._bar = None
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="rows", file=self.stream, dynamic_ncols=True, smoothing=0.1)

    def skip(self, read: int, tagged: int, rejected: int) -> None:
        """Rows of chunks finished by an earlier run: counted, but not in the rate."""
        self._add(read, tagged, rejected)
        self._skipped += read

    def update(self, read: int, tagged: int, rejected: int) -> None:
        self._add(read, tagged, rejected)
        now = time.monotonic()
        if self.first_done is None:
            self.first_done, self._first_rows = now, read
        if self.mode == "log" and now - self._last_log >= self.interval_s:
            self._last_log = now
            self.log(f"{self.read} rows read, {self.tagged} tagged, {self.rejected} rejected, "
                     f"{self.rate():.0f} rows/s")

    def _add(self, read: int, tagged: int, rejected: int) -> None:
        self.read, self.tagged, self.rejected = self.read + read, self.tagged + tagged, self.rejected + rejected
        if self._bar is not None:
            self._bar.set_postfix(tagged=self.tagged, rejected=self.rejected, refresh=False)
            self._bar.update(read)

    def startup_s(self) -> float:
        """Seconds until the first chunk came back (starting workers, loading the model, one chunk)."""
        return (self.first_done or time.monotonic()) - self.start

    def rate(self) -> float:
        """Rows per second of this run once the first chunk is back (so start-up and model loading do
        not count; resumed chunks neither); 0.0 while there is nothing after the first chunk."""
        rows = self.read - self._skipped - self._first_rows
        if self.first_done is None or rows <= 0:
            return 0.0
        return rows / max(time.monotonic() - self.first_done, 1e-9)

    def log(self, message: str) -> None:
        if self.mode == "none":
            return
        if self._bar is not None:
            self._bar.write(f"mlpkg tag: {message}", file=self.stream)
        else:
            say(f"mlpkg tag: {message}", self.stream)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
