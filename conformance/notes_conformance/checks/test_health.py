"""GET /health: ok while the database answers, a 503 problem when it does not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from notes.settings import Settings
from tests.api.support import Api, assert_problem


def test_health_is_ok(api: Api) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0].strip() == "application/json"
    assert response.json() == {"status": "ok"}


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
