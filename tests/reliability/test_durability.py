"""kill -9 in the middle of a stream of writes loses no acknowledged write.

A real `notes serve` process takes concurrent POST/PUT/DELETE from many writers; when
enough writes are acknowledged it gets SIGKILL, mid-stream, with writes in flight.
It is restarted on the same SQLite file, and every note is read back: each must hold
the body of its last acknowledged write (deleted ones are gone), and nothing may be
stored that no client sent. Writes in flight at the kill may land or not.

Both `NOTES_SQLITE_SYNCHRONOUS` modes are run. This proves survival of a *process*
kill only, where the operating system's page cache survives: with `FULL` each commit
is fsynced before it is acknowledged, so it also survives a power loss or kernel
crash; with `NORMAL` (WAL) commits are not fsynced, so a power loss may roll back the
last acknowledged transactions (the database stays consistent, never corrupt).
Simulating a power loss needs a block-device layer (dm-log-writes, a VM) that this
suite does not have.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from tests.reliability.figures import FigureRecorder
from tests.reliability.ledger import Ledger, check
from tests.reliability.server import ServerPool
from tests.reliability.traffic import count_deleted_found, fetch_all, write_stream
from tests.reliability.waiting import until

WRITERS = 24
ROUNDS = 2
ACKS_PER_ROUND = 400


@pytest.mark.parametrize("synchronous", ["FULL", "NORMAL"])
async def test_kill9_loses_no_acknowledged_write(
    synchronous: str,
    servers: ServerPool,
    tmp_path: Path,
    http: aiohttp.ClientSession,
    figure: FigureRecorder,
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'kill9.db'}"
    env = {"NOTES_SQLITE_SYNCHRONOUS": synchronous}
    ledger = Ledger()
    server = await servers.start(database_url, **env)
    in_flight = landed = 0
    for round_ in range(ROUNDS):
        stop = asyncio.Event()
        target = ledger.acknowledged_writes + ACKS_PER_ROUND
        writers = [
            asyncio.create_task(
                write_stream(
                    http,
                    server.base_url,
                    ledger,
                    worker=round_ * WRITERS + worker,
                    stop=stop,
                    max_ops=10 * ACKS_PER_ROUND,
                    seed=round_,
                )
            )
            for worker in range(WRITERS)
        ]
        await until(
            lambda: ledger.acknowledged_writes >= target,  # noqa: B023 (awaited right here)
            within=60,
            what=f"{target} acknowledged writes",
        )
        server.kill()
        stop.set()
        await asyncio.wait_for(asyncio.gather(*writers), timeout=60)
        assert ledger.server_errors == 0, f"5xx before the kill: {ledger.statuses}"

        server = await servers.start(database_url, **env)
        stored = await fetch_all(http, server.base_url)
        verdict = check(ledger, stored)
        assert verdict.pending > 0, "the kill did not catch any write in flight"
        assert not verdict.lost, "\n".join(verdict.lost[:10])
        assert not verdict.unexpected, "\n".join(verdict.unexpected[:10])
        assert await count_deleted_found(http, server.base_url, ledger) == 0
        in_flight += verdict.pending
        landed += verdict.pending_landed
        ledger.settle(stored)

    verdict = check(ledger, await fetch_all(http, server.base_url))
    figure(
        f"kill9[synchronous={synchronous}]",
        kills=ROUNDS,
        acknowledged_writes=ledger.acknowledged_writes,
        acknowledged=verdict.acknowledged,
        present=verdict.present,
        lost=len(verdict.lost),
        in_flight_at_kill=in_flight,
        in_flight_landed=landed,
    )
    assert verdict.present == verdict.acknowledged
