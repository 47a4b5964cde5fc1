"""Users for the token-mode tests, made through the storage API the CLI uses."""

from __future__ import annotations

import asyncio
from functools import partial

from notes.domain.users import new_token
from notes.settings import Settings
from notes.storage import users
from notes.storage.migrations import upgrade_database
from notes.storage.store import open_backend


async def add_users(
    settings: Settings, names: tuple[str, ...], *, admins: tuple[str, ...] = ()
) -> dict[str, str]:
    """Add each user (the `admins` as admins) to the database; their tokens by name."""
    if settings.is_sqlite:  # PostgreSQL databases are copies of a migrated template
        await asyncio.to_thread(upgrade_database, settings.database_url)
    backend = open_backend(settings)
    tokens = {name: new_token() for name in (*names, *admins)}
    try:
        for name, token in tokens.items():
            add = partial(users.add_user, name=name, admin=name in admins, token=token)
            await backend.write(add)
    finally:
        await backend.close()
    return tokens


async def set_token(settings: Settings, name: str, token: str | None) -> None:
    """Rotate (a new token) or revoke (None) a user's token, as the CLI does."""
    backend = open_backend(settings)
    try:
        await backend.write(partial(users.set_token, name=name, token=token))
    finally:
        await backend.close()
