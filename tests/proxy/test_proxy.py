"""Through nginx (docs/nginx.conf) with TLS: the links the service makes point at the
proxy, over https; what a client forges is not believed; the conformance kit and a
short load run pass through it."""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from yarl import URL

from tests.proxy.conftest import Deployment

# The conformance kit, as a command that takes the base URL: in one place.
CONFORMANCE_COMMAND = (sys.executable, "-m", "notes_conformance")
CONFORMANCE_TIMEOUT = 900
LOAD_CLIENTS = 16
LOAD_ROUNDS = 25  # each round: create, read, list; 16 x 25 x 3 = 1,200 requests
TIMEOUT = aiohttp.ClientTimeout(total=60)
NOTE = {"title": "behind nginx", "created_by": "proxy-suite"}
FORGED = {
    "X-Forwarded-Proto": "http",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-For": "192.0.2.66",
    "Forwarded": 'proto=http;host="evil.example"',
}


@asynccontextmanager
async def session(
    deployment: Deployment, *, local_address: str | None = None
) -> AsyncIterator[aiohttp.ClientSession]:
    context = ssl.create_default_context(cafile=str(deployment.ca_file))
    local = (local_address, 0) if local_address is not None else None
    connector = aiohttp.TCPConnector(ssl=context, local_addr=local, limit=LOAD_CLIENTS)
    async with aiohttp.ClientSession(
        connector=connector, timeout=TIMEOUT, trust_env=False
    ) as opened:
        yield opened


async def _page(
    client: aiohttp.ClientSession, base_url: str, headers: dict[str, str] | None = None
) -> tuple[dict[str, Any], str]:
    async with client.get(f"{base_url}/notes?limit=1", headers=headers) as response:
        assert response.status == 200
        return await response.json(), response.headers["Link"]


async def test_links_point_at_the_proxy_over_https(deployment: Deployment) -> None:
    async with session(deployment) as client:
        for _ in range(2):
            async with client.post(f"{deployment.url}/notes", json=NOTE) as created:
                assert created.status == 201
                location = created.url.join(URL(created.headers["Location"]))
                assert str(location).startswith(f"{deployment.url}/notes/")
            async with client.get(location) as read:
                assert read.status == 200
        page, link = await _page(client, deployment.url)
        assert page["next"].startswith(f"https://127.0.0.1:{deployment.proxy.port}/notes?")
        assert link == f'<{page["next"]}>; rel="next"'
        async with client.get(page["next"]) as following:
            assert following.status == 200  # the cursor of one server holds on the other
        by_name = f"https://localhost:{deployment.proxy.port}"
        page, _ = await _page(client, by_name)
        assert page["next"].startswith(f"{by_name}/notes?")


async def test_what_a_client_forges_is_not_believed(deployment: Deployment) -> None:
    async with session(deployment) as client:
        page, _ = await _page(client, deployment.url, FORGED)
    assert page["next"].startswith(f"{deployment.url}/notes?")
    # Straight to a server, from a loopback address that is not the trusted proxy's.
    server = deployment.servers[0]
    async with session(deployment, local_address="127.0.0.2") as client:
        page, _ = await _page(client, server.base_url, FORGED)
    assert page["next"].startswith(f"{server.base_url}/notes?")
    # The same headers from the trusted address are believed: the check is the address.
    async with session(deployment) as client:
        page, _ = await _page(client, server.base_url, FORGED)
    assert page["next"].startswith("http://evil.example/notes?")


async def test_request_ids_and_headers_through_the_proxy(deployment: Deployment) -> None:
    async with session(deployment) as client:
        async with client.get(
            f"{deployment.url}/notes/999999", headers={"X-Request-Id": "through-nginx"}
        ) as given:
            assert given.status == 404
            assert given.headers["X-Request-Id"] == "through-nginx"
            assert (await given.json())["request_id"] == "through-nginx"
        async with client.get(f"{deployment.url}/health/ready") as made:
            assert len(made.headers["X-Request-Id"]) == 32  # nginx's $request_id
            assert made.headers["Server"] == "nginx"  # no version: server_tokens off
            assert made.headers["X-Content-Type-Options"] == "nosniff"
        async with client.get(f"{deployment.url}/metrics") as metrics:
            assert metrics.status == 404  # kept inside by the proxy
    async with aiohttp.ClientSession(timeout=TIMEOUT) as plain:
        server = deployment.servers[0]
        async with plain.get(f"{server.base_url}/metrics") as metrics:
            assert metrics.status == 200  # where the monitoring system scrapes it


def test_the_conformance_kit_passes_through_the_proxy(deployment: Deployment) -> None:
    ca = str(deployment.ca_file)
    env = {**os.environ, "REQUESTS_CA_BUNDLE": ca, "SSL_CERT_FILE": ca}
    result = subprocess.run(
        [*CONFORMANCE_COMMAND, deployment.url],
        env=env,
        timeout=CONFORMANCE_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, "the conformance kit failed through nginx (output above)"


async def _metrics_total(base_url: str) -> float:
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as plain,
        plain.get(f"{base_url}/metrics") as response,
    ):
        text = await response.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("notes_http_request_duration_seconds_count{")
    )


async def test_a_short_load_run_through_the_proxy(deployment: Deployment) -> None:
    before = [await _metrics_total(server.base_url) for server in deployment.servers]

    async def client_loop(client: aiohttp.ClientSession, number: int) -> Counter[int]:
        statuses: Counter[int] = Counter()
        for index in range(LOAD_ROUNDS):
            fields = {**NOTE, "title": f"load {number}/{index}"}
            async with client.post(f"{deployment.url}/notes", json=fields) as created:
                statuses[created.status] += 1
                location = created.headers.get("Location", "/notes/0")
            async with client.get(f"{deployment.url}{location}") as read:
                statuses[read.status] += 1
            async with client.get(f"{deployment.url}/notes?limit=20") as listed:
                statuses[listed.status] += 1
        return statuses

    async with session(deployment) as client:
        results = await asyncio.gather(
            *(client_loop(client, number) for number in range(LOAD_CLIENTS))
        )
    statuses = sum(results, Counter[int]())
    sent = LOAD_CLIENTS * LOAD_ROUNDS * 3
    print(f"PROXY load run: {sent} requests through nginx, statuses {dict(statuses)}")
    assert statuses == {201: sent // 3, 200: 2 * sent // 3}
    after = [await _metrics_total(server.base_url) for server in deployment.servers]
    served = [late - early for early, late in zip(before, after, strict=True)]
    assert all(count > 0 for count in served), f"one server got nothing: {served}"
