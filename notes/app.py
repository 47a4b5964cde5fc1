"""The application factory: settings in, a ready aiohttp application out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
from aiohttp import web

from notes.domain.listing import cursor_key
from notes.settings import Settings
from notes.storage.migrations import upgrade_database
from notes.storage.store import open_store
from notes.storage.users import DatabaseUserDirectory
from notes.web.auth import authentication
from notes.web.keys import CURSOR_KEY, NOTES, OPENAPI_DOCUMENT, SETTINGS, USERS
from notes.web.middlewares import concurrency_limit, problem_middleware
from notes.web.openapi import build_openapi
from notes.web.routes import setup_routes


async def database_context(app: web.Application) -> AsyncIterator[None]:
    """Open the database on start-up and close it on shutdown, side by side."""
    settings = app[SETTINGS]
    if settings.migrates_on_start:
        # Alembic blocks (file and network I/O): keep it off the event loop.
        await asyncio.to_thread(upgrade_database, settings.database_url)
    notes = open_store(settings)
    app[NOTES] = notes
    app[USERS] = DatabaseUserDirectory(notes.backend)  # v1.1: tokens, on the same database
    try:
        yield
    finally:
        await notes.close()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[
            problem_middleware,
            concurrency_limit(settings.max_concurrent_requests),
            *authentication(settings),  # token mode (v1.1); nothing in open mode
        ],
        client_max_size=settings.max_body_size,
    )
    app[SETTINGS] = settings
    app[OPENAPI_DOCUMENT] = orjson.dumps(build_openapi(settings))
    app[CURSOR_KEY] = cursor_key(settings.cursor_secret, settings.database_url)
    app.cleanup_ctx.append(database_context)
    setup_routes(app)
    return app
