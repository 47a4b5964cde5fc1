"""The load generator against a tiny in-process server: what counts, what is an error.

Runs are bounded by a request count; nothing here depends on how fast they go.
"""

from __future__ import annotations

import time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from benchmarks.loadgen import WorkerResult, WorkerSpec, generate_load


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
    assert reports[-1] == (
        len(result.latencies_ns) + sum(result.errors.values()),
        sum(result.errors.values()),
    )
    return result


@pytest.mark.parametrize("put_sends_etag", [True, False])
async def test_updates_chain_etags_and_never_conflict(put_sends_etag: bool) -> None:
    notes = FakeNotes(put_sends_etag)
    async with TestServer(notes.app()) as server:
        result = await _run(str(server.make_url("")), (("update", 1.0),))
    assert result.errors == {}
    assert len(result.latencies_ns) == 40
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
    assert result.errors == {"412": 1}
    assert len(result.latencies_ns) == 39


async def test_non_2xx_answers_are_errors_not_throughput() -> None:
    async with TestServer(FakeNotes().app()) as server:
        result = await _run(str(server.make_url("")), (("list", 1.0),))
    assert result.errors == {"500": 40}
    assert len(result.latencies_ns) == 0


async def test_a_refused_connection_is_a_connection_error() -> None:
    server = TestServer(FakeNotes().app())
    await server.start_server()
    url = str(server.make_url(""))
    await server.close()
    result = await _run(url, (("read", 1.0),), requests=3)
    assert result.errors == {"connection": 3}


async def test_mixed_sends_each_operation_by_weight() -> None:
    notes = FakeNotes()
    async with TestServer(notes.app()) as server:
        result = await _run(
            str(server.make_url("")), (("read", 1.0), ("update", 1.0), ("list", 2.0)), requests=400
        )
    failed_lists = result.errors.pop("500")
    assert result.errors == {}
    assert failed_lists + len(result.latencies_ns) == 400
    # 400 draws at p = 0.5: these bounds are ten standard deviations wide.
    assert 100 < failed_lists < 300
    assert notes.puts > 0
