"""Our own suite's server for the kit's checks (a pytest plugin; conftest.py at the root
loads it after the kit's plugin, so that these fixtures replace the kit's of the same name).

The checks (conformance/notes_conformance/checks) run against our app served on a real
loopback port from a thread (coverage sees it): one server on one database for the whole
session, shared exactly as a foreign server is; a ``fresh_database`` check gets a server
of its own on a fresh database, and the v1.1 checks our server in token mode, with users
made by the real CLI. With ``--base-url URL`` the checks go to that server instead, as
`notes-conformance URL` sends them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from notes.settings import Settings
from notes_conformance.checks.tokens import Users, client, given_users
from notes_conformance.plugin import given_cors_origin, if_trusting
from tests.api.server import ServerThread
from tests.api.token_server import fresh_database_url, token_mode_server
from tests.conftest import (
    _no_settings_from_the_callers_environment,
    database_url,
    make_database_url,
    postgres_databases,
    tested_postgres,
)
from tests.databases import PostgresDatabases

# tests/conftest.py's fixtures, for the checks outside tests/ (its own serve the tests
# inside it): the databases, and no NOTES_* setting of the caller's in a test's Settings.
__all__ = [
    "_no_settings_from_the_callers_environment",
    "database_url",
    "make_database_url",
    "postgres_databases",
    "tested_postgres",
]


# Our servers allow this origin (CORS), so that the kit's OPS-10 and OPS-12 checks run.
ALLOWED_ORIGIN = "https://app.example"


def _settings(database_url: str, *, trusted_proxies: str = "") -> Settings:
    return Settings.from_environment(
        env_file=None,
        database_url=database_url,
        access_log=False,
        auto_migrate=True,
        cors_origins=ALLOWED_ORIGIN,
        trusted_proxies=trusted_proxies,
    )


@pytest.fixture(scope="session")
def keep_data() -> bool:
    """Our servers' databases are thrown away: nothing to clean up."""
    return True


@pytest.fixture(scope="session")
def shared_base_url(
    foreign_base_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
    tested_postgres: PostgresDatabases | None,
) -> Iterator[str]:
    """The server shared by every check that does not need a fresh database."""
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
    """The server this check talks to: the shared one, or a fresh one when it says so."""
    if request.node.get_closest_marker("fresh_database") is None:
        url: str = request.getfixturevalue("shared_base_url")
        return url
    if foreign_base_url is not None:
        pytest.skip("needs a fresh database; --base-url points at a server this run does not own")
    start: Callable[[Settings], str] = request.getfixturevalue("start_server")
    fresh: str = request.getfixturevalue("database_url")
    return start(_settings(fresh))


@pytest.fixture(scope="session")
def cors_origin(pytestconfig: pytest.Config, foreign_base_url: str | None) -> str | None:
    """The origin our servers allow; against --base-url, the one given (--cors-origin)."""
    return ALLOWED_ORIGIN if foreign_base_url is None else given_cors_origin(pytestconfig)


@pytest.fixture
def trusting_base_url(request: pytest.FixtureRequest, foreign_base_url: str | None) -> str:
    """A server of ours that believes this client's forwarded headers (OPS-13)."""
    if foreign_base_url is not None:
        return if_trusting(request.config, foreign_base_url)
    start: Callable[[Settings], str] = request.getfixturevalue("start_server")
    fresh: str = request.getfixturevalue("database_url")
    return start(_settings(fresh, trusted_proxies="127.0.0.1, ::1"))


@pytest.fixture(scope="session")
def v11_users(
    pytestconfig: pytest.Config,
    foreign_base_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
    tested_postgres: PostgresDatabases | None,
) -> Iterator[Users]:
    """Users A and B (and an admin) of our server in token mode, on a fresh database."""
    if foreign_base_url is not None:
        given = given_users(pytestconfig, foreign_base_url)
        yield given
        given.close()
        return
    directory = tmp_path_factory.mktemp("v11")
    with (
        fresh_database_url(directory, tested_postgres) as database_url,
        token_mode_server(directory, database_url) as (server, made),
    ):
        users = Users(
            server.base_url,
            client(server.base_url, made["a"]),
            client(server.base_url, made["b"]),
            client(server.base_url, made["admin"]),
            (made["a"], made["b"]),
        )
        yield users
        users.close()
