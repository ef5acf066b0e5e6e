"""The distribution: a wheel and an sdist built offline from a copy of the tree.

The build takes a few seconds (``python -m build --no-isolation``, so it needs ``build``
and ``setuptools>=77`` from the dev extra but no network) and runs once per module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Everything of the working tree except what a developer's machine adds to it, so the
# exclusion checks below see tests/ and example_project/ and must keep them out.
_NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "*.egg-info",
    "build",
    "dist",
    "__pycache__",
    "*.pyc",
    ".*_cache",
    ".data",
    "media",
    "results",
)


class Dist:
    """The built artifacts and the build's output."""

    def __init__(self, outdir: Path, log: str) -> None:
        self.log = log
        (self.wheel,) = outdir.glob("velt_django-*.whl")
        (self.sdist,) = outdir.glob("velt_django-*.tar.gz")

    def wheel_names(self) -> list[str]:
        with zipfile.ZipFile(self.wheel) as wheel:
            return wheel.namelist()

    def wheel_metadata(self) -> str:
        with zipfile.ZipFile(self.wheel) as wheel:
            (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
            return wheel.read(name).decode("utf-8")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    base = tmp_path_factory.mktemp("packaging")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=_NOT_COPIED)
    outdir = base / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir)],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    return Dist(outdir, log)


def test_packaging_build_has_no_license_deprecation_warning(dist: Dist) -> None:
    flagged = [
        line
        for line in dist.log.splitlines()
        if "license" in line.lower()
        and ("deprecat" in line.lower() or "WARNING" in line)
    ]
    assert flagged == [], dist.log


def test_packaging_wheel_ships_the_package_and_nothing_else(dist: Dist) -> None:
    names = dist.wheel_names()
    assert "velt_django/py.typed" in names
    assert "velt_django/management/commands/velt_ensure_indexes.py" in names
    assert "velt_django/urls.py" in names
    assert "velt_django/migrations/0001_initial.py" in names
    top_level = {name.split("/", 1)[0] for name in names}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {
        "velt_django"
    }
    assert not any(name.startswith(("tests/", "example_project/")) for name in names)


def test_packaging_wheel_metadata_has_spdx_license_expression(dist: Dist) -> None:
    metadata = Parser().parsestr(dist.wheel_metadata())
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert not any(
        value.startswith("License ::") for value in metadata.get_all("Classifier", [])
    )


def test_packaging_sdist_contains_license_and_readme(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "velt_django/py.typed"} <= names


# Run from outside the checkout with the target directory first on sys.path: the editable
# install of the development venv must not be what gets imported.
_IMPORT_CHECK = """
import sys
import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth",
                    "rest_framework", "velt_django"],
    VELT={"MONGODB_URI": "mongodb://127.0.0.1:1/"},
)
django.setup()
import velt_django
import velt_django.urls
from django.core.management import get_commands
from django.urls import include, path, reverse


class urlconf:
    urlpatterns = [path("velt/", include("velt_django.urls"))]


print(velt_django.__file__)
print(get_commands()["velt_ensure_indexes"])
print(reverse("velt:comments-get", urlconf=urlconf))
"""


def test_packaging_wheel_installs_and_imports(dist: Dist, tmp_path: Path) -> None:
    target = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(dist.wheel),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_CHECK],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    module_file, command_app, path = result.stdout.split()
    assert Path(module_file).is_relative_to(target)
    assert command_app == "velt_django"
    assert path == "/velt/comments/get"
