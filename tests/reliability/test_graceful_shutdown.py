"""SIGTERM under load: in-flight requests finish, new connections are refused, exit 0.

The load is concurrent listings of 1000 notes of 10,000 characters (slow: about 10 MB
each) and concurrent writers. Besides, a few requests are provably in flight when
SIGTERM comes: listings whose client has read the status line and then stops reading,
so that the server's handler is still writing the rest when the signal arrives. Each
must still be delivered whole after SIGTERM, once the port refuses new connections.

A request whose *body* is still arriving when SIGTERM comes is another matter: see
``test_sigterm_lets_a_request_whose_body_is_arriving_finish`` (a known failure).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from pathlib import Path

import aiohttp
import pytest

from notes.process import LOOPBACK as HOST
from notes.process import ServerProcess
from tests.reliability.figures import FigureRecorder
from tests.reliability.ledger import Ledger, check
from tests.reliability.rawhttp import RawConnection, RawConnections, ResponseHead, request_bytes
from tests.reliability.server import ServerPool
from tests.reliability.traffic import (
    ReadLog,
    fetch_all,
    read_stream,
    seed_notes,
    write_stream,
)
from tests.reliability.waiting import until

SHUTDOWN_TIMEOUT = 15.0
DATABASE_TIMEOUT = 5.0
# Generous: only a hang should ever reach it. aiohttp waits up to the shutdown timeout
# for handlers, then as long again for cancelled ones; closing the database comes after.
EXIT_BOUND = 2 * SHUTDOWN_TIMEOUT + 2 * DATABASE_TIMEOUT + 15
SEEDED = 1000
DESCRIPTION = 9000
READERS = 8
WRITERS = 16
PROBES = 6
# Small enough that a probe which stops reading blocks the server's handler mid-answer.
PROBE_RECEIVE_BUFFER = 4096
LISTING = "/notes?limit=1000"


async def _refused(port: int) -> bool:
    try:
        _reader, writer = await asyncio.open_connection(HOST, port)
    # A reset instead of a refusal: the listening socket closed while our connection sat in
    # its accept queue, never accepted. Either way the server takes no new connection.
    except (ConnectionRefusedError, ConnectionResetError):
        return True
    writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await writer.wait_closed()
    return False


async def _wait_refused(port: int) -> None:
    for _ in range(500):
        if await _refused(port):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"port {port} still accepts connections after SIGTERM")


async def _open_upload(
    connections: RawConnections, server: ServerProcess, title: str
) -> tuple[RawConnection, bytes]:
    """A POST whose handler is running (100 Continue received) but whose body is held back."""
    body = json.dumps({"title": title, "created_by": "probe", "description": "in flight"})
    head = request_bytes(
        "POST",
        "/notes",
        b"",
        headers={"Expect": "100-continue", "Content-Length": str(len(body))},
    )
    connection = await connections.open(server.port)
    await connection.send(head)
    interim = await connection.response(within=30)
    assert interim.status == 100, interim
    return connection, body.encode()


async def _open_slow_reader(
    connections: RawConnections, server: ServerProcess
) -> tuple[RawConnection, ResponseHead]:
    """A listing whose client read the status line only: its handler is still writing."""
    connection = await connections.open(server.port, receive_buffer=PROBE_RECEIVE_BUFFER)
    await connection.send(request_bytes("GET", LISTING))
    head = await connection.head(within=60)
    assert head.status == 200, head
    return connection, head


def _environment() -> dict[str, str]:
    return {
        "NOTES_SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT),
        "NOTES_DATABASE_TIMEOUT": str(DATABASE_TIMEOUT),
    }


async def test_sigterm_under_load_drains_in_flight_requests_and_exits_0(
    servers: ServerPool,
    tmp_path: Path,
    http: aiohttp.ClientSession,
    figure: FigureRecorder,
    raw_connections: RawConnections,
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'sigterm.db'}"
    server = await servers.start(database_url, **_environment())
    ledger = Ledger()
    await seed_notes(http, server.base_url, ledger, count=SEEDED, description_size=DESCRIPTION)

    stop = asyncio.Event()
    reads = ReadLog()
    tasks = [
        asyncio.create_task(
            read_stream(http, f"{server.base_url}{LISTING}", reads, stop=stop, max_ops=1000)
        )
        for _ in range(READERS)
    ]
    tasks += [
        asyncio.create_task(
            write_stream(http, server.base_url, ledger, worker=w, stop=stop, max_ops=100_000)
        )
        for w in range(WRITERS)
    ]
    probes = await asyncio.gather(
        *(_open_slow_reader(raw_connections, server) for _ in range(PROBES))
    )
    await until(lambda: len(reads.requests) >= READERS, within=60, what="listings under load")
    acknowledged_before = ledger.acknowledged_writes

    server.terminate()
    signalled = time.monotonic()
    await _wait_refused(server.port)
    assert server.alive(), "the server exited before its in-flight requests were answered"

    delivered = 0
    for connection, head in probes:
        with contextlib.suppress(ConnectionError, OSError, asyncio.IncompleteReadError):
            page = json.loads(await connection.body(head, within=SHUTDOWN_TIMEOUT + 10))
            delivered += len(page["notes"]) == 1000
        await connection.close()

    code = await asyncio.to_thread(server.exit_code, EXIT_BOUND)
    exited_after = time.monotonic() - signalled
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)

    completed_reads = sum(
        1 for sent, done, status in reads.requests if sent < signalled < done and status == 200
    )
    completed_writes = sum(
        1 for done, status in ledger.answers if done > signalled and 200 <= status < 300
    )
    cut_reads = sum(1 for sent, _done, status in reads.requests if status == 0 and sent < signalled)
    refused = sum(1 for sent, _done, status in reads.requests if status == 0 and sent >= signalled)
    restarted = await servers.start(database_url, **_environment())
    verdict = check(ledger, await fetch_all(http, restarted.base_url))
    figure(
        "sigterm",
        in_flight_probes=PROBES,
        probes_delivered_whole=delivered,
        completed_after_sigterm=completed_reads + completed_writes + delivered,
        listings_completed_after_sigterm=completed_reads,
        writes_acknowledged_after_sigterm=ledger.acknowledged_writes - acknowledged_before,
        listings_cut=cut_reads,
        requests_refused_or_cut=cut_reads + refused + ledger.transport_errors,
        exit_code=-1 if code is None else code,
        exit_seconds=exited_after,
        acknowledged=verdict.acknowledged,
        present=verdict.present,
        lost=len(verdict.lost),
    )
    assert delivered == PROBES
    assert code == 0, server.log_tail()
    assert reads.server_errors == 0
    assert ledger.server_errors == 0, ledger.statuses
    assert not verdict.lost, "\n".join(verdict.lost[:10])
    assert not verdict.unexpected, "\n".join(verdict.unexpected[:10])
    assert "Traceback" not in server.log_text(), server.log_tail()


async def test_sigterm_gives_up_on_a_request_past_the_shutdown_timeout(
    servers: ServerPool,
    tmp_path: Path,
    http: aiohttp.ClientSession,
    figure: FigureRecorder,
    raw_connections: RawConnections,
) -> None:
    shutdown_timeout = 1.0
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'sigterm-timeout.db'}"
    env = {**_environment(), "NOTES_SHUTDOWN_TIMEOUT": str(shutdown_timeout)}
    server = await servers.start(database_url, **env)
    connection, _body = await _open_upload(raw_connections, server, "never-finished")

    server.terminate()
    signalled = time.monotonic()
    bound = 2 * shutdown_timeout + 2 * DATABASE_TIMEOUT + 15
    code = await asyncio.to_thread(server.exit_code, bound)
    exited_after = time.monotonic() - signalled
    try:
        answer = await connection.response(within=5)
        status = answer.status
    except (ConnectionError, OSError, asyncio.IncompleteReadError):
        status = 0
    await connection.close()

    restarted = await servers.start(database_url, **env)
    stored = await fetch_all(http, restarted.base_url)
    figure(
        "sigterm_timeout",
        shutdown_timeout=shutdown_timeout,
        exit_code=-1 if code is None else code,
        exit_seconds=exited_after,
        held_request_status=status,
        stored=len(stored),
    )
    assert code == 0, server.log_tail()
    assert not 200 <= status < 300, "a request whose body never came was acknowledged"
    assert status < 500 or status == 503, f"the held request got {status}"
    assert stored == {}


@pytest.mark.xfail(
    reason="aiohttp's graceful shutdown drops the rest of a request body that arrives after "
    "SIGTERM (RequestHandler.data_received returns early once pre_shutdown() set _close): the "
    "handler waits for it until shutdown_timeout, is cancelled, and the client gets a closed "
    "connection with no answer",
    strict=True,
)
async def test_sigterm_lets_a_request_whose_body_is_arriving_finish(
    servers: ServerPool,
    tmp_path: Path,
    http: aiohttp.ClientSession,
    figure: FigureRecorder,
    raw_connections: RawConnections,
) -> None:
    shutdown_timeout = 3.0
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'sigterm-upload.db'}"
    env = {**_environment(), "NOTES_SHUTDOWN_TIMEOUT": str(shutdown_timeout)}
    server = await servers.start(database_url, **env)
    connection, body = await _open_upload(raw_connections, server, "arriving")

    server.terminate()
    await _wait_refused(server.port)
    status = 0
    with contextlib.suppress(ConnectionError, OSError, asyncio.IncompleteReadError):
        await connection.send(body)
        status = (await connection.response(within=shutdown_timeout + 10)).status
    await connection.close()
    code = await asyncio.to_thread(
        server.exit_code, 2 * shutdown_timeout + 2 * DATABASE_TIMEOUT + 15
    )
    figure("sigterm_upload_in_flight", answer_status=status, exit_code=-1 if code is None else code)
    assert code == 0
    assert status == 201
