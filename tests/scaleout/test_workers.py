"""`notes serve --workers 2`: one port, two processes, one SQLite file.

Writes from both workers meet in the file (busy timeout, not 5xx); a worker killed
outright is replaced while the other keeps the port answering; SIGTERM to the
supervisor lets every worker finish what it accepted, then everything exits 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from notes.process import ServerProcess
from tests.procfs import is_running, worker_pids
from tests.scaleout.client import (
    OPERATIONS,
    conditional_write,
    create_note,
    get_note,
    http_session,
    unique,
    walk,
)
from tests.scaleout.conftest import StartServer
from tests.scaleout.processes import RUNNING_LINE, notes_server

WRITE_CLIENTS = 48
CREATES_PER_CLIENT = 5
WAIT_LIMIT = 60.0


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _stored_ids(path: Path, owner: str) -> set[int]:
    with sqlite3.connect(path, timeout=30) as connection:
        rows = connection.execute("SELECT id FROM notes WHERE created_by = ?", (owner,))
        return {row[0] for row in rows}


def _wait_for_workers(server: ServerProcess, count: int) -> set[int]:
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        pids = worker_pids(server.pid)
        if len(pids) == count:
            return set(pids)
        time.sleep(0.1)
    raise AssertionError(f"expected {count} workers of {server.pid}, found {pids}")


def _has_open(pid: int, path: Path) -> bool:
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if fd.readlink() == path:
                return True
        except OSError:
            continue
    return False


async def _health_statuses(base_url: str, count: int) -> Counter[int]:
    async with http_session(fresh_connections=True) as session:
        statuses: Counter[int] = Counter()
        for _ in range(count):
            async with session.get(f"{base_url}/health") as response:
                statuses[response.status] += 1
        return statuses


@pytest.fixture(scope="module")
def sqlite_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One `--workers 2` server on a SQLite file, shared by the tests that leave it up."""
    directory = tmp_path_factory.mktemp("workers")
    server = notes_server(
        database_url=_sqlite_url(directory / "notes.db"),
        log_path=directory / "server.log",
        workers=2,
    )
    try:
        yield server.wait_ready()
        assert server.stop() == 0, server.log_text()
    finally:
        server.stop()


def _database_path(server: ServerProcess) -> Path:
    return server.log_path.parent / "notes.db"


async def test_sqlite_writes_from_two_workers_all_succeed(sqlite_workers: ServerProcess) -> None:
    server = sqlite_workers
    database = _database_path(server)
    owner = unique("sqlite-writes")

    async def client(number: int) -> Counter[int]:
        statuses: Counter[int] = Counter()
        async with http_session(fresh_connections=True) as session:
            for index in range(CREATES_PER_CLIENT):
                fields = {"title": f"{number}/{index}", "created_by": owner}
                async with session.post(f"{server.base_url}/notes", json=fields) as response:
                    statuses[response.status] += 1
                    if response.status != 201:
                        continue
                    note, etag = await response.json(), response.headers["ETag"]
                async with session.patch(
                    f"{server.base_url}/notes/{note['id']}",
                    json={"priority": index + 1},
                    headers={"If-Match": etag},
                ) as response:
                    statuses[response.status] += 1
        return statuses

    results = await asyncio.gather(*(client(number) for number in range(WRITE_CLIENTS)))
    statuses = sum(results, Counter[int]())
    writes = WRITE_CLIENTS * CREATES_PER_CLIENT
    assert statuses == {201: writes, 200: writes}, server.log_text()
    async with http_session() as session:
        listed = await walk(
            session, server.base_url, {"created_by": owner, "limit": "100"}, max_pages=writes
        )
    assert len(listed) == writes
    assert {note["title"] for note in listed} == {
        f"{number}/{index}"
        for number in range(WRITE_CLIENTS)
        for index in range(CREATES_PER_CLIENT)
    }
    assert all(note["priority"] == int(note["title"].split("/")[1]) + 1 for note in listed)
    assert len(_stored_ids(database, owner)) == writes
    workers = _wait_for_workers(server, 2)
    assert all(_has_open(pid, database) for pid in workers), "one worker served nothing"


SQLITE_RACE_ROUNDS = 12
SQLITE_CONTENDERS = 8


