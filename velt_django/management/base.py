"""What the ``velt_load_*`` commands share: reading ``FILE`` or ``-`` as UTF-8 text."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class LoadRecordsCommand(BaseCommand):
    """A command whose first argument is a file of JSON records, or ``-`` for standard
    input; subclasses add their options and call :meth:`read` in ``handle``."""

    # call_command(..., stdin=io.StringIO(...)) stands in for standard input.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", metavar="FILE", help="File to read, or - for standard input."
        )

    def read(self, name: str, stdin: Any) -> str:
        """The whole input as text; a missing file or non-UTF-8 bytes → CommandError."""
        if name == "-":
            source = stdin if stdin is not None else sys.stdin
            data = getattr(source, "buffer", source).read()
            where = "standard input"
        else:
            try:
                with open(name, "rb") as handle:
                    data = handle.read()
            except OSError as err:
                raise CommandError(
                    f"cannot read {name}: {err.strerror or type(err).__name__}"
                ) from err
            where = name
        if isinstance(data, str):
            return data
        try:
            text: str = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CommandError(f"{where} is not UTF-8 text") from None
        return text
