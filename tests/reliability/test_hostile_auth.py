"""Hostile Authorization headers (v1.1): huge, non-ASCII, many, wrong schemes.

One `notes serve --auth token` process takes each case over a raw socket and must
answer it with a 4xx (or a 2xx for a good token however spelled), never a 5xx, while
/health keeps answering; only a good token ever reaches a note. Then the failure
limiter: an address past its limit gets 429, another address does not, and the
limiter's memory stays within NOTES_AUTH_FAILURE_CLIENTS addresses (clients come from
127.0.0.0/8 source addresses, every one of them loopback on Linux).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from notes.process import ServerProcess
from notes.settings import Settings
from tests.databases import PostgresDatabases
from tests.reliability.figures import FigureRecorder
from tests.reliability.rawhttp import RawResponse, exchange, read_response, request_bytes
from tests.reliability.server import notes_server
from tests.users import add_users

ANSWER_WITHIN = 60.0
OK_OR_REFUSED = frozenset({200, 401})
PROBLEM_JSON = "application/problem+json"


@dataclasses.dataclass(frozen=True, slots=True)
class AuthCase:
    name: str
    build: Callable[[str], bytes]  # from a good token
    allowed: frozenset[int]
    problem_json: bool = True  # aiohttp's parser answers some in text/plain first

    def __str__(self) -> str:
        return self.name


def _get(*headers: tuple[str, str], path: str = "/notes?limit=1") -> Callable[[str], bytes]:
    def build(token: str) -> bytes:
        lines = [f"{name}: {value.replace('TOKEN', token)}" for name, value in headers]
        head = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *lines]
        return ("\r\n".join(head) + "\r\n\r\n").encode("utf-8", "surrogateescape")

    return build


def _raw(prefix: bytes, value: bytes) -> Callable[[str], bytes]:
    return lambda token: (
        b"GET /notes HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + prefix
        + value.replace(b"TOKEN", token.encode())
        + b"\r\n\r\n"
    )


def _statuses(*statuses: int) -> frozenset[int]:
    return frozenset(statuses)


AUTH = "Authorization"
CASES = [
    # Huge: past aiohttp's 8 KiB field limit the parser refuses it (text/plain 400).
    AuthCase("Bearer and 8,000 characters", _get((AUTH, "Bearer " + "a" * 8000)), _statuses(401)),
    AuthCase(
        "a 64 KiB Authorization",
        _get((AUTH, "Bearer " + "a" * 65536)),
        _statuses(400, 431),
        problem_json=False,
    ),
    AuthCase(
        "a good token then 8,000 spaces", _get((AUTH, "Bearer TOKEN" + " " * 8000)), OK_OR_REFUSED
    ),
    # Not ASCII.
    AuthCase(
        "Latin-1 bytes", _raw(b"Authorization: ", b"Bearer \xff\xfe\xe9"), _statuses(400, 401)
    ),
    AuthCase("UTF-8 text", _get((AUTH, "Bearer ünïcödé-tökén")), _statuses(400, 401)),
    AuthCase(
        "a good token with U+00A0 after it", _get((AUTH, "Bearer TOKEN\u00a0")), _statuses(400, 401)
    ),
    AuthCase("an emoji token", _get((AUTH, "Bearer \U0001f511")), _statuses(400, 401)),
    AuthCase(
        "NUL in the value",
        _raw(b"Authorization: ", b"Bearer TOKEN\x00"),
        _statuses(400),
        problem_json=False,
    ),
    AuthCase(
        "a lone surrogate's bytes",
        _raw(b"Authorization: ", b"Bearer \xed\xa0\x80"),
        _statuses(400, 401),
    ),
    # Many.
    AuthCase(
        "the good token twice", _get((AUTH, "Bearer TOKEN"), (AUTH, "Bearer TOKEN")), _statuses(401)
    ),
    AuthCase(
        "a good and a bad token", _get((AUTH, "Bearer TOKEN"), (AUTH, "Bearer x")), _statuses(401)
    ),
    AuthCase(
        "a bad and a good token", _get((AUTH, "Bearer x"), (AUTH, "Bearer TOKEN")), _statuses(401)
    ),
    AuthCase("100 Authorization fields", _get(*[(AUTH, "Bearer TOKEN")] * 100), _statuses(401)),
    AuthCase(
        "1,000 Authorization fields",
        _get(*[(AUTH, "Bearer TOKEN")] * 1000),
        _statuses(400, 431),
        problem_json=False,
    ),
    AuthCase("two tokens in one field", _get((AUTH, "Bearer TOKEN, Bearer TOKEN")), _statuses(401)),
    # Wrong schemes and spellings.
    AuthCase(
        "Basic", _get((AUTH, "Basic " + base64.b64encode(b"alice:pw").decode())), _statuses(401)
    ),
    AuthCase("Basic with the token", _get((AUTH, "Basic TOKEN")), _statuses(401)),
    AuthCase("Digest", _get((AUTH, 'Digest username="alice", response="x"')), _statuses(401)),
    AuthCase("Negotiate", _get((AUTH, "Negotiate YIIB")), _statuses(401)),
    AuthCase("the token with no scheme", _get((AUTH, "TOKEN")), _statuses(401)),
    AuthCase("Bearer alone", _get((AUTH, "Bearer")), _statuses(401)),
    AuthCase("an empty value", _get((AUTH, "")), _statuses(401)),
    AuthCase("Bearer and a tab", _get((AUTH, "Bearer\tTOKEN")), _statuses(401)),
    AuthCase("bearer in lower case", _get((AUTH, "bearer TOKEN")), _statuses(200)),
    AuthCase("two spaces after Bearer", _get((AUTH, "Bearer  TOKEN")), _statuses(200)),
    AuthCase("a lower-case field name", _get(("authorization", "Bearer TOKEN")), _statuses(200)),
    AuthCase("the token and '='", _get((AUTH, "Bearer TOKEN=")), _statuses(401)),
    AuthCase("the token quoted", _get((AUTH, 'Bearer "TOKEN"')), _statuses(401)),
    AuthCase("the token and more", _get((AUTH, "Bearer TOKEN extra")), _statuses(401)),
    AuthCase(
        "a token68 of the right length",
        _get((AUTH, "Bearer notes_" + "+/" * 21 + "+")),
        _statuses(401),
    ),
    AuthCase(
        "Bearer with a JWT",
        _get((AUTH, "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290In0.")),
        _statuses(401),
    ),
    AuthCase(
        "Proxy-Authorization instead", _get(("Proxy-Authorization", "Bearer TOKEN")), _statuses(401)
    ),
    AuthCase(
        "an obs-fold continuation",
        _raw(b"Authorization: Bearer\r\n ", b"TOKEN"),
        _statuses(400, 401),
        problem_json=False,
    ),
    AuthCase("a bad token on /health", _get((AUTH, "Bearer x"), path="/health"), _statuses(200)),
    AuthCase("a bad token on /docs", _get((AUTH, "Basic x"), path="/docs"), _statuses(200)),
]


@contextlib.contextmanager
def _token_mode_server(
    directory: Path, postgres: PostgresDatabases | None, user: str, **env: str
) -> Iterator[tuple[ServerProcess, str]]:
    """`notes serve --auth token` on a fresh database with one user; that user's token."""
    name = None
    if postgres is not None:
        name = postgres.create_copy()
        database_url = postgres.url_for(name)
    else:
        database_url = f"sqlite+aiosqlite:///{directory / 'auth.db'}"
    settings = Settings(database_url=database_url, auto_migrate=True)
    token = asyncio.run(add_users(settings, (user,)))[user]
    server = notes_server(database_url, directory / "server.log", args=("--auth", "token"), **env)
    try:
        server.start()
        yield server, token
    finally:
        server.stop()
        if postgres is not None and name is not None:
            postgres.drop(name)


