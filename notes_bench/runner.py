"""The whole run: the ceiling, the target server, seeding, and every measured level."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from benchmarks import environment
from benchmarks.clients import run_clients
from benchmarks.loadgen import WorkerSpec
from benchmarks.options import Options
from benchmarks.progress import Progress, say
from benchmarks.report import format_errors, format_ms
from benchmarks.results import Results, Row
from benchmarks.scenarios import CEILING
from benchmarks.seed import NotePool, seed_notes
from benchmarks.servers import (
    bare_command,
    check_loopback_url,
    running_server,
)
from benchmarks.stats import Summary, median_summary, summarize
from notes.process import notes_command


def split(total: int, parts: int) -> list[int]:
    """``total`` as evenly as possible over at most ``parts`` non-empty shares."""
    parts = max(1, min(parts, total))
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def plan_workers(
    options: Options, url: str, scenario: str, concurrency: int, pool: NotePool
) -> list[WorkerSpec]:
    """One spec per client process; the connections (and notes to update) split among them."""
    operations = options.operations(scenario)
    updates = any(name == "update" for name, _ in operations)
    shares = split(concurrency, options.client_processes)
    requests = (
        split(options.requests, len(shares)) + [0] * len(shares)
        if options.requests is not None
        else None
    )
    specs: list[WorkerSpec] = []
    first_loop = 0
    for index, share in enumerate(shares):
        owned = (
            tuple(tuple(pool.ids[first_loop + loop :: concurrency]) for loop in range(share))
            if updates
            else ()
        )
        specs.append(
            WorkerSpec(
                index=index,
                url=url,
                operations=operations,
                concurrency=share,
                warmup_s=options.warmup_s,
                duration_s=options.duration_s,
                requests=None if requests is None else requests[index],
                time_limit_s=options.time_limit_s,
                timeout_s=options.timeout_s,
                read_ids=tuple(pool.ids),
                owned=owned,
                etags={
                    note_id: pool.etags[note_id]
                    for group in owned
                    for note_id in group
                    if note_id in pool.etags
                },
                random_seed=options.random_seed,
            )
        )
        first_loop += share
    return specs


def measure(options: Options, url: str, scenario: str, concurrency: int, pool: NotePool) -> Row:
    runs: list[Summary] = []
    warmup_errors: Counter[str] = Counter()
    for repetition in range(options.repeat):
        specs = plan_workers(options, url, scenario, concurrency, pool)
        label = f"{scenario} c={concurrency}"
        if options.repeat > 1:
            label += f" #{repetition + 1}"
        planned_s = options.warmup_s + (options.duration_s or options.time_limit_s)
        with Progress(
            label,
            warmup_s=options.warmup_s,
            duration_s=options.duration_s,
            requests=options.requests,
            enabled=options.progress,
        ) as progress:
            merged = run_clients(
                specs,
                use_uvloop=options.uvloop,
                planned_s=planned_s + options.timeout_s,
                on_progress=progress.update,
            )
        # Updated notes have new ETags; one left out must be read again before a PUT.
        for spec in specs:
            for group in spec.owned:
                for note_id in group:
                    pool.etags.pop(note_id, None)
        pool.etags.update(merged.etags)
        warmup_errors.update(merged.warmup_errors)
        run = summarize(merged.latencies_ns, merged.errors, merged.elapsed_s)
        runs.append(run)
        say(
            f"{label}: {run.rps:,.0f} req/s, p99 {format_ms(run.p99_ms)} ms, "
            f"errors {format_errors(run.errors)}"
        )
    return Row(
        scenario=scenario,
        concurrency=concurrency,
        summary=median_summary(runs),
        runs=tuple(runs),
        warmup_errors=dict(warmup_errors),
    )


@contextlib.contextmanager
def target_server(options: Options, workdir: Path, results: Results) -> Iterator[str]:
    if options.url is not None:
        yield check_loopback_url(options.url)
        return
    database_url = options.database_url or f"sqlite+aiosqlite:///{workdir / 'notes-bench.db'}"
    results.meta["target"]["database_url"] = database_url
    with running_server(
        notes_command(database_url),
        log_path=workdir / "notes-server.log",
        cpus=options.server_cpus,
    ) as url:
        say(f"started the notes server at {url} on {database_url}")
        yield url


@contextlib.contextmanager
def bare_server(options: Options, workdir: Path) -> Iterator[str]:
    """The ceiling's trivial server, placed like ours; idle while ours is measured."""
    with running_server(
        bare_command,
        log_path=workdir / "bare-server.log",
        cpus=options.server_cpus,
    ) as url:
        yield url


def run_benchmark(options: Options, argv: Sequence[str] | None = None) -> Results:
    results = Results(
        meta={
            "timestamp": environment.timestamp(),
            "command": environment.command_line(argv),
            "versions": environment.versions(),
            "machine": environment.machine(),
            "load_average_before": environment.load_average(),
            "options": options.to_json(),
            "target": {
                "url": options.url,
                "self_started": options.url is None,
                "database_url": options.database_url,
            },
        }
    )
    _warn_if_busy(results.meta["load_average_before"])
    with (
        tempfile.TemporaryDirectory(prefix="notes-bench-") as tmp,
        contextlib.ExitStack() as servers,
    ):
        workdir = Path(tmp)
        bare_url = servers.enter_context(bare_server(options, workdir)) if options.ceiling else None
        url = servers.enter_context(target_server(options, workdir, results))
        started = time.monotonic()
        pool = seed_notes(url, options.seed)
        if options.seed:
            say(f"seeded {len(pool.ids)} notes in {time.monotonic() - started:.1f} s")
        # Level by level, the ceiling just before the figures it qualifies: a ratio
        # then spans minutes, not the whole run, of whatever else the machine does.
        for concurrency in options.concurrency:
            if bare_url is not None:
                results.ceiling.append(measure(options, bare_url, CEILING, concurrency, NotePool()))
            for scenario in options.scenarios:
                results.rows.append(measure(options, url, scenario, concurrency, pool))
    results.rows.sort(
        key=lambda row: (
            options.scenarios.index(row.scenario),
            options.concurrency.index(row.concurrency),
        )
    )
    results.meta["load_average_after"] = environment.load_average()
    return results


def _warn_if_busy(load: list[float] | None) -> None:
    cpus = os.cpu_count() or 1
    if load is not None and load[0] > 0.5:
        say(
            f"warning: load average {load[0]:.2f} on {cpus} CPUs before starting: other "
            "processes are busy, and every figure will be noisy"
        )
