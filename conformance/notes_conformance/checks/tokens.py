"""The v1.1 suites' users: two tokens (and maybe an admin's), given or made here.

Against a server given with ``--base-url``, the tokens come from ``--token A --token B``
(``--admin-token X``) or ``NOTES_TOKENS=A,B`` (``NOTES_ADMIN_TOKEN``); without two of
them every v1.1 test skips and says so. Locally, the session starts our own server in
token mode (`notes serve --auth token`, a real process) on a fresh database, with the
users made by the real CLI (`notes users add`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from notes.process import ServerProcess, notes_command, service_environment
from notes.settings import Settings
from tests.api.support import Api
from tests.databases import PostgresDatabases
from tests.users import add_users

TOKENS_ENV = "NOTES_TOKENS"
ADMIN_TOKEN_ENV = "NOTES_ADMIN_TOKEN"
NO_TOKENS = (
    "the v1.1 rules (users and ownership) need two users' tokens: "
    f"--token A --token B (env {TOKENS_ENV}=A,B), and --admin-token for an admin's"
)
# Our server's limit of failed tokens per address, raised for the shared server: the
# suite sends many on purpose. test_v11_throttle.py checks the limit on a server of its own.
SHARED_FAILURE_LIMIT = "1000000"


def add_token_options(parser: pytest.Parser) -> None:
    """Registered by the root conftest and tests/api's; the second time is a no-op."""
    with contextlib.suppress(ValueError):
        parser.addoption(
            "--token",
            action="append",
            default=[],
            help=f"a user's bearer token for the v1.1 rules; give two (env {TOKENS_ENV}=A,B)",
        )
        parser.addoption(
            "--admin-token",
            default=None,
            help=f"an admin's bearer token for the v1.1 admin rules (env {ADMIN_TOKEN_ENV})",
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def client(base_url: str, token: str | None) -> Api:
    session = requests.Session()
    session.trust_env = False
    if token is not None:
        session.headers.update(bearer(token))
    return Api(base_url, session)


@dataclasses.dataclass
class Users:
    """Clients of one server in token mode: users A and B, an admin when one was given."""

    base_url: str
    a: Api
    b: Api
    admin: Api | None
    tokens: tuple[str, str]

    def anonymous(self) -> Api:
        return client(self.base_url, None)

    def require_admin(self) -> Api:
        if self.admin is None:
            pytest.skip("needs an admin's token: --admin-token (env NOTES_ADMIN_TOKEN)")
        return self.admin

    def close(self) -> None:
        for api in (self.a, self.b, self.admin):
            if api is not None:
                api.session.close()


def given_tokens(config: pytest.Config) -> tuple[list[str], str | None]:
    tokens = list(config.getoption("token", default=[]) or [])
    if not tokens:
        tokens = [t.strip() for t in os.environ.get(TOKENS_ENV, "").split(",") if t.strip()]
    admin = config.getoption("admin_token", default=None) or os.environ.get(ADMIN_TOKEN_ENV)
    return tokens, (admin.strip() if admin and admin.strip() else None)


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


@pytest.fixture(scope="session")
def v11_users(
    pytestconfig: pytest.Config,
    foreign_base_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
    tested_postgres: PostgresDatabases | None,
) -> Iterator[Users]:
    """Users A and B (and an admin) of a server in token mode; skips without tokens."""
    if foreign_base_url is not None:
        tokens, admin = given_tokens(pytestconfig)
        if len(tokens) < 2:
            pytest.skip(NO_TOKENS)
        users = Users(
            foreign_base_url,
            client(foreign_base_url, tokens[0]),
            client(foreign_base_url, tokens[1]),
            None if admin is None else client(foreign_base_url, admin),
            (tokens[0], tokens[1]),
        )
        yield users
        users.close()
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