@pytest.fixture(scope="module")
def token_server(
    tmp_path_factory: pytest.TempPathFactory, tested_postgres: PostgresDatabases | None
) -> Iterator[tuple[ServerProcess, str]]:
    """A server in token mode that counts no failure against anyone; a user's token."""
    directory = tmp_path_factory.mktemp("hostile-auth")
    with _token_mode_server(
        directory, tested_postgres, "hostile", NOTES_AUTH_FAILURE_LIMIT="1000000"
    ) as started:
        yield started


async def _healthy(http: aiohttp.ClientSession, base_url: str) -> bool:
    try:
        async with http.get(f"{base_url}/health") as response:
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_hostile_authorization_gets_a_4xx_never_a_5xx(
    case: AuthCase,
    token_server: tuple[ServerProcess, str],
    http: aiohttp.ClientSession,
) -> None:
    server, token = token_server
    health = asyncio.create_task(_healthy(http, server.base_url))
    response = await exchange(server.port, case.build(token), ANSWER_WITHIN)
    assert await health, f"/health failed while {case} was being sent"
    assert response.status < 500, f"{case}: {response.status} {response.body[:300]!r}"
    assert response.status in case.allowed, f"{case}: {response.status} {response.body[:300]!r}"
    if response.status >= 400 and case.problem_json:
        assert response.content_type == PROBLEM_JSON, f"{case}: {response.headers}"
        assert json.loads(response.body)["status"] == response.status
    if response.status == 401:
        assert response.headers.get("www-authenticate", "").startswith("Bearer"), case


async def _from(address: str, port: int, request: bytes) -> RawResponse:
    """One request from a given loopback source address."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(read_response(reader), ANSWER_WITHIN)
    finally:
        writer.close()


@pytest.fixture
def limited_server(
    tmp_path: Path, tested_postgres: PostgresDatabases | None
) -> Iterator[tuple[ServerProcess, str]]:
    """A limit of 3 failures an address, 50 addresses remembered."""
    with _token_mode_server(
        tmp_path,
        tested_postgres,
        "patient",
        NOTES_AUTH_FAILURE_LIMIT="3",
        NOTES_AUTH_FAILURE_CLIENTS="50",
    ) as started:
        yield started


async def test_the_limit_is_per_address_and_its_memory_bounded(
    limited_server: tuple[ServerProcess, str], figure: FigureRecorder
) -> None:
    server, token = limited_server
    wrong = request_bytes("GET", "/notes", headers={AUTH: "Bearer x"})
    good = request_bytes("GET", "/notes", headers={AUTH: f"Bearer {token}"})
    for _ in range(3):
        assert (await _from("127.0.0.2", server.port, wrong)).status == 401
    refused = await _from("127.0.0.2", server.port, good)
    assert refused.status == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert (await _from("127.0.0.3", server.port, good)).status == 200
    # 300 addresses, each past its limit: more than the 50 remembered. The first is
    # forgotten (the bound), the server keeps serving everyone else.
    addresses = [f"127.0.{1 + n // 250}.{2 + n % 250}" for n in range(300)]
    for address in addresses:
        for _ in range(3):
            await _from(address, server.port, wrong)
    latest = await _from(addresses[-1], server.port, good)
    forgotten = await _from(addresses[0], server.port, good)
    figure(
        "failure_limiter",
        addresses=len(addresses),
        remembered_at_most=50,
        latest_address=latest.status,
        first_address_after_eviction=forgotten.status,
    )
    assert latest.status == 429
    assert forgotten.status == 200
    assert (await _from("127.0.9.9", server.port, good)).status == 200
