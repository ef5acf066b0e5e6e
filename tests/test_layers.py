"""The package's import structure: no import runs back up the layers.

From top to bottom: the entry points Django calls (``apps``, ``urls``, the ``checks``
registry, ``management``), the views, the features (validation, access, files, tokens,
webhooks, the user directory, GDPR, the importer, the REST client, …), the repository
(MongoDB and the Django models) and the base (``conf``, ``exceptions``). A module may
import from its own layer or a lower one. The drawing is on docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "velt_django"

#: Top-level components per layer, highest first; anything not named is a feature.
ENTRY = {"apps", "urls", "checks", "management"}
VIEWS = {"views"}
REPOSITORY = {"repository", "models", "migrations"}
BASE = {"conf", "exceptions", "__init__"}
LAYER_NAMES = ["entry points", "views", "features", "repository", "base"]


def _layer(component: str) -> int:
    if component in ENTRY:
        return 0
    if component in VIEWS:
        return 1
    if component in REPOSITORY:
        return 3
    if component in BASE:
        return 4
    return 2


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split(".")[1:]) if "." in dotted else Path()
    base = PACKAGE / relative
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """The velt_django modules ``path`` imports (``from . import x`` names ``x``)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("velt_django"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                target = ".".join(parts + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("velt_django"):
                continue
            submodules = {f"{target}.{a.name}" for a in node.names}
            named = {name for name in submodules if _is_module(name)}
            found.update(named or {target})
    return found


def _component(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _all_imports() -> list[tuple[str, str]]:
    edges: list[tuple[str, str]] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _module_name(path)
        edges.extend((source, target) for target in sorted(_imports(path)))
    return edges


def test_the_scan_sees_the_known_edges() -> None:
    # Guards the scanner itself: a parser that found nothing would pass every rule.
    edges = set(_all_imports())
    assert ("velt_django.urls", "velt_django.views.comments") in edges
    assert ("velt_django.views.users", "velt_django.responses") in edges
    assert ("velt_django.conf", "velt_django.exceptions") in edges
    assert len(edges) > 200


@pytest.mark.parametrize("component", sorted(ENTRY | VIEWS | REPOSITORY | BASE))
def test_known_components_exist(component: str) -> None:
    assert _is_module(f"velt_django.{component}") or component == "__init__"


def test_no_import_runs_back_up_the_layers() -> None:
    upward = [
        f"{source} ({LAYER_NAMES[_layer(_component(source))]}) imports {target} "
        f"({LAYER_NAMES[_layer(_component(target))]})"
        for source, target in _all_imports()
        if _layer(_component(target)) < _layer(_component(source))
    ]
    assert upward == []


def test_nothing_imports_management_or_the_urlconf() -> None:
    offenders = [
        (source, target)
        for source, target in _all_imports()
        if _component(target) in {"management", "urls"}
        and _component(source) != _component(target)
    ]
    assert offenders == []


def test_checks_of_a_feature_are_only_collected_by_the_registry() -> None:
    # A feature's checks.py is imported by velt_django/checks.py (and its own tests),
    # never by runtime code, so a check cannot change what a request does.
    offenders = [
        (source, target)
        for source, target in _all_imports()
        if target.endswith(".checks")
        and target != "velt_django.checks"
        and source != "velt_django.checks"
        and not source.startswith("velt_django.management")
    ]
    assert offenders == []
