"""Our server in token mode for the v1.1 checks: users made by the real CLI (`notes users
add`) or the storage API it uses, on a fresh database of the backend under test."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from notes.process import ServerProcess, notes_command, service_environment
from notes.settings import Settings
from tests.databases import PostgresDatabases
from tests.users import add_users

# Our server's limit of failed tokens per address, raised for the shared server: the
# suite sends many on purpose. test_v11_throttle.py checks the limit on a server of its own.
SHARED_FAILURE_LIMIT = "1000000"


def users_command(database_url: str, *args: str) -> str:
    """`notes users ARGS` as an operator runs it; what it printed (a token, for add and
    rotate)."""
    done = subprocess.run(
        [sys.executable, "-m", "notes", "users", *args, "--database-url", database_url],
        env=service_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def add_user(database_url: str, name: str, *, admin: bool = False) -> str:
    """`notes users add NAME`; the token it printed."""
    return users_command(database_url, "add", name, *(["--admin"] if admin else []))


def add_users_directly(database_url: str, names: dict[str, str], admin: str) -> dict[str, str]:
    """The same users through the storage API the CLI uses: no interpreter to start."""
    settings = Settings(database_url=database_url, auto_migrate=True)
    by_name = asyncio.run(add_users(settings, tuple(names.values()), admins=(admin,)))
    return {role: by_name[name] for role, name in {**names, "admin": admin}.items()}


@contextlib.contextmanager
def token_mode_server(
    directory: Path,
    database_url: str,
    *,
    failure_limit: str = SHARED_FAILURE_LIMIT,
    through_cli: bool = True,
) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """Our server in token mode, with users alice-*, bob-* and root-* (an admin) made
    by the CLI first (or the storage API); their tokens by role ("a", "b", "admin")."""
    suffix = uuid.uuid4().hex[:6]
    names = {"a": f"alice-{suffix}", "b": f"bob-{suffix}"}
    if through_cli:
        tokens = {role: add_user(database_url, name) for role, name in names.items()}
        tokens["admin"] = add_user(database_url, f"root-{suffix}", admin=True)
    else:
        tokens = add_users_directly(database_url, names, f"root-{suffix}")
    env = service_environment({"NOTES_AUTH_FAILURE_LIMIT": failure_limit})
    command = notes_command(database_url, "--auth", "token")
    with ServerProcess(command, log_path=directory / "token-server.log", env=env) as server:
        yield server, tokens


@contextlib.contextmanager
def fresh_database_url(directory: Path, postgres: PostgresDatabases | None) -> Iterator[str]:
    if postgres is None:
        yield f"sqlite+aiosqlite:///{directory / 'v11.db'}"
        return
    name = postgres.create_copy()
    try:
        yield postgres.url_for(name)
    finally:
        postgres.drop(name)
