"""A small progress indicator for long management commands, written to standard error."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol


class TextStream(Protocol):
    def write(self, text: str, /) -> Any: ...

    def flush(self) -> Any: ...


class Progress:
    """Counts the items of one named step at a time on a text stream.

    On a terminal the line is redrawn in place (at most every ``interval`` seconds); on
    anything else (a log file, a test's ``StringIO``) a line is written at most every
    ``log_interval`` seconds and once when the step ends, so logs stay short. A
    ``None`` stream makes every method a no-op. Only labels and counts are written,
    never record content.
    """

    def __init__(
        self,
        stream: TextStream | None,
        *,
        interval: float = 0.2,
        log_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.clock = clock
        tty = stream is not None and getattr(stream, "isatty", lambda: False)()
        self.tty = bool(tty)
        self.interval = interval if self.tty else log_interval
        self.label = ""
        self.total: int | None = None
        self.done = 0
        self._last = 0.0
        self._active = False

    @classmethod
    def silent(cls) -> Progress:
        """A progress that writes nothing."""
        return cls(None)

    def start(self, label: str, total: int | None = None) -> None:
        """Begin a step (ending the previous one if it is still open)."""
        if self._active:
            self.finish()
        self.label, self.total, self.done = label, total, 0
        self._active = True
        self._last = self.clock()
        if self.tty:
            self._write()

    def advance(self, count: int = 1) -> None:
        """Count ``count`` more items of the current step."""
        self.done += count
        now = self.clock()
        if now - self._last >= self.interval:
            self._last = now
            self._write()

    def finish(self) -> None:
        """End the current step with its final count."""
        if not self._active:
            return
        self._active = False
        self._write()
        if self.tty and self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()

    def _line(self) -> str:
        if self.total:
            percent = min(100, self.done * 100 // self.total)
            return f"{self.label}: {self.done}/{self.total} ({percent}%)"
        return f"{self.label}: {self.done}"

    def _write(self) -> None:
        if self.stream is None:
            return
        if self.tty:
            self.stream.write("\r\x1b[K" + self._line())
        else:
            self.stream.write(self._line() + "\n")
        self.stream.flush()


def command_progress(stderr: Any, verbosity: int) -> Progress:
    """The progress of a management command: on its standard error (the raw stream,
    since Django's ``OutputWrapper`` ends every write with a newline), silent with
    ``--verbosity 0``."""
    if verbosity <= 0:
        return Progress.silent()
    return Progress(getattr(stderr, "_out", stderr))
