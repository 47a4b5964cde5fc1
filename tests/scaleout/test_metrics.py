"""`notes serve --workers 2` with NOTES_METRICS=on: /metrics, whichever worker answers
it, reports the figures of both (prometheus-client's multiprocess mode, in a folder
the supervisor makes and removes); a worker that dies keeps its counts but no longer
adds to the gauges.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from notes.process import ServerProcess
from tests.procfs import worker_pids
from tests.reliability.waiting import until
from tests.scaleout.client import http_session
from tests.scaleout.conftest import StartServer

REQUESTS = 120
ANSWERS = "notes_http_request_duration_seconds_count"
MULTIPROCESS_DIR_ENV = b"PROMETHEUS_MULTIPROC_DIR="
WAIT_LIMIT = 60.0


def _value(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def _metrics_dir(pid: int) -> Path:
    for variable in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
        if variable.startswith(MULTIPROCESS_DIR_ENV):
            return Path(variable.removeprefix(MULTIPROCESS_DIR_ENV).decode())
    raise AssertionError(f"worker {pid} has no {MULTIPROCESS_DIR_ENV.decode()}")


def _workers(
    server: ServerProcess, count: int, *, other_than: frozenset[int] = frozenset()
) -> set[int]:
    deadline = time.monotonic() + WAIT_LIMIT
    while time.monotonic() < deadline:
        pids = set(worker_pids(server.pid)) - other_than
        if len(pids) == count:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"expected {count} workers of {server.pid}: {server.log_tail()}")


async def _scrapes(session: aiohttp.ClientSession, base_url: str, count: int) -> list[str]:
    texts = []
    for _ in range(count):
        async with session.get(f"{base_url}/metrics") as response:
            assert response.status == 200
            texts.append(await response.text())
    return texts


async def test_metrics_of_two_workers_add_up(start_server: StartServer, postgres_url: str) -> None:
    server = start_server(postgres_url, workers=2, env={"NOTES_METRICS": "on"}).wait_ready()
    first, second = sorted(_workers(server, 2))
    directory = _metrics_dir(first)
    assert _metrics_dir(second) == directory
    async with http_session(fresh_connections=True) as session:
        for index in range(REQUESTS):
            path = "/health/live" if index % 2 else f"/notes/{index + 1}"
            async with session.get(f"{server.base_url}{path}") as response:
                assert response.status in (200, 404)
        # Each request on a new connection: the kernel spreads them over both workers,
        # and each scrape may be answered by either; every one reports the sum.
        scrapes = await _scrapes(session, server.base_url, 6)
    written = {path.name for path in directory.iterdir()}
    assert {f"counter_{first}.db", f"counter_{second}.db"} <= written, written
    for text in scrapes:
        live = {"method": "GET", "route": "/health/live", "status": "2xx"}
        assert _value(text, ANSWERS, **live) == REQUESTS // 2
        reads = {"method": "GET", "route": "/notes/{note_id}", "status": "4xx"}
        assert _value(text, ANSWERS, **reads) == REQUESTS // 2
        assert _value(text, "notes_database_wait_seconds_count", operation="read") == REQUESTS // 2
        assert _value(text, "notes_http_problems_total", type="NoteNotFound") == REQUESTS // 2
        assert _value(text, "notes_postgres_pool_connections") >= 2  # one at least in each
        assert _value(text, "notes_http_requests_in_flight") >= 1  # the scrape itself
    # A worker that dies is replaced; its counts stay, its live gauges go.
    os.kill(first, signal.SIGKILL)
    (replacement,) = _workers(server, 1, other_than=frozenset({second}))
    server.wait_ready()
    gauges = directory / f"gauge_livesum_{first}.db"
    await until(lambda: not gauges.exists(), within=WAIT_LIMIT, what="the dead worker's gauges go")
    async with http_session(fresh_connections=True) as session:
        for text in await _scrapes(session, server.base_url, 4):
            live = {"method": "GET", "route": "/health/live", "status": "2xx"}
            assert _value(text, ANSWERS, **live) == REQUESTS // 2
    assert server.stop() == 0, server.log_text()
    assert not directory.exists(), "the supervisor leaves no metrics folder behind"
    assert replacement != first
