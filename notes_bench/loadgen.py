"""One client process's share of the load: N concurrent loops over one ClientSession.

Every loop sends a request, waits for the whole answer, and starts the next one (a
closed loop, like wrk). A 2xx answer is a success; any other status, a timeout or a
connection error is an error and never part of the throughput.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import random
import secrets
import time
from array import array
from collections import Counter
from collections.abc import Awaitable, Callable

import aiohttp

JSON_HEADERS = {"Content-Type": "application/json"}
REPORT_INTERVAL_S = 0.1

# (error key or None, latency in ns) of one operation.
Outcome = tuple[str | None, int]


@dataclasses.dataclass(frozen=True, kw_only=True)
class WorkerSpec:
    """Everything one client process needs; pickled to it."""

    index: int
    url: str
    operations: tuple[tuple[str, float], ...]
    concurrency: int
    warmup_s: float
    duration_s: float | None
    requests: int | None
    time_limit_s: float
    timeout_s: float
    read_ids: tuple[int, ...]
    # Per loop: the notes only that loop updates, so that no two PUTs race on an ETag.
    owned: tuple[tuple[int, ...], ...]
    etags: dict[int, str]
    random_seed: int | None


@dataclasses.dataclass(kw_only=True)
class WorkerResult:
    index: int
    latencies_ns: array[int]
    errors: dict[str, int]
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
            "created_by": "benchmarks",
            "priority": serial % 10,
        }
    ).encode()


class _Load:
    def __init__(self, session: aiohttp.ClientSession, spec: WorkerSpec) -> None:
        self.session = session
        self.spec = spec
        self.etags = dict(spec.etags)
        self.latencies: array[int] = array("q")
        self.errors: Counter[str] = Counter()
        self.warmup_errors: Counter[str] = Counter()
        self.done = 0
        self.remaining = spec.requests
        self.last_end = 0.0
        # Makes every PUT a real change, also across runs against one database.
        self.nonce = secrets.token_hex(3)
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
        start = time.perf_counter_ns()
        error, etag = await self.exchange(method, path, data, headers)
        return error, etag, time.perf_counter_ns() - start

    async def op_read(self, rng: random.Random, owned: tuple[int, ...]) -> Outcome:
        error, _, latency = await self.timed("GET", f"/notes/{rng.choice(self.spec.read_ids)}")
        return error, latency

    async def op_list(self, rng: random.Random, owned: tuple[int, ...]) -> Outcome:
        error, _, latency = await self.timed("GET", "/notes?limit=50")
        return error, latency

    async def op_create(self, rng: random.Random, owned: tuple[int, ...]) -> Outcome:
        self.serial += 1
        body = note_body(f"created {self.nonce} {self.serial}", self.serial)
        error, _, latency = await self.timed("POST", "/notes", body, JSON_HEADERS)
        return error, latency

    async def op_update(self, rng: random.Random, owned: tuple[int, ...]) -> Outcome:
        note_id = rng.choice(owned)
        etag = self.etags.get(note_id)
        if etag is None:
            # Untimed: after an error, or from a server whose PUT sends no ETag.
            error, etag = await self.exchange("GET", f"/notes/{note_id}")
            if error is not None or etag is None:
                return error or "no-etag", 0
        self.serial += 1
        body = note_body(f"note {note_id} {self.nonce} {self.serial}", self.serial)
        headers = {**JSON_HEADERS, "If-Match": etag}
        error, new_etag, latency = await self.timed("PUT", f"/notes/{note_id}", body, headers)
        if error is None and new_etag is not None:
            self.etags[note_id] = new_etag
        else:
            self.etags.pop(note_id, None)
        return error, latency

    async def op_bare(self, rng: random.Random, owned: tuple[int, ...]) -> Outcome:
        error, _, latency = await self.timed("GET", "/")
        return error, latency

    async def loop(self, task: int, measure_from: float, end_at: float) -> None:
        seed = (
            None
            if self.spec.random_seed is None
            else f"{self.spec.random_seed}/{self.spec.index}/{task}"
        )
        rng = random.Random(seed)
        owned = self.spec.owned[task] if task < len(self.spec.owned) else ()
        operations: list[Callable[[random.Random, tuple[int, ...]], Awaitable[Outcome]]] = [
            getattr(self, f"op_{name}") for name, _ in self.spec.operations
        ]
        cumulative = list(itertools.accumulate(weight for _, weight in self.spec.operations))
        single = operations[0] if len(operations) == 1 else None
        while True:
            now = time.monotonic()
            if now >= end_at:
                return
            measured = now >= measure_from
            if measured and self.remaining is not None:
                if self.remaining <= 0:
                    return
                self.remaining -= 1
            operation = single or rng.choices(operations, cum_weights=cumulative)[0]
            error, latency = await operation(rng, owned)
            if not measured:
                if error is not None:
                    self.warmup_errors[error] += 1
                continue
            if error is None:
                self.latencies.append(latency)
            else:
                self.errors[error] += 1
            self.done += 1
            self.last_end = time.monotonic()

    async def report_progress(self, report: Callable[[int, int], None]) -> None:
        while True:
            report(self.done, self.errors.total())
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
        load = _Load(session, spec)
        start_at = await wait_for_start()
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        measure_from = start_at + spec.warmup_s
        if spec.duration_s is not None:
            end_at = measure_from + spec.duration_s
        else:
            end_at = measure_from + spec.time_limit_s
        reporter = asyncio.create_task(load.report_progress(report))
        try:
            async with asyncio.TaskGroup() as group:
                for task in range(spec.concurrency):
                    group.create_task(load.loop(task, measure_from, end_at))
        finally:
            reporter.cancel()
        report(load.done, load.errors.total())
    return WorkerResult(
        index=spec.index,
        latencies_ns=load.latencies,
        errors=dict(load.errors),
        warmup_errors=dict(load.warmup_errors),
        measured_from=measure_from,
        measured_until=max(load.last_end, measure_from),
        etags={
            note_id: load.etags[note_id]
            for group in spec.owned
            for note_id in group
            if note_id in load.etags
        },
    )
