"""kill -9 while keyed creates are in flight; every unanswered one retried with its key.

Clients send `POST /notes` with a fresh Idempotency-Key each (v1.1, IDEM). The server
is killed mid-stream, restarted on the same database, and every create that got no
answer is sent again with its key and its body. A create that had committed before the
kill (its answer lost) must be answered as a replay; one that had not must be created
now. At the end each key has exactly one note: "N creates retried after a crash,
0 duplicates, 0 lost". On SQLite always; on PostgreSQL when NOTES_TEST_DATABASE_URL
names a server (CI requires it).
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import aiohttp
import pytest

from tests.reliability.figures import FigureRecorder
from tests.reliability.server import ServerPool
from tests.reliability.traffic import fetch_all
from tests.reliability.waiting import until

KILLS = 4
CLIENTS = 16
ANSWERS_PER_ROUND = 150


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'keys.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


class Creates:
    """What the clients sent, and which of them were answered."""

    def __init__(self) -> None:
        self.serial = itertools.count(1)
        self.sent: dict[str, dict[str, object]] = {}
        self.answered: dict[str, int] = {}

    def unanswered(self) -> list[str]:
        return [key for key in self.sent if key not in self.answered]


async def _post(
    http: aiohttp.ClientSession, base_url: str, key: str, body: dict[str, object]
) -> tuple[int, dict[str, object], bool]:
    headers = {"Idempotency-Key": key}
    async with http.post(f"{base_url}/notes", json=body, headers=headers) as response:
        note = await response.json()
        return response.status, note, response.headers.get("Idempotent-Replayed") == "true"


async def _client(
    http: aiohttp.ClientSession, base_url: str, creates: Creates, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        key = f"create-{next(creates.serial)}"
        body: dict[str, object] = {"title": key, "created_by": "retrier"}
        creates.sent[key] = body
        try:
            status, note, _ = await _post(http, base_url, key, body)
        except (TimeoutError, aiohttp.ClientError):
            return  # the server is gone: this create is unanswered
        assert status == 201, note
        creates.answered[key] = int(str(note["id"]))


async def test_kill9_then_retrying_with_keys_makes_each_note_once(
    database_url: str, servers: ServerPool, http: aiohttp.ClientSession, figure: FigureRecorder
) -> None:
    creates = Creates()
    retried = replayed = 0
    server = await servers.start(database_url)
    for _ in range(KILLS):
        stop = asyncio.Event()
        target = len(creates.answered) + ANSWERS_PER_ROUND
        clients = [
            asyncio.create_task(_client(http, server.base_url, creates, stop))
            for _ in range(CLIENTS)
        ]
        await until(
            lambda: len(creates.answered) >= target,  # noqa: B023 (awaited right here)
            within=60,
            what=f"{target} answered creates",
        )
        server.kill()
        stop.set()
        await asyncio.wait_for(asyncio.gather(*clients), timeout=60)

        server = await servers.start(database_url)
        unanswered = creates.unanswered()
        assert unanswered, "the kill caught no create in flight"
        for key in unanswered:
            status, note, was_replayed = await _post(http, server.base_url, key, creates.sent[key])
            assert status == 201, note
            assert note["title"] == key
            creates.answered[key] = int(str(note["id"]))
            retried += 1
            replayed += was_replayed

    stored = await fetch_all(http, server.base_url)
    titles = [str(note["title"]) for note in stored.values()]
    duplicates = len(titles) - len(set(titles))
    lost = len(set(creates.sent) - set(titles))
    unexpected = set(titles) - set(creates.sent)
    backend = database_url.split("+", 1)[0]
    figure(
        f"idempotent-retries[{backend}]",
        kills=KILLS,
        creates=len(creates.sent),
        retried_after_a_crash=retried,
        of_which_had_committed=replayed,
        duplicates=duplicates,
        lost=lost,
    )
    print(f"{retried} creates retried after a crash, {duplicates} duplicates, {lost} lost")
    assert (duplicates, lost, unexpected) == (0, 0, set())
    assert {creates.answered[key] for key in creates.sent} == set(stored)
