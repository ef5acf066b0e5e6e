"""``manage.py velt_sweep_files``: report, and with ``--delete`` remove, the stored file
objects no ``velt_files`` record points to (an upload whose worker died between writing
the object and its record; see :mod:`velt_django.files.sweep`)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from velt_django.exceptions import VeltConfigurationError, VeltError
from velt_django.files.sweep import sweep_orphans

_DURATION = re.compile(r"([1-9][0-9]{0,9})([smhd]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(text: str) -> timedelta:
    """``"3600"``, ``"90s"``, ``"30m"``, ``"2h"`` or ``"7d"``: a positive duration."""
    match = _DURATION.fullmatch(str(text).strip())
    if match is None:
        raise CommandError(
            "--older-than must be a positive number of seconds, or of minutes, hours "
            'or days with the suffix m, h or d (e.g. "90m")'
        )
    number, unit = match.groups()
    return timedelta(seconds=int(number) * _UNIT_SECONDS[unit])


class Command(BaseCommand):
    help = (
        "Find the objects under the file key prefix (FILE_KEY_PREFIX) in the storage "
        "of each file scope that no file record points to and that are older than "
        "--older-than; report them, and delete them only with --delete."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            default="1h",
            help=(
                "Only objects last modified longer ago than this (seconds, or with the "
                "suffix m, h or d; default 1h). Keep it above the longest upload: an "
                "object younger than this may be an upload still writing its record."
            ),
        )
        parser.add_argument(
            "--delete",
            action="store_true",
            help="Delete the orphaned objects (without it, only report them).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Parsed here, not by argparse: call_command() passes values unparsed.
        age = _duration(options["older_than"])
        delete = bool(options["delete"])
        try:
            results = sweep_orphans(modified_before=timezone.now() - age, delete=delete)
        except (VeltError, VeltConfigurationError) as err:
            raise CommandError(f"could not sweep file storage: {err}") from err
        verbosity = int(options["verbosity"])
        for result in results:
            if verbosity >= 2:
                for key in result.orphans:
                    self.stdout.write(f"  orphan {key}")
            summary = (
                f"Storage {result.storage}: {result.listed} objects, "
                f"{result.recorded} with a record, {result.recent} without one but "
                f"recent, {len(result.orphans)} orphaned"
            )
            if delete:
                summary += f", {result.removed} deleted"
                if result.failed:
                    summary += f", {result.failed} failed to delete"
            elif result.orphans:
                summary += " (run with --delete to delete them)"
            style = self.style.ERROR if result.failed else self.style.SUCCESS
            self.stdout.write(style(summary + "."))
        if any(result.failed for result in results):
            raise CommandError("some orphaned objects could not be deleted")
