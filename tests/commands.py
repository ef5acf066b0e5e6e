"""Running a management command in process, as the command tests do."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command


def command_output(name: str, *args: str, stdin: str | None = None) -> str:
    """What ``manage.py name args...`` writes to standard output, ``stdin`` (if given)
    as its standard input; a ``CommandError`` propagates."""
    out = io.StringIO()
    kwargs: dict[str, Any] = {"stdout": out}
    if stdin is not None:
        kwargs["stdin"] = io.StringIO(stdin)
    call_command(name, *args, **kwargs)
    return out.getvalue()
