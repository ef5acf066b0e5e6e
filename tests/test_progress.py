"""The progress indicator shared by the long management commands."""

from __future__ import annotations

import io

from velt_django.progress import Progress, command_progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_log_writes_a_line_per_interval_and_the_total() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, log_interval=10, clock=clock)
    progress.start("importing users", 4)
    progress.advance()
    clock.now = 11
    progress.advance()
    progress.advance(2)
    progress.finish()
    assert stream.getvalue() == (
        "importing users: 2/4 (50%)\nimporting users: 4/4 (100%)\n"
    )


def test_progress_on_a_terminal_redraws_one_line() -> None:
    stream, clock = Tty(), Clock()
    progress = Progress(stream, interval=0.5, clock=clock)
    progress.start("scanning", None)
    clock.now = 1
    progress.advance(3)
    progress.start("erasing", 2)  # ends the previous step
    progress.finish()
    progress.finish()  # a second finish writes nothing
    assert stream.getvalue() == (
        "\r\x1b[Kscanning: 0\r\x1b[Kscanning: 3\r\x1b[Kscanning: 3\n"
        "\r\x1b[Kerasing: 0/2 (0%)\r\x1b[Kerasing: 0/2 (0%)\n"
    )


def test_command_progress_is_silent_at_verbosity_zero() -> None:
    stream = io.StringIO()
    progress = command_progress(stream, 0)
    progress.start("x", 1)
    progress.advance()
    progress.finish()
    assert stream.getvalue() == ""
    assert command_progress(stream, 1).stream is stream
