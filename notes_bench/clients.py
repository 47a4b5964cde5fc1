"""Run the load in N client processes at once and merge what they measured.

Processes are spawned (not forked) so that each starts clean; they open their
sessions, report ready, and then all start at one shared monotonic instant.
"""

from __future__ import annotations

import asyncio
import ctypes
import dataclasses
import multiprocessing
import multiprocessing.synchronize
import queue
import time
from collections import Counter
from collections.abc import Callable
from multiprocessing.context import SpawnProcess
from typing import Any

from notes_bench.loadgen import WorkerResult, WorkerSpec, generate_load
from notes_bench.recording import Merged, merge_recordings

READY_TIMEOUT_S = 60.0
POLL_INTERVAL_S = 0.2
# Beyond the planned run time, how long results may take before we give up.
RESULT_GRACE_S = 30.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class Measured:
    """One run of every client process, as one."""

    merged: Merged
    warmup_errors: dict[str, int]
    elapsed_s: float
    etags: dict[int, str]


@dataclasses.dataclass(frozen=True)
class _Channel:
    results: multiprocessing.Queue[tuple[str, Any]]
    go: multiprocessing.synchronize.Event
    start_at: Any  # a shared ctypes double
    progress: Any  # a shared ctypes array: done and errors of each process


def new_event_loop(use_uvloop: bool) -> asyncio.AbstractEventLoop:
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def _worker_main(spec: WorkerSpec, channel: _Channel, use_uvloop: bool) -> None:
    async def wait_for_start() -> float:
        channel.results.put(("ready", spec.index))
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not channel.go.is_set():
            if time.monotonic() > deadline:
                raise TimeoutError("no start signal from the parent")
            await asyncio.sleep(0.005)
        start_at: float = channel.start_at.value
        return start_at

    def report(done: int, errors: int) -> None:
        channel.progress[2 * spec.index] = done
        channel.progress[2 * spec.index + 1] = errors

    try:
        with asyncio.Runner(loop_factory=lambda: new_event_loop(use_uvloop)) as runner:
            result = runner.run(generate_load(spec, wait_for_start, report))
    except BaseException as error:
        channel.results.put(("failed", f"client process {spec.index}: {error!r}"))
        raise
    channel.results.put(("result", result))


def run_clients(
    specs: list[WorkerSpec],
    *,
    use_uvloop: bool,
    planned_s: float,
    on_progress: Callable[[float, int, int], None],
    run_started: float,
) -> Measured:
    """Run one spec per process; ``on_progress(seconds since start, done, errors)``.

    A single spec runs in this process: spawning one costs more than a smoke run's
    measured second, and one process elsewhere would measure nothing more."""
    if len(specs) == 1:
        return _run_here(specs[0], use_uvloop, on_progress, run_started)
    context = multiprocessing.get_context("spawn")
    channel = _Channel(
        results=context.Queue(),
        go=context.Event(),
        start_at=context.RawValue(ctypes.c_double, 0.0),
        progress=context.RawArray(ctypes.c_longlong, 2 * len(specs)),
    )
    processes: list[SpawnProcess] = [
        context.Process(target=_worker_main, args=(spec, channel, use_uvloop), daemon=True)
        for spec in specs
    ]
    try:
        for process in processes:
            process.start()
        _await_ready(channel, len(specs))
        start_at = time.monotonic() + 0.05
        channel.start_at.value = start_at
        channel.go.set()
        results = _collect(channel, len(specs), start_at, planned_s, on_progress)
    except BaseException:
        for process in processes:
            if process.is_alive():
                process.kill()
        raise
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
    return merge(results, run_started=run_started)


def _run_here(
    spec: WorkerSpec,
    use_uvloop: bool,
    on_progress: Callable[[float, int, int], None],
    run_started: float,
) -> Measured:
    start_at = time.monotonic() + 0.05

    async def wait_for_start() -> float:
        return start_at

    def report(done: int, errors: int) -> None:
        on_progress(time.monotonic() - start_at, done, errors)

    with asyncio.Runner(loop_factory=lambda: new_event_loop(use_uvloop)) as runner:
        result = runner.run(generate_load(spec, wait_for_start, report))
    return merge([result], run_started=run_started)


def _await_ready(channel: _Channel, count: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    ready = 0
    while ready < count:
        kind, payload = _get(channel, deadline)
        if kind == "failed":
            raise RuntimeError(payload)
        ready += 1


def _collect(
    channel: _Channel,
    count: int,
    start_at: float,
    planned_s: float,
    on_progress: Callable[[float, int, int], None],
) -> list[WorkerResult]:
    deadline = start_at + planned_s + RESULT_GRACE_S
    results: list[WorkerResult] = []
    while len(results) < count:
        progress = list(channel.progress)
        on_progress(time.monotonic() - start_at, sum(progress[0::2]), sum(progress[1::2]))
        try:
            kind, payload = channel.results.get(timeout=POLL_INTERVAL_S)
        except queue.Empty:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"client processes still running after {deadline - start_at:.0f} s"
                ) from None
            continue
        if kind == "failed":
            raise RuntimeError(payload)
        results.append(payload)
    progress = list(channel.progress)
    on_progress(time.monotonic() - start_at, sum(progress[0::2]), sum(progress[1::2]))
    return results


def _get(channel: _Channel, deadline: float) -> tuple[str, Any]:
    try:
        return channel.results.get(timeout=max(0.0, deadline - time.monotonic()))
    except queue.Empty:
        raise TimeoutError("client processes did not start in time") from None


def merge(results: list[WorkerResult], *, run_started: float) -> Measured:
    """One run's figures from every process's: histograms added, errors summed, and the
    window from the first process's start of measuring to the last one's end."""
    ordered = sorted(results, key=lambda result: result.index)
    warmup_errors: Counter[str] = Counter()
    etags: dict[int, str] = {}
    for result in ordered:
        warmup_errors.update(result.warmup_errors)
        etags.update(result.etags)
    start = min((result.measured_from for result in results), default=0.0)
    end = max((result.measured_until for result in results), default=0.0)
    return Measured(
        merged=merge_recordings(
            [result.recorded for result in ordered], start_s=max(0.0, start - run_started)
        ),
        warmup_errors=dict(warmup_errors),
        elapsed_s=max(0.0, end - start),
        etags=etags,
    )
