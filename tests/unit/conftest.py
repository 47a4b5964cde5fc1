"""The unit layer's database: the backend under test, migrated, opened the service's way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from notes.settings import Settings
from notes.storage.backend import Backend
from notes.storage.migrations import upgrade_database
from notes.storage.store import open_backend


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Backend]:
    """A fresh, migrated database, as `open_backend` gives it to the app."""
    if settings.is_sqlite:  # PostgreSQL databases are copies of a migrated template
        await asyncio.to_thread(upgrade_database, settings.database_url)
    opened = open_backend(settings)
    try:
        yield opened
    finally:
        await opened.close()
