"""The `notes users` commands (contract v1.1), and what `notes serve` refuses without them.

`notes users add NAME [--admin]` prints a new token once; only its SHA-256 digest is
stored. `rotate` replaces a user's token (and brings a revoked user back), `revoke`
removes it; either way the old token stops working within NOTES_AUTH_CACHE_SECONDS
in every server process. Each command runs on the same backend code as the server.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import sqlite3
import sys
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from sqlalchemy import exc

from notes.domain.errors import DatabaseUnavailable
from notes.domain.users import UserError, UserRecord, check_name, new_token
from notes.settings import Settings
from notes.storage import users
from notes.storage.migrations import upgrade_database
from notes.storage.statements import StatementRunner
from notes.storage.store import open_backend

T = TypeVar("T")
INSECURE_FLAG = "--insecure-open-to-network"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # "", a name, a list: may well listen beyond this machine
        return False


def exposure_refusal(settings: Settings) -> str | None:
    """Why `notes serve` must not start (AUTH-2), in one line; None when it may."""
    if settings.auth == "token" or settings.insecure_open_to_network or is_loopback(settings.host):
        return None
    return (
        f"refusing to listen on {settings.host!r} with --auth none: anyone who can reach it "
        "could read, change and delete every note; use --auth token (see `notes users add`), "
        f"or {INSECURE_FLAG} to accept that risk"
    )


async def _on_database(settings: Settings, work: Callable[[StatementRunner], T]) -> T:
    backend = open_backend(settings)
    try:
        return await backend.write(work)
    finally:
        await backend.close()


def _table(records: list[UserRecord]) -> str:
    rows = [("name", "role", "token", "created", "token issued")]
    for user in records:
        rows.append(
            (
                user.name,
                "admin" if user.admin else "user",
                "active" if user.active else "revoked",
                f"{user.created_at:%Y-%m-%d %H:%M:%S}Z",
                f"{user.token_issued_at:%Y-%m-%d %H:%M:%S}Z",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _issue(
    settings: Settings, work: Callable[[StatementRunner], None], name: str, token: str
) -> None:
    asyncio.run(_on_database(settings, work))
    print(token)
    print(
        f"notes: the token of {name!r} is shown this once (only its digest is kept); "
        "send it as Authorization: Bearer <token>",
        file=sys.stderr,
    )


def run_users_command(args: argparse.Namespace, settings: Settings) -> int:
    """One of `notes users add | list | revoke | rotate`; exit status 1 on refusal."""
    try:
        if settings.migrates_on_start:  # SQLite: the first command just works, as serve does
            upgrade_database(settings.database_url)
        if args.action == "list":
            print(_table(asyncio.run(_on_database(settings, users.list_users))))
            return 0
        name = check_name(args.name)
        if args.action == "revoke":
            asyncio.run(_on_database(settings, partial(users.set_token, name=name, token=None)))
            print(f"notes: {name!r} is revoked; its token no longer works", file=sys.stderr)
            return 0
        token = new_token()
        if args.action == "add":
            work = partial(users.add_user, name=name, admin=args.admin, token=token)
        else:
            work = partial(users.set_token, name=name, token=token)
        _issue(settings, work, name, token)
        return 0
    except UserError as error:
        print(f"notes: {error}", file=sys.stderr)
    except exc.IntegrityError:  # another command added the same name meanwhile
        print(f"notes: there is already a user named {args.name!r}", file=sys.stderr)
    # No users table: SQLite's own error (statements run on its handle), PostgreSQL's.
    except (DatabaseUnavailable, sqlite3.OperationalError, exc.ProgrammingError):
        print(
            "notes: the database cannot be reached, or it has no users table yet "
            "(run `notes db upgrade`)",
            file=sys.stderr,
        )
    return 1
