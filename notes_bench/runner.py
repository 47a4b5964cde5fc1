"""The whole run: the floor, the target server, seeding, and every level in rounds."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from notes_bench import environment
from notes_bench.clients import Measured, run_clients
from notes_bench.floors import FLOORS
from notes_bench.histogram import Latencies
from notes_bench.loadgen import WorkerSpec
from notes_bench.options import Options
from notes_bench.progress import Progress, say
from notes_bench.recording import Timeline
from notes_bench.report import format_errors, format_level, format_ms
from notes_bench.results import Results, Row
from notes_bench.scenarios import CEILING
from notes_bench.seed import NotePool, seed_notes
from notes_bench.servers import running_server, target_server
from notes_bench.slo import failures
from notes_bench.stats import Summary, median_summary, summarize

# About this many time bins per run, none shorter than a tenth of a second.
TIMELINE_BINS = 50
MIN_BIN_S = 0.1


def split(total: int, parts: int) -> list[int]:
    """``total`` as evenly as possible over at most ``parts`` non-empty shares."""
    parts = max(1, min(parts, total))
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def bin_seconds(options: Options) -> float:
    window = options.duration if options.duration is not None else options.time_limit
    return max(MIN_BIN_S, window / TIMELINE_BINS)


def plan_workers(
    options: Options,
    url: str,
    scenario: str,
    concurrency: int,
    pool: NotePool,
    rate: float | None = None,
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
    first = 0
    for index, share in enumerate(shares):
        owned = (
            tuple(tuple(pool.ids[first + loop :: concurrency]) for loop in range(share))
            if updates
            else ()
        )
        specs.append(
            WorkerSpec(
                index=index,
                url=url,
                operations=operations,
                concurrency=share,
                rate=rate,
                first_connection=first,
                total_connections=concurrency,
                warmup_s=options.warmup,
                duration_s=options.duration,
                requests=None if requests is None else requests[index],
                time_limit_s=options.time_limit,
                timeout_s=options.timeout,
                bin_s=bin_seconds(options),
                read_ids=tuple(pool.ids),
                owned=owned,
                etags={
                    note_id: pool.etags[note_id]
                    for group in owned
                    for note_id in group
                    if note_id in pool.etags
                },
                random_seed=options.random_seed,
                idempotency_keys=options.idempotency_keys,
            )
        )
        first += share
    return specs


class _Rounds:
    """The rounds of one scenario at one level, as they come in."""

    def __init__(self, scenario: str, concurrency: int, rate: float | None) -> None:
        self.scenario = scenario
        self.concurrency = concurrency
        self.rate = rate
        self.summaries: list[Summary] = []
        self.latencies: Latencies | None = None
        self.timelines: list[Timeline] = []
        self.warmup_errors: Counter[str] = Counter()

    def add(self, measured: Measured) -> Summary:
        merged = measured.merged
        summary = summarize(merged.latencies, merged.errors, measured.elapsed_s)
        self.summaries.append(summary)
        self.timelines.append(merged.timeline)
        self.warmup_errors.update(measured.warmup_errors)
        if self.latencies is None:
            self.latencies = merged.latencies
        else:
            self.latencies.add(merged.latencies)
        return summary

    def row(self) -> Row:
        return Row(
            scenario=self.scenario,
            concurrency=self.concurrency,
            rate=self.rate,
            summary=median_summary(self.summaries),
            rounds=tuple(self.summaries),
            histogram=None if self.latencies is None else self.latencies.encode(),
            timelines=tuple(self.timelines),
            warmup_errors=dict(self.warmup_errors),
        )


class _Run:
    def __init__(self, options: Options, started: float) -> None:
        self.options = options
        self.started = started

    def measure(
        self,
        url: str,
        scenario: str,
        level: tuple[int, float | None],
        pool: NotePool,
        rounds: _Rounds,
        round_number: int,
    ) -> None:
        options = self.options
        concurrency, rate = level
        specs = plan_workers(options, url, scenario, concurrency, pool, rate)
        label = f"{scenario} c={concurrency}" + ("" if rate is None else f" r={rate:,.0f}/s")
        if options.rounds > 1:
            label += f" #{round_number + 1}"
        window = options.duration if options.duration is not None else options.time_limit
        with Progress(
            label,
            warmup_s=options.warmup,
            duration_s=options.duration,
            requests=options.requests,
            enabled=options.progress,
        ) as progress:
            measured = run_clients(
                specs,
                use_uvloop=options.uvloop,
                planned_s=options.warmup + window + 2 * options.timeout,
                on_progress=progress.update,
                run_started=self.started,
            )
        # Updated notes have new ETags; one left out must be read again before a PUT.
        for spec in specs:
            for group in spec.owned:
                for note_id in group:
                    pool.etags.pop(note_id, None)
        pool.etags.update(measured.etags)
        run = rounds.add(measured)
        say(
            f"{label}: {run.rps:,.0f} req/s, p99 {format_ms(run.p99_ms)} ms, "
            f"max {format_ms(run.max_ms)} ms, errors {format_errors(run.errors)}"
        )


@contextlib.contextmanager
def _floor(options: Options, workdir: Path, database_url: str | None) -> Iterator[str | None]:
    """The floor server the ceiling is measured against, placed like ours; idle while
    ours is measured. None when the ceiling is off."""
    if not options.ceiling:
        yield None
        return
    floor = FLOORS[options.floor]
    with running_server(
        floor.command(database_url),
        log_path=workdir / f"floor-{floor.name}.log",
        cpus=options.server_cpus,
    ) as url:
        yield url


def run_benchmark(options: Options, argv: Sequence[str] | None = None) -> Results:
    started = time.monotonic()
    results = Results(
        meta={
            "timestamp": environment.timestamp(),
            "command": environment.command_line(argv),
            "versions": environment.versions(),
            "machine": environment.machine(),
            "load_average_before": environment.load_average(),
            "options": options.to_json(),
            "target": {"url": options.url, "self_started": options.url is None},
        }
    )
    _warn_if_busy(results.meta["load_average_before"])
    run = _Run(options, started)
    with (
        tempfile.TemporaryDirectory(prefix="notes-bench-") as tmp,
        contextlib.ExitStack() as servers,
    ):
        workdir = Path(tmp)
        url, database_url = servers.enter_context(target_server(options, workdir))
        results.meta["target"]["database_url"] = database_url
        if database_url is not None:
            say(f"started the notes server at {url} on {database_url}")
        floor_url = servers.enter_context(_floor(options, workdir, database_url))
        seeding = time.monotonic()
        pool = seed_notes(url, options.seed)
        if options.seed:
            say(f"seeded {len(pool.ids)} notes in {time.monotonic() - seeding:.1f} s")
        active = list(options.scenarios)
        for level in options.levels():
            # Round by round, the ceiling just before the figures it qualifies, so that
            # each round's ratio spans seconds, not the whole run, of the machine's life.
            ceiling = _Rounds(CEILING, *level)
            rows = {scenario: _Rounds(scenario, *level) for scenario in active}
            for round_number in range(options.rounds):
                if floor_url is not None:
                    run.measure(floor_url, CEILING, level, NotePool(), ceiling, round_number)
                for scenario in active:
                    run.measure(url, scenario, level, pool, rows[scenario], round_number)
            if floor_url is not None:
                results.ceiling.append(ceiling.row())
            for scenario, rounds in rows.items():
                row = rounds.row()
                results.rows.append(row)
                if options.open_loop and options.slo and failures(row, options.slo):
                    # Rates only go up: a scenario that missed its objective is done.
                    say(f"{scenario} missed the objective at {format_level(row.rate)}")
                    active.remove(scenario)
            if not active:
                break
    results.rows.sort(key=lambda row: (options.scenarios.index(row.scenario), row.level))
    results.meta["load_average_after"] = environment.load_average()
    return results


def _warn_if_busy(load: list[float] | None) -> None:
    cpus = os.cpu_count() or 1
    if load is not None and load[0] > 0.5:
        say(
            f"warning: load average {load[0]:.2f} on {cpus} CPUs before starting: other "
            "processes are busy, and every figure will be noisy"
        )
