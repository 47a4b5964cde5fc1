"""Fixtures of the API suite, which runs in one of two modes.

- Local (the default): our app is served on a real loopback port. Tests share one
  server on one database for the whole session, exactly as they would share a foreign
  server; tests marked ``fresh_database`` get a server of their own on a fresh database.
- Conformance: ``--base-url URL`` (or ``NOTES_BASE_URL``) points every test at another
  server. Tests marked ``fresh_database`` are skipped: this run does not own its data.

Every test that is not marked ``fresh_database`` must pass on a shared, non-empty database:
it creates its own notes and finds them again through a unique ``created_by``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from notes.settings import Settings
from tests.api.server import ServerThread
from tests.api.support import Api, unique
from tests.api.tokens import add_token_options, v11_users
from tests.databases import PostgresDatabases

BASE_URL_ENV = "NOTES_BASE_URL"
__all__ = ["v11_users"]  # the v1.1 tests' fixture (tests/api/tokens.py)
FRESH_DATABASE_SKIP = (
    "needs a fresh database that only this test writes to; "
    "--base-url points at a server whose data this run does not own"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    # A parent conftest may register the same option so that `pytest --base-url` works
    # from the repository root too; then this registration is a no-op.
    with contextlib.suppress(ValueError):
        parser.addoption(
            "--base-url",
            default=None,
            help=f"run tests/api against this server instead of our own (env: {BASE_URL_ENV})",
        )
    add_token_options(parser)


@pytest.fixture(scope="session")
def foreign_base_url(pytestconfig: pytest.Config) -> str | None:
    """The server given with ``--base-url``/``NOTES_BASE_URL``, or None to serve our own."""
    value = pytestconfig.getoption("base_url", default=None) or os.environ.get(BASE_URL_ENV)
    if not value or not value.strip():
        return None
    return value.strip().rstrip("/")


def _settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, access_log=False, auto_migrate=True)


@pytest.fixture(scope="session")
def shared_base_url(
    foreign_base_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
    tested_postgres: PostgresDatabases | None,
) -> Iterator[str]:
    """The server shared by every test that does not need a fresh database."""
    if foreign_base_url is not None:
        yield foreign_base_url
        return
    name: str | None = None
    if tested_postgres is not None:
        name = tested_postgres.create_copy()
        database_url = tested_postgres.url_for(name)
    else:
        path: Path = tmp_path_factory.mktemp("api") / "shared.db"
        database_url = f"sqlite+aiosqlite:///{path}"
    server = ServerThread(_settings(database_url))
    try:
        yield server.start()
    finally:
        server.stop()
        if tested_postgres is not None and name is not None:
            tested_postgres.drop(name)


@pytest.fixture
def start_server(foreign_base_url: str | None) -> Iterator[Callable[[Settings], str]]:
    """Start our app with any settings (local mode only); every server stops after the test."""
    if foreign_base_url is not None:
        pytest.skip("starts servers of its own; meaningless against --base-url")
    servers: list[ServerThread] = []

    def start(settings: Settings) -> str:
        server = ServerThread(settings)
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def base_url(request: pytest.FixtureRequest, foreign_base_url: str | None) -> str:
    """The server this test talks to: the shared one, or a fresh one when the test says so."""
    if request.node.get_closest_marker("fresh_database") is None:
        url: str = request.getfixturevalue("shared_base_url")
        return url
    if foreign_base_url is not None:
        pytest.skip(FRESH_DATABASE_SKIP)
    start: Callable[[Settings], str] = request.getfixturevalue("start_server")
    database_url: str = request.getfixturevalue("database_url")
    return start(_settings(database_url))


@pytest.fixture(autouse=True)
def _skip_fresh_database_against_foreign_url(
    request: pytest.FixtureRequest, foreign_base_url: str | None
) -> None:
    if foreign_base_url is not None and request.node.get_closest_marker("fresh_database"):
        pytest.skip(FRESH_DATABASE_SKIP)


@pytest.fixture
def api(base_url: str) -> Iterator[Api]:
    client = Api(base_url)
    client.session.trust_env = False
    try:
        yield client
    finally:
        client.session.close()


@pytest.fixture
def owner() -> str:
    """A ``created_by`` no other test uses: the handle on this test's notes in a shared database."""
    return unique("owner")
