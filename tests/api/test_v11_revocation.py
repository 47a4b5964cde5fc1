"""v1.1, revocation: `notes users revoke` and `rotate` end a token within the documented
bound (NOTES_AUTH_CACHE_SECONDS, 1 s by default) in every process. Local only: it
starts our own servers and runs our own CLI. (Without the cache it is at once:
tests/unit/test_auth.py; across nodes on PostgreSQL: tests/scaleout.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from notes.process import ServerProcess, notes_command, service_environment
from notes.settings import Settings
from notes_conformance.checks.tokens import client
from tests.api.token_server import SHARED_FAILURE_LIMIT, fresh_database_url, users_command
from tests.databases import PostgresDatabases
from tests.users import add_users

# The documented bound of our server, and a margin for the command to return.
CACHE_SECONDS = 1.0
REQUESTS = 40  # enough to reach both workers many times over


@pytest.fixture
def local_database_url(
    foreign_base_url: str | None, tmp_path: Path, tested_postgres: PostgresDatabases | None
) -> Iterator[str]:
    if foreign_base_url is not None:
        pytest.skip("revokes tokens with our own CLI on our own database")
    with fresh_database_url(tmp_path, tested_postgres) as url:
        yield url


def statuses(base_url: str, token: str) -> set[int]:
    api = client(base_url, token)
    try:
        return {api.get("/notes?limit=1").status_code for _ in range(REQUESTS)}
    finally:
        api.session.close()


@pytest.mark.rule("AUTH-6")
def test_revoke_and_rotate_end_a_token_in_every_worker(
    local_database_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=local_database_url, auto_migrate=True)
    made = asyncio.run(add_users(settings, ("leaving", "staying")))
    token, kept = made["leaving"], made["staying"]
    command = notes_command(local_database_url, "--auth", "token", "--workers", "2")
    env = service_environment({"NOTES_AUTH_FAILURE_LIMIT": SHARED_FAILURE_LIMIT})
    with ServerProcess(command, log_path=tmp_path / "server.log", env=env) as server:
        assert statuses(server.base_url, token) == {200}
        rotated = users_command(local_database_url, "rotate", "leaving")
        time.sleep(CACHE_SECONDS + 0.1)
        assert statuses(server.base_url, token) == {401}
        assert statuses(server.base_url, rotated) == {200}
        users_command(local_database_url, "revoke", "leaving")
        time.sleep(CACHE_SECONDS + 0.1)
        assert statuses(server.base_url, rotated) == {401}
        assert statuses(server.base_url, kept) == {200}
