"""The `notes` command's actions: schema migrations, and serve's flags reaching the server."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from notes import cli
from notes.settings import Settings
from notes.storage.migrations import head_revision


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("NOTES_"):
            monkeypatch.delenv(key)


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def test_db_upgrade_and_downgrade(tmp_path: Path) -> None:
    path = tmp_path / "cli.db"
    url = f"sqlite+aiosqlite:///{path}"
    assert cli.main(["db", "upgrade", "--database-url", url]) == 0
    assert {"notes", "alembic_version"} <= tables(path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (head_revision(),)
        ]
        columns = [row[1] for row in connection.execute("PRAGMA table_info(notes)")]
    assert columns[:8] == [
        "id",
        "title",
        "description",
        "created_at",
        "created_by",
        "priority",
        "updated_at",
        "version",
    ]
    assert cli.main(["db", "downgrade", "base", "--database-url", url]) == 0
    assert "notes" not in tables(path)
    assert cli.main(["db", "upgrade", "head", "--database-url", url]) == 0
    assert "notes" in tables(path)


def test_db_upgrade_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "env.db"
    monkeypatch.setenv("NOTES_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    assert cli.main(["db", "upgrade"]) == 0
    assert "notes" in tables(path)


class RunApp:
    """Stands in for aiohttp's run_app (which would serve forever): records its call."""

    def __init__(self) -> None:
        self.calls: list[tuple[web.Application, dict[str, Any]]] = []

    def __call__(self, app: web.Application, **options: Any) -> None:
        loop = options.pop("loop", None)
        if loop is not None:
            loop.close()
        self.calls.append((app, options))


@pytest.fixture
def run_app(monkeypatch: pytest.MonkeyPatch) -> RunApp:
    recorder = RunApp()
    monkeypatch.setattr(web, "run_app", recorder)
    return recorder


def test_serve_passes_the_flags(run_app: RunApp, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
    argv = ["serve", "--host", "0.0.0.0", "--port", "9999", "--database-url", url]
    assert cli.main([*argv, "--no-access-log", "--insecure-open-to-network"]) == 0
    ((app, options),) = run_app.calls
    assert isinstance(app, web.Application)
    assert options["host"] == "0.0.0.0"
    assert options["port"] == 9999
    assert options["access_log"] is None
    assert options["shutdown_timeout"] == 30.0
    assert not options.get("reuse_port")


def test_serve_access_log_on_by_default(
    run_app: RunApp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NOTES_PORT", "7777")
    monkeypatch.setenv("NOTES_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}")
    assert cli.main(["serve"]) == 0
    ((_, options),) = run_app.calls
    assert options["host"] == "127.0.0.1"
    assert options["port"] == 7777
    assert options["access_log"] is logging.getLogger("aiohttp.access")


def test_flags_win_over_the_environment(run_app: RunApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTES_PORT", "7777")
    monkeypatch.setenv("NOTES_HOST", "10.1.1.1")
    monkeypatch.setenv("NOTES_ACCESS_LOG", "false")
    monkeypatch.setenv("NOTES_AUTH", "token")
    assert cli.main(["serve", "--port", "8888", "--access-log"]) == 0
    ((_, options),) = run_app.calls
    assert (options["host"], options["port"]) == ("10.1.1.1", 8888)
    assert options["access_log"] is logging.getLogger("aiohttp.access")


def test_serve_bad_environment(
    run_app: RunApp, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NOTES_ACCESS_LOG", "sometimes")
    assert cli.main(["serve"]) == 2
    assert run_app.calls == []
    assert capsys.readouterr().err == (
        "notes: NOTES_ACCESS_LOG: Input should be a valid boolean, unable to interpret input, "
        "got 'sometimes'\n"
    )


def test_serve_builds_the_app_from_settings(run_app: RunApp) -> None:
    settings = Settings(port=1234, access_log=False, shutdown_timeout=2.5)
    cli.serve(settings)
    ((app, options),) = run_app.calls
    assert (options["port"], options["shutdown_timeout"]) == (1234, 2.5)
    assert options["access_log"] is None
    assert app.router.resources()
