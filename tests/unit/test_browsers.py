"""Browsers and proxies: CORS preflights and answers, forwarded scheme and host from
trusted proxies only (docs/contract.md, "v1.1: operations")."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpClient

from notes.app import create_app
from notes.settings import Settings, SettingsError

ALLOWED = "https://app.example"
NOTE = {"title": "browser", "created_by": "cors"}


@pytest.fixture
async def cors_client(aiohttp_client: AiohttpClient, database_url: str) -> TestClient[Any, Any]:
    settings = Settings(
        database_url=database_url,
        auto_migrate=True,
        cors_origins=(ALLOWED, "http://localhost:3000"),
    )
    return await aiohttp_client(create_app(settings))


def preflight(method: str, headers: str, origin: str = ALLOWED) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


def listed(value: str) -> set[str]:
    return {item.strip().lower() for item in value.split(",")}


@pytest.mark.rule("OPS-10", "OPS-11")
async def test_a_preflight_from_an_allowed_origin(cors_client: TestClient[Any, Any]) -> None:
    response = await cors_client.options(
        "/notes/1", headers=preflight("PUT", "if-match, content-type, authorization")
    )
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert {"if-match", "content-type", "authorization"} <= listed(
        response.headers["Access-Control-Allow-Headers"]
    )
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    for method, headers in (("POST", "content-type"), ("GET", "if-none-match")):
        assert (
            await cors_client.options("/notes", headers=preflight(method, headers))
        ).status == 200


@pytest.mark.rule("OPS-9")
async def test_a_preflight_from_another_origin_is_refused(
    cors_client: TestClient[Any, Any],
) -> None:
    for origin in ("https://evil.example", "null", "https://app.example.evil"):
        response = await cors_client.options(
            "/notes", headers=preflight("POST", "content-type", origin)
        )
        assert response.status == 403
        assert "Access-Control-Allow-Origin" not in response.headers
    refused = await cors_client.options("/notes", headers=preflight("POST", "x-custom"))
    assert refused.status == 403  # a header that is not allowed


@pytest.mark.rule("OPS-10", "OPS-11", "OPS-12")
async def test_answers_to_an_allowed_origin_expose_the_headers_scripts_need(
    cors_client: TestClient[Any, Any],
) -> None:
    created = await cors_client.post("/notes", json=NOTE, headers={"Origin": ALLOWED})
    assert created.status == 201
    assert created.headers["Access-Control-Allow-Origin"] == ALLOWED
    exposed = listed(created.headers["Access-Control-Expose-Headers"])
    assert {"etag", "location", "link", "x-request-id"} <= exposed
    assert "Access-Control-Allow-Credentials" not in created.headers
    assert "Origin" in created.headers["Vary"]
    other = await cors_client.get("/notes/1", headers={"Origin": "https://evil.example"})
    assert other.status == 200  # served (CORS is the browser's to enforce), not shared
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Origin" in other.headers["Vary"]


@pytest.mark.rule("OPS-9")
async def test_cors_is_off_by_default(client: TestClient[Any, Any]) -> None:
    response = await client.options("/notes", headers=preflight("POST", "content-type"))
    assert response.status == 405
    answer = await client.get("/notes", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_cors_origins_must_be_origins() -> None:
    with pytest.raises(SettingsError, match="NOTES_CORS_ORIGINS"):
        Settings.from_environment(env_file=None, cors_origins="https://app.example/path")
    parsed = Settings.from_environment(env_file=None, cors_origins=" https://a.example ,*")
    assert parsed.cors_origins == ("https://a.example", "*")


# Forwarded scheme and host


async def trusted_client(
    aiohttp_client: AiohttpClient, database_url: str, trusted: str
) -> TestClient[Any, Any]:
    settings = Settings.from_environment(
        env_file=None,
        database_url=database_url,
        auto_migrate=True,
        trusted_proxies=trusted,
        default_page_size=1,
    )
    client = await aiohttp_client(create_app(settings))
    for _ in range(2):
        assert (await client.post("/notes", json=NOTE)).status == 201
    return client


FORWARDED_HEADERS = [
    {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example:8443"},
    {"Forwarded": 'for=192.0.2.60;proto=https;host="api.example:8443"'},
    # The nearest proxy's entry is the last one; the client wrote the first.
    {"X-Forwarded-Proto": "http, https", "X-Forwarded-Host": "evil.example, api.example:8443"},
    {"Forwarded": "proto=http;host=evil.example, proto=https;host=api.example:8443"},
]


@pytest.mark.parametrize("headers", FORWARDED_HEADERS)
@pytest.mark.rule("OPS-13")
async def test_a_trusted_proxy_names_the_scheme_and_host_of_links(
    aiohttp_client: AiohttpClient, database_url: str, headers: dict[str, str]
) -> None:
    client = await trusted_client(aiohttp_client, database_url, "127.0.0.1, ::1")
    page = await (await client.get("/notes", headers=headers)).json()
    assert page["next"].startswith("https://api.example:8443/notes?")


@pytest.mark.parametrize("headers", FORWARDED_HEADERS)
@pytest.mark.rule("OPS-14")
async def test_anyone_else_forwarding_is_ignored(
    aiohttp_client: AiohttpClient, database_url: str, headers: dict[str, str]
) -> None:
    client = await trusted_client(aiohttp_client, database_url, "10.0.0.0/8, 192.0.2.1")
    page = await (await client.get("/notes", headers=headers)).json()
    assert page["next"].startswith(f"http://127.0.0.1:{client.port}/notes?")


@pytest.mark.rule("OPS-14")
async def test_no_trusted_proxies_by_default(client: TestClient[Any, Any]) -> None:
    for _ in range(2):
        await client.post("/notes", json=NOTE)
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    page = await (await client.get("/notes?limit=1", headers=forged)).json()
    assert page["next"].startswith(f"http://127.0.0.1:{client.port}/")


async def test_a_nonsense_forwarded_scheme_is_ignored(
    aiohttp_client: AiohttpClient, database_url: str
) -> None:
    client = await trusted_client(aiohttp_client, database_url, "127.0.0.0/8")
    headers = {"X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "api.example"}
    page = await (await client.get("/notes", headers=headers)).json()
    assert page["next"].startswith("http://api.example/notes?")
    bad_host = await client.get("/notes", headers={"X-Forwarded-Host": "a b"})
    assert bad_host.status == 400  # the same rule as for a Host header


def test_trusted_proxies_are_addresses_or_networks() -> None:
    with pytest.raises(SettingsError, match="NOTES_TRUSTED_PROXIES"):
        Settings.from_environment(env_file=None, trusted_proxies="proxy.example")
    parsed = Settings.from_environment(env_file=None, trusted_proxies="127.0.0.1,10.0.0.0/8")
    assert [str(network) for network in parsed.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8"]


@pytest.mark.rule("OPS-13", "ERR-1")
async def test_a_forwarded_request_with_a_header_that_is_not_utf8_is_answered(
    aiohttp_client: AiohttpClient, database_url: str
) -> None:
    # HTTP allows any byte above 0x7F in a header value; aiohttp keeps one that is not
    # UTF-8 as a surrogate, which Request.clone (the forwarded host) could not encode.
    client = await trusted_client(aiohttp_client, database_url, "127.0.0.1, ::1")
    reader, writer = await asyncio.open_connection(client.host, client.port)
    body = b'{"title": "t", "created_by": "me"}'
    writer.write(
        b"POST /notes HTTP/1.1\r\nHost: internal\r\nX-Forwarded-Host: api.example\r\n"
        b"Content-Type: application/json\r\nIdempotency-Key: \xd7\xf8\r\n"
        b"User-Agent: caf\xe9\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    assert status_line.startswith(b"HTTP/1.1 400 "), status_line  # the key is malformed
