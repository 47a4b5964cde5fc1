"""Our server on a database it cannot reach: 503 problems, never 500 (HEALTH, ERR)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from notes.settings import Settings
from notes_conformance.checks.support import Api, assert_problem


@pytest.fixture
def unreachable(start_server: Callable[[Settings], str], tmp_path: Path) -> Api:
    """Our app on a database that cannot be opened (a file in a directory that does not exist)."""
    missing = tmp_path / "no-such-directory" / "notes.db"
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{missing}",
        access_log=False,
        auto_migrate=False,
        database_timeout=2.0,
    )
    return Api(start_server(settings))


@pytest.mark.fresh_database
def test_health_is_503_when_the_database_cannot_be_reached(unreachable: Api) -> None:
    with unreachable.session:
        assert_problem(unreachable.get("/health"), 503)


@pytest.mark.fresh_database
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/notes"), ("POST", "/notes"), ("GET", "/notes/1"), ("DELETE", "/notes/1")],
)
def test_notes_are_503_not_500_when_the_database_cannot_be_reached(
    unreachable: Api, method: str, path: str
) -> None:
    with unreachable.session:
        body = {"title": "t", "created_by": "c"} if method == "POST" else None
        assert_problem(unreachable.request(method, path, json=body), 503)
