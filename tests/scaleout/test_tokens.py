"""Token mode (v1.1) across processes on one PostgreSQL: two nodes and a node of two
workers. A token, an owner, a cursor mean the same on every one of them, and a
revoked token stops on every process within NOTES_AUTH_CACHE_SECONDS (1 s)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from urllib.parse import urljoin

import pytest
import requests

from notes.process import ServerProcess, service_environment
from notes.settings import Settings
from tests.scaleout.conftest import CURSOR_SECRET, StartServer
from tests.users import add_users

pytestmark = pytest.mark.postgres

CACHE_SECONDS = 1.0  # the documented default
TOKEN_ENV = {
    "NOTES_AUTH": "token",
    "NOTES_AUTH_FAILURE_LIMIT": "1000000",
    "NOTES_CURSOR_SECRET": CURSOR_SECRET,
}
PER_NODE = 20  # requests a node: the kernel spreads them over a node's workers


def _session(token: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _statuses(nodes: list[ServerProcess], token: str) -> set[int]:
    with _session(token) as session:
        return {
            session.get(f"{node.base_url}/notes?limit=1", timeout=30).status_code
            for node in nodes
            for _ in range(PER_NODE)
        }


def test_owners_cursors_and_revocation_hold_on_every_process(
    postgres_url: str, start_server: StartServer
) -> None:
    settings = Settings(database_url=postgres_url)
    tokens = asyncio.run(add_users(settings, ("alice", "bob")))
    nodes = [
        start_server(postgres_url, env=TOKEN_ENV),
        start_server(postgres_url, env=TOKEN_ENV),
        start_server(postgres_url, workers=2, env=TOKEN_ENV),
    ]
    for node in nodes:
        node.wait_ready()
    alice, bob = _session(tokens["alice"]), _session(tokens["bob"])

    created = [
        alice.post(f"{node.base_url}/notes", json={"title": "t"}, timeout=30).json()
        for node in nodes
    ]
    for node in nodes:
        for note in created:
            assert alice.get(f"{node.base_url}/notes/{note['id']}", timeout=30).status_code == 200
            assert bob.get(f"{node.base_url}/notes/{note['id']}", timeout=30).status_code == 404
    first = alice.get(f"{nodes[0].base_url}/notes?limit=1", timeout=30)
    path = urljoin(first.url, first.json()["next"]).removeprefix(nodes[0].base_url)
    assert alice.get(f"{nodes[2].base_url}{path}", timeout=30).status_code == 200
    assert bob.get(f"{nodes[1].base_url}{path}", timeout=30).status_code == 422

    assert _statuses(nodes, tokens["alice"]) == {200}
    subprocess.run(
        [sys.executable, "-m", "notes", "users", "revoke", "alice", "--database-url", postgres_url],
        env=service_environment(),
        check=True,
        capture_output=True,
        timeout=120,
    )
    time.sleep(CACHE_SECONDS + 0.1)
    assert _statuses(nodes, tokens["alice"]) == {401}
    assert _statuses(nodes, tokens["bob"]) == {200}
    alice.close()
    bob.close()
