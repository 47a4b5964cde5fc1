"""An app whose only request slot is taken: for what the concurrency limit refuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from notes.app import create_app
from notes.settings import Settings


@asynccontextmanager
async def only_slot_held(
    aiohttp_client: AiohttpClient, settings: Settings
) -> AsyncIterator[TestClient[Any, Any]]:
    """A client of the app built from `settings` (max_concurrent_requests=1), whose one
    slot a request to /hold keeps until the block ends; that request must then succeed."""
    app = create_app(settings)
    entered, release = asyncio.Event(), asyncio.Event()

    async def hold(request: web.Request) -> web.Response:
        entered.set()
        await release.wait()
        return web.Response(text="held")

    app.router.add_get("/hold", hold)
    client = await aiohttp_client(app)
    held = asyncio.ensure_future(client.get("/hold"))
    await entered.wait()
    try:
        yield client
    finally:
        release.set()
    assert (await held).status == 200
