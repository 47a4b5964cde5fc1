"""The v1.1 checks' users: two tokens (and maybe an admin's), given by whoever runs the kit.

They come from ``--token A --token B`` (``--admin-token X``) or ``NOTES_TOKENS=A,B``
(``NOTES_ADMIN_TOKEN``); without two of them every v1.1 check skips and says so. Our own
suite (tests/api/ours.py) starts our server in token mode and makes the users instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator

import pytest
import requests

from notes_conformance.checks.support import Api

TOKENS_ENV = "NOTES_TOKENS"
ADMIN_TOKEN_ENV = "NOTES_ADMIN_TOKEN"
NO_TOKENS = (
    "the v1.1 rules (users and ownership) need two users' tokens: "
    f"--token A --token B (env {TOKENS_ENV}=A,B), and --admin-token for an admin's"
)


def add_token_options(parser: pytest.Parser) -> None:
    """Registered by the kit's plugin (and by tests/conftest.py); the second time is a no-op."""
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


def given_users(config: pytest.Config, base_url: str) -> Users:
    """Clients of `base_url` with the tokens given on the command line; skips without two."""
    tokens, admin = given_tokens(config)
    if len(tokens) < 2:
        pytest.skip(NO_TOKENS)
    return Users(
        base_url,
        client(base_url, tokens[0]),
        client(base_url, tokens[1]),
        None if admin is None else client(base_url, admin),
        (tokens[0], tokens[1]),
    )


@pytest.fixture(scope="session")
def v11_users(pytestconfig: pytest.Config, shared_base_url: str) -> Iterator[Users]:
    """Users A and B (and an admin) of the server under test; skips without two tokens.
    Our own suite replaces this fixture with one that starts our server in token mode."""
    users = given_users(pytestconfig, shared_base_url)
    yield users
    users.close()
