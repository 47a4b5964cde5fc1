"""The load generator against a tiny in-process server: what counts, what is an error.

Closed-loop runs are bounded by a request count, open-loop runs by their timetable's
count of requests; nothing here depends on how fast they go.
"""

from __future__ import annotations

import time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from notes_bench.histogram import Latencies
from notes_bench.loadgen import WorkerResult, WorkerSpec, generate_load


class FakeNotes:
    """ETags that change on every PUT, and a list endpoint that always fails."""

    def __init__(self, put_sends_etag: bool = True) -> None:
        self.versions = {1: 0, 2: 0, 3: 0, 4: 0}
        self.put_sends_etag = put_sends_etag
        self.puts = 0

    def etag(self, note_id: int) -> str:
        return f'"{note_id}-{self.versions[note_id]}"'

    async def get(self, request: web.Request) -> web.Response:
        note_id = int(request.match_info["id"])
        return web.json_response({"id": note_id}, headers={"ETag": self.etag(note_id)})

    async def put(self, request: web.Request) -> web.Response:
        note_id = int(request.match_info["id"])
        if request.headers.get("If-Match") != self.etag(note_id):
            return web.json_response({}, status=412)
        await request.read()
        self.versions[note_id] += 1
        self.puts += 1
        headers = {"ETag": self.etag(note_id)} if self.put_sends_etag else {}
        return web.json_response({"id": note_id}, headers=headers)

    async def list(self, request: web.Request) -> web.Response:
        return web.json_response({}, status=500)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/notes/{id}", self.get)
        app.router.add_put("/notes/{id}", self.put)
        app.router.add_get("/notes", self.list)
        return app


async def _run(
    url: str, operations: tuple[tuple[str, float], ...], **extra: object
) -> WorkerResult:
    spec_fields: dict[str, object] = {
        "index": 0,
        "url": url,
        "operations": operations,
        "concurrency": 2,
        "warmup_s": 0.0,
        "duration_s": None,
        "requests": 40,
        "time_limit_s": 60.0,
        "timeout_s": 10.0,
        "read_ids": (1, 2, 3, 4),
        "owned": ((1, 3), (2, 4)),
        "etags": {},
        "random_seed": 7,
        **extra,
    }
    spec = WorkerSpec(**spec_fields)  # type: ignore[arg-type]

    async def start() -> float:
        return time.monotonic()

    reports: list[tuple[int, int]] = []
    result = await generate_load(spec, start, lambda done, errors: reports.append((done, errors)))
    errors = sum(result.recorded.errors.values())
    assert reports[-1] == (_successes(result) + errors, errors)
    return result


def _successes(result: WorkerResult) -> int:
    return Latencies.decode(result.recorded.latencies).count


@pytest.mark.parametrize("put_sends_etag", [True, False])
async def test_updates_chain_etags_and_never_conflict(put_sends_etag: bool) -> None:
    notes = FakeNotes(put_sends_etag)
    async with TestServer(notes.app()) as server:
        result = await _run(str(server.make_url("")), (("update", 1.0),))
    assert result.recorded.errors == {}
    assert _successes(result) == 40
    assert notes.puts == 40
    if put_sends_etag:
        assert result.etags == {note_id: notes.etag(note_id) for note_id in (1, 2, 3, 4)}
    else:
        assert result.etags == {}


async def test_a_stale_etag_is_a_412_error_and_is_then_read_again() -> None:
    notes = FakeNotes()
    async with TestServer(notes.app()) as server:
        result = await _run(
            str(server.make_url("")),
            (("update", 1.0),),
            etags={1: '"stale"'},
            owned=((1,),),
            concurrency=1,
        )
    assert result.recorded.errors == {"412": 1}
    assert _successes(result) == 39


async def test_non_2xx_answers_are_errors_not_throughput() -> None:
    async with TestServer(FakeNotes().app()) as server:
        result = await _run(str(server.make_url("")), (("list", 1.0),))
    assert result.recorded.errors == {"500": 40}
    assert _successes(result) == 0


async def test_a_refused_connection_is_a_connection_error() -> None:
    server = TestServer(FakeNotes().app())
    await server.start_server()
    url = str(server.make_url(""))
    await server.close()
    result = await _run(url, (("read", 1.0),), requests=3)
    assert result.recorded.errors == {"connection": 3}


async def test_mixed_sends_each_operation_by_weight() -> None:
    notes = FakeNotes()
    async with TestServer(notes.app()) as server:
        result = await _run(
            str(server.make_url("")), (("read", 1.0), ("update", 1.0), ("list", 2.0)), requests=400
        )
    failed_lists = result.recorded.errors.pop("500")
    assert result.recorded.errors == {}
    assert failed_lists + _successes(result) == 400
    # 400 draws at p = 0.5: these bounds are ten standard deviations wide.
    assert 100 < failed_lists < 300
    assert notes.puts > 0


async def _open_loop(**extra: object) -> WorkerResult:
    """Reads on a timetable of 200 requests/s, against a fresh server."""
    async with TestServer(FakeNotes().app()) as server:
        fields: dict[str, object] = {"requests": None, "rate": 200.0, "warmup_s": 0.0, **extra}
        return await _run(str(server.make_url("")), (("read", 1.0),), **fields)


async def test_an_open_loop_sends_what_its_timetable_holds() -> None:
    result = await _open_loop(total_connections=2, warmup_s=0.1, duration_s=0.5)
    # 200/s over 0.5 s: 100 requests due in the window, whatever the server's speed.
    assert result.recorded.errors == {}
    assert _successes(result) == 100
    assert result.measured_until - result.measured_from >= 0.5


async def test_an_open_loop_shares_the_timetable_with_other_processes() -> None:
    result = await _open_loop(
        concurrency=1, first_connection=1, total_connections=4, duration_s=0.5
    )
    # One connection of four: every fourth of the 100 requests due.
    assert _successes(result) == 25


async def test_a_request_left_unsent_past_the_drain_is_behind() -> None:
    result = await _open_loop(
        rate=1_000_000.0, concurrency=1, total_connections=1, duration_s=0.01, timeout_s=0.001
    )
    # 10,000 requests due in 10 ms, sent one at a time: most are still unsent when the
    # drain ends, and are counted, not dropped (a sent one may time out).
    assert _successes(result) + sum(result.recorded.errors.values()) == 10_000
    assert result.recorded.errors["behind"] > 0
