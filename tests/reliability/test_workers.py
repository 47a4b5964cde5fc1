"""`notes serve --workers 2`: a worker killed with -9 is replaced; SIGTERM drains them all.

The supervisor starts the workers, replaces one that dies, and on SIGTERM passes the
signal on and waits for each to drain. Acknowledged writes survive both, whichever
worker took them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import aiohttp

from notes.process import ServerProcess
from tests.procfs import is_running, worker_pids
from tests.reliability.figures import FigureRecorder
from tests.reliability.ledger import Ledger, check
from tests.reliability.server import ServerPool
from tests.reliability.traffic import fetch_all, write_stream
from tests.reliability.waiting import until

WORKERS = 2
WRITERS = 16
SHUTDOWN_TIMEOUT = 10.0


async def _stream(
    http: aiohttp.ClientSession, server: ServerProcess, ledger: Ledger, first_worker: int
) -> tuple[asyncio.Event, list[asyncio.Task[None]]]:
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(
            write_stream(
                http, server.base_url, ledger, worker=first_worker + w, stop=stop, max_ops=10_000
            )
        )
        for w in range(WRITERS)
    ]
    return stop, tasks


async def test_workers_survive_a_kill9_and_drain_on_sigterm(
    servers: ServerPool, tmp_path: Path, figure: FigureRecorder
) -> None:
    try:
        await _survive_and_drain(servers, tmp_path, figure)
    except AssertionError as failure:
        logs = "\n".join(f"--- {server.log_path.name}\n{server.log_tail()}" for server in servers)
        raise AssertionError(f"{failure}\n{logs}") from failure


async def _survive_and_drain(servers: ServerPool, tmp_path: Path, figure: FigureRecorder) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'workers.db'}"
    env = {"NOTES_SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT)}
    server = await servers.start(database_url, args=["--workers", str(WORKERS)], **env)
    await until(lambda: len(worker_pids(server.pid)) == WORKERS, within=30, what="both workers")
    ledger = Ledger()
    # A session per phase: connections to a killed worker must not be reused.
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        stop, tasks = await _stream(http, server, ledger, 0)
        await until(lambda: ledger.acknowledged_writes >= 300, within=60, what="300 writes")
        victim = worker_pids(server.pid)[0]
        os.kill(victim, signal.SIGKILL)
        await until(
            lambda: (
                victim not in worker_pids(server.pid) and len(worker_pids(server.pid)) == WORKERS
            ),
            within=30,
            what="the killed worker's replacement",
        )
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    acknowledged_at_kill = ledger.acknowledged_writes

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        after_kill = check(ledger, await fetch_all(http, server.base_url))
        ledger.settle(await fetch_all(http, server.base_url))
        stop, tasks = await _stream(http, server, ledger, WRITERS)
        target = ledger.acknowledged_writes + 300
        await until(lambda: ledger.acknowledged_writes >= target, within=60, what="300 writes")
        workers = worker_pids(server.pid)
        server.terminate()
        signalled = time.monotonic()
        code = await asyncio.to_thread(server.exit_code, 2 * SHUTDOWN_TIMEOUT + 30)
        exited_after = time.monotonic() - signalled
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)

    survivors = [pid for pid in workers if is_running(pid)]
    restarted = await servers.start(database_url)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        verdict = check(ledger, await fetch_all(http, restarted.base_url))
    figure(
        "workers",
        workers=WORKERS,
        acknowledged_before_worker_kill9=acknowledged_at_kill,
        lost_after_worker_kill9=len(after_kill.lost),
        acknowledged_writes=ledger.acknowledged_writes,
        acknowledged=verdict.acknowledged,
        lost=len(verdict.lost),
        answers_5xx=ledger.server_errors,
        supervisor_exit_code=-1 if code is None else code,
        exit_seconds=exited_after,
        workers_left_running=len(survivors),
    )
    assert not after_kill.lost, "\n".join(after_kill.lost[:10])
    assert not after_kill.unexpected, "\n".join(after_kill.unexpected[:10])
    assert code == 0, server.log_tail()
    assert survivors == []
    assert ledger.server_errors == 0, ledger.statuses
    assert not verdict.lost, "\n".join(verdict.lost[:10])
    assert not verdict.unexpected, "\n".join(verdict.unexpected[:10])
