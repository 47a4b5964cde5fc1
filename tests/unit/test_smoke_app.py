"""The factory builds an app that answers over real HTTP (the fixture chain works)."""

from typing import Any

from aiohttp.test_utils import TestClient


async def test_health_answers_ok(client: TestClient[Any, Any]) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}
