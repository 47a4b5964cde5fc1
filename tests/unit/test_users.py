"""Users and ownership (v1.1): tokens, names, the ownership rules, and the users table."""

from __future__ import annotations

import base64
import hashlib
from functools import partial
from pathlib import Path

import pytest

from notes.domain.errors import ValidationFailed
from notes.domain.users import (
    TOKEN_PREFIX,
    NoSuchUser,
    Principal,
    UserError,
    UserExists,
    check_name,
    created_fields,
    cursor_key_for,
    is_token,
    new_token,
    owner_kept,
    scope,
    token_digest,
)
from notes.settings import Settings
from notes.storage import users
from notes.storage.backend import Backend
from notes.storage.users import DatabaseUserDirectory
from tests.users import add_users, set_token

ALICE = Principal("alice")
ADMIN = Principal("root", admin=True)


def test_a_token_holds_256_random_bits_behind_a_prefix() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert token.startswith(TOKEN_PREFIX)
        body = token.removeprefix(TOKEN_PREFIX)
        assert len(base64.urlsafe_b64decode(body + "=")) == 32
        assert is_token(token)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "notes_",
        "notes_" + "a" * 42,
        "notes_" + "a" * 44,
        "other_" + "a" * 43,
        "notes_" + "+" * 43,
    ],
)
def test_other_spellings_are_not_tokens(text: str) -> None:
    assert not is_token(text)


def test_the_digest_is_sha256_in_hex() -> None:
    token = new_token()
    assert token_digest(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token_digest(token) != token_digest(new_token())


@pytest.mark.parametrize("name", ["alice", "Ålice Smith", "a" * 100, "\U0001f600", "o'brien"])
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "a" * 101, " alice", "alice\n", "a\x00b", "a\tb", "\udcff"])
def test_bad_names(name: str) -> None:
    with pytest.raises(UserError, match="a user name must"):
        check_name(name)


def test_scope() -> None:
    assert scope(None) is None
    assert scope(ADMIN) is None
    assert scope(ALICE) == "alice"


def test_each_user_signs_cursors_with_a_key_of_their_own() -> None:
    key = b"k" * 32
    assert cursor_key_for(key, None) == key
    keys = {cursor_key_for(key, Principal(name)) for name in ("alice", "bob", "alice ")}
    assert len(keys) == 3
    assert key not in keys
    assert cursor_key_for(key, ALICE) == cursor_key_for(key, Principal("alice"))


def test_a_new_note_is_the_callers() -> None:
    assert created_fields(None, {"created_by": "x"}) == {"created_by": "x"}
    assert created_fields(ALICE, {"title": "t"}) == {"title": "t", "created_by": "alice"}
    assert created_fields(ALICE, {"created_by": "alice"}) == {"created_by": "alice"}
    assert created_fields(ADMIN, {}) == {"created_by": "root"}
    for caller, claimed in ((ALICE, "bob"), (ALICE, "Alice"), (ADMIN, "alice")):
        with pytest.raises(ValidationFailed) as refused:
            created_fields(caller, {"created_by": claimed})
        (problem,) = refused.value.problems
        assert problem.field == "$.created_by"
        assert caller.name in problem.message


def test_the_owner_never_changes() -> None:
    assert owner_kept(None, "alice", {"created_by": "bob"}) == {"created_by": "bob"}
    assert owner_kept(ALICE, "alice", {"title": "t"}) == {"title": "t"}
    assert owner_kept(ALICE, "alice", {"created_by": "alice"}) == {"created_by": "alice"}
    assert owner_kept(ADMIN, "alice", {"created_by": "alice"}) == {"created_by": "alice"}
    for caller in (ALICE, ADMIN):
        with pytest.raises(ValidationFailed) as refused:
            owner_kept(caller, "alice", {"created_by": "root"})
        assert refused.value.problems[0].field == "$.created_by"


async def test_users_are_added_found_rotated_and_revoked(
    settings: Settings, database: Backend
) -> None:
    tokens = await add_users(settings, ("alice",), admins=("root",))
    directory = DatabaseUserDirectory(database)
    assert await directory.principal_for(token_digest(tokens["alice"])) == ALICE
    assert await directory.principal_for(token_digest(tokens["root"])) == ADMIN
    assert await directory.principal_for(token_digest(new_token())) is None

    rotated = new_token()
    await set_token(settings, "alice", rotated)
    assert await directory.principal_for(token_digest(tokens["alice"])) is None
    assert await directory.principal_for(token_digest(rotated)) == ALICE

    await set_token(settings, "alice", None)
    assert await directory.principal_for(token_digest(rotated)) is None
    listed = await database.read(users.list_users)
    assert [(user.name, user.admin, user.active) for user in listed] == [
        ("alice", False, False),
        ("root", True, True),
    ]
    assert listed[0].token_issued_at >= listed[0].created_at


async def test_names_are_unique_and_must_exist(settings: Settings, database: Backend) -> None:
    await add_users(settings, ("alice",))
    with pytest.raises(UserExists):
        await database.write(partial(users.add_user, name="alice", admin=True, token=new_token()))
    with pytest.raises(NoSuchUser):
        await database.write(partial(users.set_token, name="bob", token=None))
    # Names compare exactly, as created_by does.
    await database.write(partial(users.add_user, name="Alice", admin=False, token=new_token()))


async def test_only_a_digest_of_a_token_is_stored(settings: Settings, database: Backend) -> None:
    if not settings.is_sqlite:
        pytest.skip("reads the SQLite file's bytes")
    tokens = await add_users(settings, ("alice",))
    path = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///"))
    stored = b"".join(
        file.read_bytes() for file in path.parent.iterdir() if file.name.startswith(path.name)
    )
    assert token_digest(tokens["alice"]).encode() in stored
    assert tokens["alice"].encode() not in stored
    assert tokens["alice"].removeprefix(TOKEN_PREFIX).encode() not in stored
