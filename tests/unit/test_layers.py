"""The layers of notes/ (pyproject.toml's import-linter contracts) hold, and the check
that says so catches a module that imports against them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import notes

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(notes.__file__).parent
_LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True))"
)


def _lint_imports(folder: Path) -> subprocess.CompletedProcess[str]:
    """import-linter over the `notes` package found in `folder`, with our contracts."""
    return subprocess.run(
        [sys.executable, "-c", _LINT, str(ROOT / "pyproject.toml")],
        cwd=folder,
        env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_import_follows_the_layers(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "notes", ignore=shutil.ignore_patterns("__pycache__"))
    result = _lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout  # the summary: "N kept, 0 broken"


@pytest.mark.parametrize(
    ("module", "statement", "contract"),
    [
        ("web/handlers.py", "from notes.storage import repository", "web and storage apart"),
        ("storage/repository.py", "from notes.web import responses", "web and storage apart"),
        ("domain/records.py", "from notes import app", "web and storage apart"),
        ("domain/listing.py", "import sqlalchemy", "the domain knows nothing of HTTP or SQL"),
        ("process.py", "from notes.settings import Settings", "the process helper stands alone"),
    ],
)
def test_an_import_against_the_layers_is_caught(
    tmp_path: Path, module: str, statement: str, contract: str
) -> None:
    copy = tmp_path / "notes"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / module).open("a") as source:
        source.write(f"\n{statement}  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout
    assert "BROKEN" in result.stdout
