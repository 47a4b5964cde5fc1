"""Shared fixtures: the real app, built by the factory, on a fresh database per test.

SQLite (a file in the test's tmp_path) is the backend under test unless
``NOTES_TEST_BACKEND=postgresql`` (set by ``tox -e postgres``) makes it PostgreSQL.
``NOTES_TEST_DATABASE_URL`` names the PostgreSQL server, for that and for the tests
that need PostgreSQL whatever the backend: the session migrates one template database
of its own, and every test gets a fresh copy of it that is dropped afterwards, so runs
never collide and a failed run leaves nothing behind. The URL alone never moves the
SQLite suites to PostgreSQL: CI sets it for every environment. ``NOTES_REQUIRE_POSTGRES=1``
(set by CI) turns the PostgreSQL-only skips into failures.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient
from sqlalchemy import make_url

from notes.app import create_app
from notes.settings import ENV_PREFIX, Settings
from tests.databases import PostgresDatabases, postgres_admin_url
from tests.hypothesis_profiles import register_profiles

TEST_DATABASE_URL_ENV = "NOTES_TEST_DATABASE_URL"
REQUIRE_POSTGRES_ENV = "NOTES_REQUIRE_POSTGRES"
# Set by `tox -e postgres`: every database-backed test must then run on PostgreSQL.
TEST_BACKEND_ENV = "NOTES_TEST_BACKEND"
POSTGRESQL = "postgresql"

register_profiles()


def _postgres_url() -> str | None:
    url = os.environ.get(TEST_DATABASE_URL_ENV, "").strip()
    return url if url.startswith("postgresql") else None


def postgres_is_under_test() -> bool:
    return os.environ.get(TEST_BACKEND_ENV) == POSTGRESQL


@pytest.fixture(autouse=True)
def _no_settings_from_the_callers_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """`Settings(...)` reads NOTES_* variables too: a developer's own (NOTES_PORT,
    NOTES_DATABASE_URL) must not reach the settings a test builds."""
    for name in Settings.model_fields:
        monkeypatch.delenv(f"{ENV_PREFIX}{name.upper()}", raising=False)


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases | None]:
    """The session's PostgreSQL databases, whenever NOTES_TEST_DATABASE_URL names a server."""
    url = _postgres_url()
    if url is None:
        yield None
        return
    databases = PostgresDatabases(postgres_admin_url(url), prefix=f"notes_{uuid.uuid4().hex[:8]}")
    databases.create_template()
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture(scope="session")
def tested_postgres(request: pytest.FixtureRequest) -> PostgresDatabases | None:
    """PostgreSQL's databases when it is the backend under test; None when SQLite is."""
    if not postgres_is_under_test():
        return None
    databases: PostgresDatabases | None = request.getfixturevalue("postgres_databases")
    if databases is None:
        _skip_or_fail_without_postgres()
    return databases


@pytest.fixture
def fresh_postgres_url(postgres_databases: PostgresDatabases | None) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for a PostgreSQL-only test, whichever backend
    is under test (skipped without NOTES_TEST_DATABASE_URL, failed where it is required)."""
    if postgres_databases is None:
        _skip_or_fail_without_postgres()
    assert postgres_databases is not None
    name = postgres_databases.create_copy()
    yield postgres_databases.url_for(name)
    postgres_databases.drop(name)


@pytest.fixture
def make_database_url(
    tmp_path: Path, tested_postgres: PostgresDatabases | None
) -> Iterator[Callable[[], str]]:
    """A factory of fresh, migrated, empty databases on the backend under test."""
    created: list[str] = []

    def make() -> str:
        if tested_postgres is not None:
            name = tested_postgres.create_copy()
            created.append(name)
            return tested_postgres.url_for(name)
        return f"sqlite+aiosqlite:///{tmp_path / f'notes-{uuid.uuid4().hex[:8]}.db'}"

    yield make
    if tested_postgres is not None:
        for name in created:
            tested_postgres.drop(name)


@pytest.fixture
def database_url(make_database_url: Callable[[], str]) -> str:
    return make_database_url()


@pytest.fixture
def backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


def _skip_or_fail_without_postgres() -> None:
    message = f"needs PostgreSQL: set {TEST_DATABASE_URL_ENV}=postgresql+asyncpg://..."
    if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def require_postgres() -> str:
    """The URL of the PostgreSQL server; skips (or fails in CI) without one."""
    url = _postgres_url()
    if url is None:
        _skip_or_fail_without_postgres()
    assert url is not None
    return url


@pytest.fixture
def postgres_database_url(
    require_postgres: str, postgres_databases: PostgresDatabases | None
) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database, whatever the backend under test."""
    assert postgres_databases is not None
    name = postgres_databases.create_copy()
    try:
        yield postgres_databases.url_for(name)
    finally:
        postgres_databases.drop(name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, access_log=False, auto_migrate=True)


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, settings: Settings) -> TestClient[Any, Any]:
    """The real app, served by aiohttp's test server on a loopback port."""
    return await aiohttp_client(create_app(settings))
