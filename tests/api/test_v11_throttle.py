"""v1.1, guessing: an address that keeps sending wrong tokens gets 429 with Retry-After.

Against another server this locks this client's address out of /notes until the
server's window ends, so it runs last of the v1.1 files. Locally it starts a server
of its own with a small limit (NOTES_AUTH_FAILURE_LIMIT=5).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notes_conformance.checks.support import assert_problem
from notes_conformance.checks.tokens import Users, bearer, client
from tests.api.token_server import fresh_database_url, token_mode_server
from tests.databases import PostgresDatabases

# How many wrong tokens a server may take before its 429; ours: NOTES_AUTH_FAILURE_LIMIT.
MAX_TRIES = 1000
LOCAL_LIMIT = 5


@pytest.fixture
def throttled(
    request: pytest.FixtureRequest,
    foreign_base_url: str | None,
    tmp_path: Path,
    tested_postgres: PostgresDatabases | None,
) -> Iterator[tuple[str, str]]:
    """A server in token mode, and a token of it that works."""
    if foreign_base_url is not None:
        users: Users = request.getfixturevalue("v11_users")
        yield foreign_base_url, users.tokens[0]
        return
    with (
        fresh_database_url(tmp_path, tested_postgres) as database_url,
        token_mode_server(
            tmp_path, database_url, failure_limit=str(LOCAL_LIMIT), through_cli=False
        ) as (
            server,
            tokens,
        ),
    ):
        yield server.base_url, tokens["a"]


@pytest.mark.rule("AUTH-5")
def test_repeated_wrong_tokens_are_slowed_with_429(throttled: tuple[str, str]) -> None:
    base_url, good = throttled
    api = client(base_url, None)
    wrong = bearer("notes_" + "B" * 43)
    tries = 0
    response = api.get("/notes", headers=wrong)
    while response.status_code == 401 and tries < MAX_TRIES:
        tries += 1
        response = api.get("/notes", headers=wrong)
    assert_problem(response, 429)
    retry_after = response.headers.get("Retry-After", "")
    assert retry_after.isdigit(), retry_after
    assert int(retry_after) >= 1
    # Once refused, the address is refused whatever it sends, a good token included:
    # a guess that happened to be right would otherwise show.
    assert_problem(api.get("/notes", headers=bearer(good)), 429)
    assert api.get("/health").status_code == 200
    api.session.close()
