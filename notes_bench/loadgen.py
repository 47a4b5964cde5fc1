"""One client process's share of the load: its connections' loops over one ClientSession.

Closed loop (like wrk): each connection sends a request, waits for the whole answer,
and sends the next; a latency runs from sending to the answer's last byte, and an
answer counts when it completes in the measured window. Open loop
(like wrk2, ``rate`` set): requests fall due on a fixed timetable (`schedule.py`) and
a latency runs from when the request was due. A 2xx answer is a success; any other
status, a timeout or a connection error is an error, never part of the throughput.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aiohttp

from notes_bench.recording import Recorded, Recording
from notes_bench.schedule import NS_PER_S, Schedule

JSON_HEADERS = {"Content-Type": "application/json"}
REPORT_INTERVAL_S = 0.1
TIMER_TICK_S = 0.001
# A request that is still not sent this long after the window closed counts as
# `behind`: the server could not keep up with the rate.
BEHIND = "behind"

# (error key or None, when the timed request was sent, in time.monotonic_ns()).
Outcome = tuple[str | None, int]
Operation = Callable[[random.Random, tuple[int, ...]], Awaitable[Outcome]]


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkerSpec:
    """Everything one client process needs; pickled to it."""

    index: int
    url: str
    operations: tuple[tuple[str, float], ...]
    concurrency: int
    # Open loop: requests per second over all processes' connections; None: closed loop.
    rate: float | None = None
    first_connection: int = 0
    total_connections: int = 1
    warmup_s: float
    duration_s: float | None
    requests: int | None
    time_limit_s: float
    timeout_s: float
    bin_s: float = 0.25
    read_ids: tuple[int, ...]
    # Per connection: the notes only it updates, so that no two PUTs race on an ETag.
    owned: tuple[tuple[int, ...], ...]
    etags: dict[int, str]
    random_seed: int | None
    # Every create carries a fresh Idempotency-Key (v1.1): what keys cost.
    idempotency_keys: bool = False


@dataclasses.dataclass(kw_only=True)
class WorkerResult:
    index: int
    recorded: Recorded
    warmup_errors: dict[str, int]
    measured_from: float
    measured_until: float
    # The latest known ETag of each owned note; a note left out must be read again.
    etags: dict[int, str]


def note_body(title: str, serial: int) -> bytes:
    return json.dumps(
        {
            "title": title,
            "description": f"benchmark note {serial}: " + "lorem ipsum dolor sit amet " * 3,
            "created_by": "notes-bench",
            "priority": serial % 10,
        }
    ).encode()


class _Load:
    def __init__(
        self, session: aiohttp.ClientSession, spec: WorkerSpec, measure_from: int, end_at: int
    ) -> None:
        self.session = session
        self.spec = spec
        self.etags = dict(spec.etags)
        self.recording = Recording(origin_ns=measure_from, until_ns=end_at, bin_s=spec.bin_s)
        self.warmup_errors: dict[str, int] = {}
        self.measure_from = measure_from
        self.done = 0
        self.remaining = spec.requests
        self.last_end = measure_from
        # Makes every PUT a real change, also across runs against one database.
        self.nonce = secrets.token_hex(3)
        self.key_nonce = secrets.token_hex(8)  # keys unique across processes and runs
        self.serial = 0

    async def exchange(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[str | None, str | None]:
        """(error key or None, the answer's ETag)."""
        try:
            async with self.session.request(
                method, path, data=data, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None, response.headers.get("ETag")
                return str(response.status), None
        except TimeoutError:
            return "timeout", None
        except aiohttp.ClientConnectionError:
            return "connection", None
        except aiohttp.ClientError:
            return "protocol", None

    async def timed(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[str | None, str | None, int]:
        sent = time.monotonic_ns()
        error, etag = await self.exchange(method, path, data, headers)
        return error, etag, sent

    async def op_read(self, rng: random.Random, owned: tuple[int, ...]) -> Outcome:
        error, _, sent = await self.timed("GET", f"/notes/{rng.choice(self.spec.read_ids)}")
        return error, sent

    async def op_list(self, rng: random.Random, owned: tuple[int, ...]) -> Outcome:
        error, _, sent = await self.timed("GET", "/notes?limit=50")
        return error, sent

    async def op_create(self, rng: random.Random, owned: tuple[int, ...]) -> Outcome:
        self.serial += 1
        body = note_body(f"created {self.nonce} {self.serial}", self.serial)
        headers = JSON_HEADERS
        if self.spec.idempotency_keys:
            key = f"notes-bench-{self.key_nonce}-{self.serial}"
            headers = {**JSON_HEADERS, "Idempotency-Key": key}
        error, _, sent = await self.timed("POST", "/notes", body, headers)
        return error, sent

    async def op_update(self, rng: random.Random, owned: tuple[int, ...]) -> Outcome:
        note_id = rng.choice(owned)
        etag = self.etags.get(note_id)
        if etag is None:
            # Untimed: after an error, or from a server whose PUT sends no ETag.
            error, etag = await self.exchange("GET", f"/notes/{note_id}")
            if error is not None or etag is None:
                return error or "no-etag", time.monotonic_ns()
        self.serial += 1
        body = note_body(f"note {note_id} {self.nonce} {self.serial}", self.serial)
        headers = {**JSON_HEADERS, "If-Match": etag}
        error, new_etag, sent = await self.timed("PUT", f"/notes/{note_id}", body, headers)
        if error is None and new_etag is not None:
            self.etags[note_id] = new_etag
        else:
            self.etags.pop(note_id, None)
        return error, sent

    async def op_bare(self, rng: random.Random, owned: tuple[int, ...]) -> Outcome:
        error, _, sent = await self.timed("GET", "/")
        return error, sent

    def _chooser(self, task: int) -> Callable[[], tuple[Operation, random.Random]]:
        seed = (
            None
            if self.spec.random_seed is None
            else f"{self.spec.random_seed}/{self.spec.first_connection + task}"
        )
        rng = random.Random(seed)
        operations: list[Operation] = [
            getattr(self, f"op_{name}") for name, _ in self.spec.operations
        ]
        cumulative = list(itertools.accumulate(weight for _, weight in self.spec.operations))
        if len(operations) == 1:
            return lambda: (operations[0], rng)
        return lambda: (rng.choices(operations, cum_weights=cumulative)[0], rng)

    def _record(self, error: str | None, latency_ns: int, ended: int) -> None:
        if error is None:
            self.recording.success(latency_ns, ended)
        else:
            self.recording.error(error, ended)
        self.done += 1
        self.last_end = max(self.last_end, ended)

    def _warmup_error(self, error: str) -> None:
        self.warmup_errors[error] = self.warmup_errors.get(error, 0) + 1

    async def closed_loop(self, task: int, end_at: int) -> None:
        choose = self._chooser(task)
        owned = self.spec.owned[task] if task < len(self.spec.owned) else ()
        while True:
            now = time.monotonic_ns()
            if now >= end_at:
                return
            if now >= self.measure_from and self.remaining is not None:
                if self.remaining <= 0:
                    return
                self.remaining -= 1
            operation, rng = choose()
            error, sent = await operation(rng, owned)
            ended = time.monotonic_ns()
            # Counted by completion, as wrk counts: the window then starts full.
            if ended >= self.measure_from:
                self._record(error, ended - sent, ended)
            elif error is not None:
                self._warmup_error(error)

    async def open_loop(self, task: int, schedule: Schedule, end_at: int, drain_until: int) -> None:
        choose = self._chooser(task)
        owned = self.spec.owned[task] if task < len(self.spec.owned) else ()
        connection = self.spec.first_connection + task
        for k in itertools.count():
            due = schedule.due_ns(connection, k)
            if due >= end_at:
                return
            now = time.monotonic_ns()
            if now < due:
                await asyncio.sleep((due - now) / NS_PER_S)
            elif now >= drain_until:
                late = schedule.count_due(connection, max(due, self.measure_from), end_at)
                if late:
                    self.recording.error(BEHIND, now, late)
                    self.done += late
                return
            operation, rng = choose()
            error, sent = await operation(rng, owned)
            ended = time.monotonic_ns()
            if due >= self.measure_from:
                # From when it was due; from when it was sent if a timer woke up early.
                self._record(error, ended - min(due, sent), ended)
            elif error is not None:
                self._warmup_error(error)

    async def report_progress(self, report: Callable[[int, int], None]) -> None:
        while True:
            report(self.done, self.recording.errors.total())
            await asyncio.sleep(REPORT_INTERVAL_S)


async def generate_load(
    spec: WorkerSpec,
    wait_for_start: Callable[[], Awaitable[float]],
    report: Callable[[int, int], None],
) -> WorkerResult:
    """Open the session, wait for the common start time, warm up, then measure."""
    connector = aiohttp.TCPConnector(limit=spec.concurrency, ttl_dns_cache=None)
    async with aiohttp.ClientSession(
        spec.url,
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=spec.timeout_s),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
    ) as session:
        start_at = await wait_for_start()
        start_ns = round(start_at * NS_PER_S)
        measure_from = start_ns + round(spec.warmup_s * NS_PER_S)
        window = spec.duration_s if spec.duration_s is not None else spec.time_limit_s
        end_at = measure_from + round(window * NS_PER_S)
        load = _Load(session, spec, measure_from, end_at)
        # A millisecond more: uvloop's timers count whole milliseconds and may fire up
        # to one early, and nothing may start before the start.
        await asyncio.sleep(max(0, start_ns - time.monotonic_ns()) / NS_PER_S + TIMER_TICK_S)
        loops: list[Coroutine[Any, Any, None]]
        if spec.rate is None:
            loops = [load.closed_loop(task, end_at) for task in range(spec.concurrency)]
        else:
            schedule = Schedule(spec.rate, spec.total_connections, start_ns)
            drain_until = end_at + round(spec.timeout_s * NS_PER_S)
            loops = [
                load.open_loop(task, schedule, end_at, drain_until)
                for task in range(spec.concurrency)
            ]
        reporter = asyncio.create_task(load.report_progress(report))
        try:
            async with asyncio.TaskGroup() as group:
                for loop in loops:
                    group.create_task(loop)
        finally:
            reporter.cancel()
        report(load.done, load.recording.errors.total())
    # Open loop: the window is the timetable's, even when its last answers came early.
    until = load.last_end if spec.rate is None else max(load.last_end, end_at)
    return WorkerResult(
        index=spec.index,
        recorded=load.recording.freeze(),
        warmup_errors=load.warmup_errors,
        measured_from=measure_from / NS_PER_S,
        measured_until=until / NS_PER_S,
        etags={
            note_id: load.etags[note_id]
            for group in spec.owned
            for note_id in group
            if note_id in load.etags
        },
    )