async def test_if_match_races_between_sqlite_workers_have_exactly_one_winner(
    sqlite_workers: ServerProcess,
) -> None:
    server = sqlite_workers
    owner = unique("sqlite-race")
    # New connections for every request: SO_REUSEPORT spreads them over both workers.
    async with http_session(fresh_connections=True) as session:
        for round_number in range(SQLITE_RACE_ROUNDS):
            note, etag = await create_note(
                session, server.base_url, {"title": f"round {round_number}", "created_by": owner}
            )
            attempts = await asyncio.gather(
                *(
                    conditional_write(
                        session,
                        contender=i,
                        method=OPERATIONS[(i + round_number) % len(OPERATIONS)],
                        base_url=server.base_url,
                        note_id=note["id"],
                        etag=etag,
                        owner=owner,
                    )
                    for i in range(SQLITE_CONTENDERS)
                )
            )
            winners = [a for a in attempts if a.status in (200, 204)]
            statuses = sorted((a.status, a.method) for a in attempts)
            assert len(winners) == 1, statuses
            winner = winners[0]
            allowed = {412, 404} if winner.method == "DELETE" else {412}
            assert {a.status for a in attempts if a is not winner} <= allowed, statuses
            expected = (
                (404, None, None)
                if winner.method == "DELETE"
                else (
                    200,
                    winner.body,
                    winner.etag,
                )
            )
            assert await get_note(session, server.base_url, note["id"]) == expected


async def test_a_killed_worker_is_replaced_and_the_port_keeps_answering(
    sqlite_workers: ServerProcess,
) -> None:
    server = sqlite_workers
    before = _wait_for_workers(server, 2)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    for _ in range(int(WAIT_LIMIT / 0.05)):
        if not is_running(victim):
            break
        await asyncio.sleep(0.05)
    assert not is_running(victim)
    deadline = time.monotonic() + WAIT_LIMIT
    # The surviving worker answers alone while the supervisor starts a new one.
    assert await _health_statuses(server.base_url, 20) == {200: 20}
    after = _wait_for_workers(server, 2)
    while (after == before or server.log_text().count(RUNNING_LINE) < 3) and (
        time.monotonic() < deadline
    ):
        await asyncio.sleep(0.1)
        after = _wait_for_workers(server, 2)
    assert victim not in after
    assert len(after - before) == 1
    assert server.log_text().count(RUNNING_LINE) == 3
    assert "replacing it" in server.log_text()
    assert await _health_statuses(server.base_url, 20) == {200: 20}


DRAIN_CLIENTS = 32
DRAIN_REQUESTS_PER_CLIENT = 40
SIGNAL_AFTER = 64


async def test_sigterm_drains_every_worker_and_exits_zero(
    start_server: StartServer, tmp_path: Path
) -> None:
    """SIGTERM to the supervisor, which passes it on. (To the whole process group, each
    worker gets it twice and may die mid-drain: see test_connections.py's strict xfail
    test_sigterm_waits_for_requests_in_flight[2].)"""
    database = tmp_path / "notes.db"
    server = start_server(_sqlite_url(database), workers=2).wait_ready()
    workers = _wait_for_workers(server, 2)
    owner = unique("drain")
    acknowledged: list[int] = []
    statuses: Counter[int] = Counter()
    refused: Counter[str] = Counter()
    signalled = asyncio.Event()

    async def client(number: int) -> None:
        async with http_session(fresh_connections=True) as session:
            for index in range(DRAIN_REQUESTS_PER_CLIENT):
                fields = {"title": f"{number}/{index}", "created_by": owner}
                try:
                    note, _ = await create_note(session, server.base_url, fields)
                except aiohttp.ClientConnectionError as error:
                    # After the signal, no new connection is accepted: expected then only.
                    if not signalled.is_set():
                        raise AssertionError("connection failed before SIGTERM") from error
                    refused[type(error).__name__] += 1
                    return
                statuses[201] += 1
                acknowledged.append(note["id"])
                if len(acknowledged) == SIGNAL_AFTER:
                    server.send_signal(signal.SIGTERM)
                    signalled.set()

    await asyncio.gather(*(client(number) for number in range(DRAIN_CLIENTS)))
    assert signalled.is_set()
    assert await asyncio.to_thread(server.wait) == 0, server.log_text()
    assert not any(is_running(pid) for pid in workers)
    assert set(statuses) == {201}
    assert len(acknowledged) == len(set(acknowledged))
    # Every acknowledged write is stored, and nothing was stored unacknowledged:
    # each request a worker took on was finished and answered.
    assert _stored_ids(database, owner) == set(acknowledged)
    assert sum(refused.values()) > 0, "the load ended before the signal could matter"
