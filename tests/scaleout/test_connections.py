"""Connection handling on PostgreSQL: pool settings, an unreachable database, recovery.

The service reaches PostgreSQL through a TCP proxy that the test runs, so the test can
take the database away (refused, or silent) and give it back without touching the
real server.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlalchemy import make_url

from notes.cli import main
from notes.process import ServerProcess, http_status
from tests.scaleout.client import PROBLEM_JSON, create_note, get_note, http_session, unique
from tests.scaleout.conftest import StartServer
from tests.scaleout.proxy import TcpProxy

pytestmark = pytest.mark.postgres

CONCURRENT_REQUESTS = 60
RECOVERY_ATTEMPTS = 300
OUTAGES = 2
LEAKS = ("asyncpg", "sqlalchemy", "Traceback", "SELECT", "Connection refused")


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[TcpProxy]:
    url = make_url(postgres_url)
    running = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await running.start()
    try:
        yield running
    finally:
        await running.close()


def _through(proxy: TcpProxy, postgres_url: str) -> str:
    return (
        make_url(postgres_url)
        .set(host="127.0.0.1", port=proxy.port)
        .render_as_string(hide_password=False)
    )


async def _start(
    start_server: StartServer, database_url: str, env: dict[str, str]
) -> ServerProcess:
    server = start_server(database_url, env=env)
    await asyncio.to_thread(server.wait_ready)
    return server


async def _statuses(session: aiohttp.ClientSession, url: str, count: int) -> Counter[int]:
    async def one() -> int:
        async with session.get(url) as response:
            await response.read()
            return response.status

    return Counter(await asyncio.gather(*(one() for _ in range(count))))


@pytest.mark.parametrize(("pool_size", "overflow"), [(1, 0), (2, 1)])
async def test_pool_settings_bound_each_process_s_connections(
    start_server: StartServer,
    proxy: TcpProxy,
    postgres_url: str,
    pool_size: int,
    overflow: int,
) -> None:
    env = {
        "NOTES_POOL_SIZE": str(pool_size),
        "NOTES_POOL_MAX_OVERFLOW": str(overflow),
        "NOTES_DATABASE_TIMEOUT": "30",
    }
    server = await _start(start_server, _through(proxy, postgres_url), env)
    async with http_session() as session:
        await create_note(session, server.base_url, {"title": "t", "created_by": unique("pool")})
        statuses = await _statuses(session, f"{server.base_url}/notes", CONCURRENT_REQUESTS)
    assert statuses == {200: CONCURRENT_REQUESTS}
    assert 1 <= proxy.peak_connections <= pool_size + overflow
    if pool_size + overflow == 1:
        assert proxy.peak_connections == 1


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("NOTES_POOL_SIZE", "ten"),
        ("NOTES_POOL_SIZE", "0"),
        ("NOTES_POOL_MAX_OVERFLOW", "-1"),
        ("NOTES_DATABASE_TIMEOUT", "soon"),
    ],
)
def test_a_bad_connection_setting_stops_the_service_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], key: str, value: str
) -> None:
    # `notes serve` itself, in this process: it refuses before it opens anything.
    monkeypatch.setenv(key, value)
    assert main(["serve", "--port", "1", "--database-url", "postgresql+asyncpg://nowhere/x"]) == 2
    assert key in capsys.readouterr().err


async def _assert_unavailable(session: aiohttp.ClientSession, base_url: str, note_id: int) -> None:
    """Every kind of request is a 503 problem+json that says nothing of the driver."""
    requests = [
        ("GET", "/health", None),
        ("GET", f"/notes/{note_id}", None),
        ("GET", "/notes", None),
        ("POST", "/notes", {"title": "while down", "created_by": unique("down")}),
        ("PATCH", f"/notes/{note_id}", {"priority": 7}),
        ("DELETE", f"/notes/{note_id}", None),
    ]

    async def one(method: str, path: str, body: object) -> None:
        async with session.request(method, f"{base_url}{path}", json=body) as response:
            text = await response.text()
            assert (response.status, response.content_type) == (503, PROBLEM_JSON), text
            assert not any(leak in text for leak in LEAKS), text

    await asyncio.gather(*(one(*request) for request in requests * 3))


async def _wait_healthy(session: aiohttp.ClientSession, base_url: str) -> int:
    """Requests until /health is 200 again; how many it took (bounded)."""
    for attempt in range(1, RECOVERY_ATTEMPTS + 1):
        async with session.get(f"{base_url}/health") as response:
            if response.status == 200:
                return attempt
            assert response.status == 503
        await asyncio.sleep(0.1)
    raise AssertionError("the service did not recover")


async def _assert_all_work(session: aiohttp.ClientSession, base_url: str, owner: str) -> None:
    for number in range(20):
        note, etag = await create_note(
            session, base_url, {"title": f"{number}", "created_by": owner}
        )
        assert await get_note(session, base_url, note["id"]) == (200, note, etag)
        async with session.get(f"{base_url}/health") as response:
            assert response.status == 200


@pytest.mark.parametrize("outage", ["refused", "silent"])
async def test_unreachable_database_is_503_then_recovers_without_restart(
    start_server: StartServer, proxy: TcpProxy, postgres_url: str, outage: str
) -> None:
    env = {"NOTES_POOL_SIZE": "2", "NOTES_POOL_MAX_OVERFLOW": "1", "NOTES_DATABASE_TIMEOUT": "1"}
    server = await _start(start_server, _through(proxy, postgres_url), env)
    owner = unique("outage")
    async with http_session() as session:
        note, etag = await create_note(
            session, server.base_url, {"title": "kept", "created_by": owner}
        )
        await _statuses(session, f"{server.base_url}/notes", 10)  # fill the pool
        for _ in range(OUTAGES):
            if outage == "refused":
                await proxy.refuse()
            else:
                proxy.stall()
            await _assert_unavailable(session, server.base_url, note["id"])
            await proxy.restore()
            await _wait_healthy(session, server.base_url)
            await _assert_all_work(session, server.base_url, owner)
        assert await get_note(session, server.base_url, note["id"]) == (200, note, etag)
    assert server.process.poll() is None, "the service had to be restarted"


async def test_a_node_started_while_the_database_is_down_serves_once_it_is_up(
    start_server: StartServer, proxy: TcpProxy, postgres_url: str
) -> None:
    await proxy.refuse()
    env = {"NOTES_DATABASE_TIMEOUT": "1"}
    server = start_server(_through(proxy, postgres_url), env=env)
    async with http_session() as session:
        status = None
        for _ in range(RECOVERY_ATTEMPTS):
            assert server.process.poll() is None, server.log_text()
            status = await asyncio.to_thread(http_status, f"{server.base_url}/health", timeout=5)
            if status is not None:
                break
            await asyncio.sleep(0.2)
        assert status == 503
        await _assert_unavailable(session, server.base_url, 1)
        await proxy.restore()
        await _wait_healthy(session, server.base_url)
        await _assert_all_work(session, server.base_url, unique("late-database"))


IN_FLIGHT = 4


@pytest.mark.parametrize(
    "sigterms",
    [
        1,
        # A second SIGTERM during the drain (systemd's KillMode=control-group signals
        # every worker and the supervisor forwards another) must not abort it.
        2,
    ],
)
async def test_sigterm_waits_for_requests_in_flight(
    start_server: StartServer, proxy: TcpProxy, postgres_url: str, sigterms: int
) -> None:
    """Requests held up by a silent database are still answered (503) during a drain."""
    env = {"NOTES_DATABASE_TIMEOUT": "4"}
    server = await _start(start_server, _through(proxy, postgres_url), env)
    async with http_session() as session:
        await _statuses(session, f"{server.base_url}/notes", 4)
        proxy.stall()

        async def held() -> int | str:
            try:
                async with session.get(f"{server.base_url}/notes") as response:
                    await response.read()
                    return response.status
            except aiohttp.ClientError as error:
                return type(error).__name__

        requests = [asyncio.create_task(held()) for _ in range(IN_FLIGHT)]
        await asyncio.sleep(0.5)  # let them reach the server (no timing is asserted)
        server.send_signal(signal.SIGTERM)
        # The drain has begun once the port refuses new connections.
        for _ in range(100):
            if await asyncio.to_thread(http_status, f"{server.base_url}/health", timeout=1) is None:
                break
            await asyncio.sleep(0.05)
        for _ in range(sigterms - 1):
            server.process.send_signal(signal.SIGTERM)
        answers = await asyncio.gather(*requests)
        await proxy.restore()
    assert answers == [503] * IN_FLIGHT
    assert await asyncio.to_thread(server.wait) == 0
