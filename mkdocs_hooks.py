"""MkDocs hooks of the documentation site (``hooks:`` in mkdocs.yml).

The reference tables of docs/settings.md and docs/checks.md are generated from the
package's own declarations, so a setting or a check ID is documented where it is
defined: a line ``<!-- velt:settings GROUP -->`` becomes the table of the settings of
that group (``Setting(group=…)`` in the modules of velt_django/conf/), ``<!-- velt:keys NAME -->``
the table of a dict setting's keys, and ``<!-- velt:checks HEADING -->`` the table of
a section of velt_django/check_codes.py. The prose around them stays hand-written.
Neither module needs configured Django settings.
"""

from __future__ import annotations

import json
import re
from typing import Any

from velt_django.check_codes import SECTIONS
from velt_django.conf import ABSENT, SETTINGS, MiB, Setting, VeltSettings

MARKER = re.compile(r"^<!-- velt:(settings|keys|checks) (.+?) -->$", re.MULTILINE)


def literal(value: Any) -> str:
    """``value`` as Python source with double-quoted strings, as the pages show it."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items())
            + "}"
        )
    return repr(value)


def _default(value: Any) -> str:
    if value is ABSENT:
        return "unset"
    text = f"`{literal(value)}`"
    if isinstance(value, int) and not isinstance(value, bool) and value >= MiB:
        if value % (1024 * MiB) == 0:
            text += f" ({value // (1024 * MiB)} GiB)"
        elif value % MiB == 0:
            text += f" ({value // MiB} MiB)"
    return text


def _table(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| Key | Default | Meaning |", "|---|---|---|"]
    lines += [f"| `{key}` | {default} | {doc} |" for key, default, doc in rows]
    return "\n".join(lines)


def settings_table(group: str) -> str:
    rows = [
        (s.name, s.default_doc or _default(s.default), s.doc)
        for s in SETTINGS
        if s.group == group
    ]
    if not rows:
        raise ValueError(f"no setting has the group {group!r}")
    return _table(rows)


def keys_table(name: str) -> str:
    setting = getattr(VeltSettings, name, None)
    if not isinstance(setting, Setting) or not setting.keys:
        raise ValueError(f"{name!r} is not a setting with keys")
    return _table([(k.name, _default(k.default), k.doc) for k in setting.keys])


def checks_table(heading: str) -> str:
    for section in SECTIONS:
        if section.heading == heading:
            lines = ["| ID | Meaning |", "|---|---|"]
            lines += [f"| `{c.id}` | {c.title} |" for c in section.codes()]
            return "\n".join(lines)
    raise ValueError(f"no section of check codes is headed {heading!r}")


TABLES = {"settings": settings_table, "keys": keys_table, "checks": checks_table}


def render(markdown: str) -> str:
    """``markdown`` with every marker replaced by its table."""
    return MARKER.sub(lambda m: TABLES[m.group(1)](m.group(2)), markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    return render(markdown)
