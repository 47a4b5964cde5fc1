"""The application factory: settings in, a ready aiohttp application out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware

from notes.domain.listing import cursor_key
from notes.settings import Settings
from notes.storage.migrations import upgrade_database
from notes.storage.store import open_store
from notes.storage.users import DatabaseUserDirectory
from notes.web.auth import authentication
from notes.web.cors import setup_cors
from notes.web.forwarded import forwarded_middleware
from notes.web.keys import CURSOR_KEY, METRICS, NOTES, OPENAPI_DOCUMENT, SETTINGS, USERS
from notes.web.metrics import Metrics, metrics_handler, metrics_middleware
from notes.web.middlewares import concurrency_limit, problem_middleware
from notes.web.openapi import build_openapi
from notes.web.request_ids import request_id_middleware
from notes.web.routes import setup_routes


async def database_context(app: web.Application) -> AsyncIterator[None]:
    """Open the database on start-up and close it on shutdown, side by side."""
    settings = app[SETTINGS]
    if settings.migrates_on_start:
        # Alembic blocks (file and network I/O): keep it off the event loop.
        await asyncio.to_thread(upgrade_database, settings.database_url)
    notes = await open_store(settings, app.get(METRICS))
    app[NOTES] = notes
    app[USERS] = DatabaseUserDirectory(notes.backend)  # v1.1: tokens, on the same database
    try:
        yield
    finally:
        await notes.close()


def _middlewares(settings: Settings, metrics: Metrics | None) -> list[Middleware]:
    """Outermost first: every answer gets a request id and is counted, the 503 of the
    concurrency limit and the 401 and 429 of token mode included; the proxy's scheme,
    host and client address are known before any handler, error answer or the failure
    limiter of token mode reads them."""
    middlewares: list[Middleware] = [request_id_middleware()]
    if metrics is not None:
        middlewares.append(metrics_middleware(metrics))
    if settings.trusted_proxies:
        middlewares.append(forwarded_middleware(settings.trusted_proxies))
    middlewares.append(problem_middleware)
    middlewares.append(concurrency_limit(settings.max_concurrent_requests))
    middlewares.extend(authentication(settings))  # token mode (v1.1); nothing in open mode
    return middlewares


def create_app(settings: Settings) -> web.Application:
    metrics = Metrics.from_environment() if settings.metrics else None
    app = web.Application(
        middlewares=_middlewares(settings, metrics),
        client_max_size=settings.max_body_size,
    )
    app[SETTINGS] = settings
    app[OPENAPI_DOCUMENT] = orjson.dumps(build_openapi(settings))
    app[CURSOR_KEY] = cursor_key(settings.cursor_secret, settings.database_url)
    app.cleanup_ctx.append(database_context)
    setup_routes(app)
    if metrics is not None:
        app[METRICS] = metrics
        app.router.add_get("/metrics", metrics_handler(metrics))
    setup_cors(app, settings.cors_origins)
    return app
