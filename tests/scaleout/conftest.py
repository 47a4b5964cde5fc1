"""Fixtures of the scale-out suite: real `notes serve` processes on real ports.

The PostgreSQL tests need ``NOTES_TEST_DATABASE_URL``; without it they skip, or fail
when ``NOTES_REQUIRE_POSTGRES=1``. Each module or test gets databases of its own,
copies of the session's migrated template (``postgres_databases``), dropped afterwards.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from notes.process import ServerProcess
from tests.databases import PostgresDatabases
from tests.scaleout.processes import notes_server

# Small pools: the suite runs several servers at once on a shared PostgreSQL.
POOL_ENV = {"NOTES_POOL_SIZE": "4", "NOTES_POOL_MAX_OVERFLOW": "2"}
# What every node of one deployment shares, as docs/deploy.md asks.
CURSOR_SECRET = "scaleout-suite-cursor-secret"

StartServer = Callable[..., ServerProcess]


@pytest.fixture(scope="session")
def postgres(postgres_databases: PostgresDatabases | None) -> PostgresDatabases:
    """The session's PostgreSQL databases; skips (or fails in CI) without a server."""
    if postgres_databases is None:
        message = "needs PostgreSQL: set NOTES_TEST_DATABASE_URL=postgresql+asyncpg://..."
        if os.environ.get("NOTES_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return postgres_databases


@pytest.fixture(scope="module")
def module_postgres_url(postgres: PostgresDatabases) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database shared by the tests of one module."""
    name = postgres.create_copy()
    try:
        yield postgres.url_for(name)
    finally:
        postgres.drop(name)


@pytest.fixture
def postgres_url(postgres: PostgresDatabases) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database of this test alone."""
    name = postgres.create_copy()
    try:
        yield postgres.url_for(name)
    finally:
        postgres.drop(name)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start `notes serve` processes (not waited for); all are stopped after the test."""
    servers: list[ServerProcess] = []

    def start(
        database_url: str, *, workers: int = 1, env: Mapping[str, str] | None = None
    ) -> ServerProcess:
        log = tmp_path / f"server-{len(servers)}.log"
        server = notes_server(
            database_url=database_url,
            log_path=log,
            workers=workers,
            env={**POOL_ENV, **(env or {})},
        )
        servers.append(server)
        return server

    yield start
    stop_all(servers)


@dataclasses.dataclass(frozen=True)
class Cluster:
    """Server processes on one PostgreSQL database: two single ones and a supervisor
    of two workers, i.e. four processes each with its own pool."""

    singles: tuple[ServerProcess, ...]
    multi: ServerProcess
    database_url: str

    @property
    def urls(self) -> list[str]:
        return [server.base_url for server in (*self.singles, self.multi)]


@pytest.fixture(scope="module")
def cluster(
    module_postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    logs = tmp_path_factory.mktemp("cluster")
    started: list[ServerProcess] = []
    try:
        for index, workers in enumerate((1, 1, 2)):
            started.append(
                notes_server(
                    database_url=module_postgres_url,
                    log_path=logs / f"server-{index}.log",
                    workers=workers,
                    env={**POOL_ENV, "NOTES_CURSOR_SECRET": CURSOR_SECRET},
                )
            )
        for server in started:
            server.wait_ready()
        yield Cluster(
            singles=tuple(started[:2]), multi=started[2], database_url=module_postgres_url
        )
        for server, status in zip(started, stop_all(started), strict=True):
            assert status == 0, server.log_text()
    finally:
        stop_all(started)


def stop_all(servers: list[ServerProcess]) -> list[int]:
    """Signal every server first, then wait for each: they drain side by side."""
    for server in servers:
        server.terminate()
    return [server.stop() for server in servers]
