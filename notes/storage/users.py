"""The users of token mode (v1.1): their queries, and the directory the web layer asks.

Like ``repository``, each function is a synchronous unit of work on a
``StatementRunner``, run by a backend on its read or write path. A token is never
stored or passed here: only its digest (``domain.users.token_digest``).
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import Integer, bindparam, insert, select, update

from notes.domain.timestamps import utc_now
from notes.domain.users import NoSuchUser, Principal, UserExists, UserRecord, token_digest
from notes.storage.backend import Backend
from notes.storage.models import users_table
from notes.storage.statements import StatementRunner

u = users_table.c
SELECT_BY_DIGEST = select(u.name, u.admin).where(u.token_digest == bindparam("digest"))
SELECT_BY_NAME = select(u.id).where(u.name == bindparam("name"))
SELECT_ALL = select(u.name, u.admin, u.token_digest, u.created_at, u.token_issued_at).order_by(
    u.name
)
INSERT_USER = insert(users_table).values(
    name=bindparam("new_name"),
    admin=bindparam("new_admin"),
    token_digest=bindparam("new_digest"),
    created_at=bindparam("now"),
    token_issued_at=bindparam("now"),
)
SET_TOKEN = (
    update(users_table)
    .where(u.id == bindparam("user_id", type_=Integer))
    .values(token_digest=bindparam("new_digest"), token_issued_at=bindparam("now"))
)


def find_principal(runner: StatementRunner, *, digest: str) -> Principal | None:
    # A revoked user's digest is NULL, which equals nothing: revocation is one UPDATE.
    rows = runner.fetch(SELECT_BY_DIGEST, {"digest": digest})
    return Principal(rows[0][0], bool(rows[0][1])) if rows else None


def add_user(runner: StatementRunner, *, name: str, admin: bool, token: str) -> None:
    if runner.fetch(SELECT_BY_NAME, {"name": name}):
        raise UserExists(name)
    params = {"new_name": name, "new_admin": admin, "new_digest": token_digest(token)}
    runner.insert(INSERT_USER, {**params, "now": utc_now()})


def set_token(runner: StatementRunner, *, name: str, token: str | None) -> None:
    """Replace the user's token by `token`, or by none (revoke): the old one stops now."""
    rows = runner.fetch(SELECT_BY_NAME, {"name": name})
    if not rows:
        raise NoSuchUser(name)
    digest = None if token is None else token_digest(token)
    runner.execute(SET_TOKEN, {"user_id": rows[0][0], "new_digest": digest, "now": utc_now()})


def list_users(runner: StatementRunner) -> list[UserRecord]:
    return [
        UserRecord(name, bool(admin), digest is not None, created_at, issued_at)
        for name, admin, digest, created_at, issued_at in runner.fetch(SELECT_ALL, {})
    ]


class DatabaseUserDirectory:
    """``domain.users.UserDirectory`` on the backend that also keeps the notes."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def principal_for(self, token_digest: str) -> Principal | None:
        return await self.backend.read(partial(find_principal, digest=token_digest))
