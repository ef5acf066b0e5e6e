"""``manage.py velt_gdpr export|delete --user-id USER``: export or erase everything
velt_django stores about one user (GDPR access and erasure requests)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from velt_django import gdpr
from velt_django.exceptions import (
    InvalidInput,
    VeltConfigurationError,
    VeltError,
)
from velt_django.progress import Progress, command_progress
from velt_django.validation.base import id_value

#: The record families of an export's summary, from the GDPR family declarations.
FAMILY_LABELS = {family.name: family.label or family.name for family in gdpr.FAMILIES}


def _open_private(path: str) -> TextIO:
    """Open ``path`` for writing, readable by its owner only when it is created (an
    export is personal data). Raises :class:`CommandError`."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as err:
        raise CommandError(
            f"cannot write {path}: {err.strerror or type(err).__name__}"
        ) from err
    return os.fdopen(fd, "w", encoding="utf-8")


class Command(BaseCommand):
    help = (
        "Export (export) or erase (delete) every record velt_django stores about one "
        "user: comment threads, reactions, recordings, activities, notifications, "
        "uploaded files and the user directory entry. Velt keeps its own copy: combine "
        "with Velt's GDPR REST calls (see docs/gdpr.md)."
    )

    # call_command(..., stdin=...) stands in for the terminal of the confirmation.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=("export", "delete"),
            help="export: write every record that mentions the user as one JSON "
            "document (other users' messages in the same threads included: review it "
            "before handing it over). delete: delete or anonymise those records "
            "(rules per record type in docs/gdpr.md), the files the user uploaded and "
            "their directory entry, after a confirmation.",
        )
        parser.add_argument(
            "--user-id", required=True, metavar="USER", help="Velt user id."
        )
        parser.add_argument(
            "--organization",
            metavar="ORG",
            default=None,
            help="Only records of this organization (the directory entry, a global "
            "identity, is then exported but never deleted).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print the summary as one JSON object on standard output.",
        )
        parser.add_argument(
            "--output",
            metavar="FILE",
            default=None,
            help="export: where to write the export (default -: standard output). A "
            "new file is created readable by its owner only.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="delete: report what would be deleted or anonymised; change nothing.",
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help="delete: do not ask for confirmation (needed when standard input is "
            "not a terminal).",
        )
        parser.add_argument(
            "--delete-django-user",
            action="store_true",
            help="delete: also delete the user's row when the user directory is "
            "Django's user model (by default that account is left to your "
            "application).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user_id = id_value(options["user_id"], "--user-id", required=True)
            organization = id_value(options.get("organization"), "--organization")
        except InvalidInput as err:
            raise CommandError(str(err.detail)) from None
        assert user_id is not None
        action = options["action"]
        only = {
            "output": "export",
            "dry_run": "delete",
            "yes": "delete",
            "delete_django_user": "delete",
        }
        for option, allowed in only.items():
            if options.get(option) and action != allowed:
                flag = "--" + option.replace("_", "-")
                raise CommandError(f"{flag} only applies to {allowed}")
        progress = command_progress(self.stderr, options["verbosity"])
        try:
            if action == "export":
                self.export(user_id, organization, options, progress)
            else:
                self.delete(user_id, organization, options, progress)
        except (VeltError, VeltConfigurationError) as err:
            raise CommandError(f"GDPR {action} failed: {err}") from err

    # ---- export ------------------------------------------------------------------

    def export(
        self,
        user_id: str,
        organization: str | None,
        options: dict[str, Any],
        progress: Progress,
    ) -> None:
        output = options.get("output") or "-"
        if output == "-" and options["json"]:
            raise CommandError(
                "--json prints the summary on standard output: write the export "
                "to a file with --output FILE"
            )
        # The file is opened first: a path that cannot be written fails before the scan.
        # Only a file this command creates is removed on failure: never a device such
        # as /dev/null, nor a file that was there before.
        created = output != "-" and not os.path.lexists(output)
        handle = None if output == "-" else _open_private(output)
        try:
            data = gdpr.export_user_data(user_id, organization, progress)
            text = json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"
            if handle is None:
                self.stdout.write(text, ending="")
            else:
                handle.write(text)
        except BaseException:
            if handle is not None:
                handle.close()
                if created and os.path.isfile(output):
                    os.unlink(output)  # no half-written export left behind
            raise
        if handle is not None:
            handle.close()
        summary = {
            "userId": user_id,
            "organizationId": organization,
            "output": output,
            **{name: len(data[name]) for name in (*FAMILY_LABELS, "files")},
            "user": int(data["user"] is not None),
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        lines = [f"{summary[name]} {label}" for name, label in FAMILY_LABELS.items()]
        lines.append(f"{summary['files']} file(s)")
        lines.append(f"directory entry: {'yes' if summary['user'] else 'no'}")
        where = "standard output" if output == "-" else output
        message = f"Exported user {user_id} to {where}: {', '.join(lines)}."
        # With the export on standard output, the summary must not mix into it.
        target = self.stderr if output == "-" else self.stdout
        target.write(self.style.SUCCESS(message))

    # ---- delete ------------------------------------------------------------------

    def delete(
        self,
        user_id: str,
        organization: str | None,
        options: dict[str, Any],
        progress: Progress,
    ) -> None:
        if user_id == gdpr.ANONYMOUS_USER_ID:
            raise CommandError(
                f"{user_id} is the placeholder that replaces erased users; "
                "it cannot be erased itself"
            )
        plan = gdpr.plan_deletion(
            user_id,
            organization,
            delete_django_user=bool(options.get("delete_django_user")),
            progress=progress,
        )
        dry_run = bool(options.get("dry_run"))
        if dry_run or plan.total == 0:
            self.report(plan.summary(), user_id, organization, options, planned=True)
            return
        if not options.get("yes"):
            self.confirm(plan, options.get("stdin"))
        summary = gdpr.apply_deletion(plan, progress)
        self.report(summary, user_id, organization, options, planned=False)

    def confirm(self, plan: gdpr.DeletionPlan, stdin: TextIO | None) -> None:
        source = stdin if stdin is not None else sys.stdin
        if not getattr(source, "isatty", lambda: False)():
            raise CommandError(
                "refusing to delete without confirmation: standard input is not a "
                "terminal; pass --yes (after a --dry-run) to delete"
            )
        scope = (
            f"organization {plan.organization_id}"
            if plan.organization_id
            else "every organization"
        )
        self.stderr.write(
            f"This deletes or anonymises {plan.total} record(s), file(s) and "
            f"directory entries of user {plan.user_id} in {scope}. "
            "It cannot be undone.\nType 'yes' to continue: ",
            ending="",
        )
        self.stderr.flush()
        answer = source.readline().strip().lower()
        if answer != "yes":
            raise CommandError("cancelled: nothing was changed")

    def report(
        self,
        summary: dict[str, Any],
        user_id: str,
        organization: str | None,
        options: dict[str, Any],
        *,
        planned: bool,
    ) -> None:
        dry_run = bool(options.get("dry_run"))
        if options["json"]:
            out = {
                "userId": user_id,
                "organizationId": organization,
                "dryRun": dry_run,
                **summary,
            }
            self.stdout.write(json.dumps(out))
            return
        verb = "Would delete" if planned else "Deleted"
        parts = []
        for name, label in FAMILY_LABELS.items():
            counts = summary[name]
            parts.append(
                f"{label}: {counts['deleted']} deleted, "
                f"{counts['anonymised']} anonymised"
            )
        parts.append(f"files: {summary['files']['deleted']} deleted")
        user = summary["user"]
        if not user["found"]:
            parts.append("directory entry: none")
        elif user["keptBecause"]:
            parts.append(f"directory entry: kept ({user['keptBecause']})")
        else:
            parts.append(f"directory entry: {user['deleted']} deleted")
        if planned and not dry_run:
            verb = "Nothing to delete for"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} user {user_id}: " + "; ".join(parts) + ".")
        )
