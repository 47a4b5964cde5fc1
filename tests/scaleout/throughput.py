"""Throughput of one node layout against another: PostgreSQL with 1 and 2 workers, SQLite.

Not a test (nothing here asserts a timing): the measurement behind the table in
docs/deploy.md. It starts one `notes serve` per layout on a fresh database, then runs
`notes-bench --url ...` (one round each) against each layout in turn, round after round, so
that every layout sees the same machine load; each figure is the median over rounds,
and each ratio the median of the per-round ratios to the first layout.

    python -m tests.scaleout.throughput --postgres-url postgresql+asyncpg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import make_url

from notes.process import ServerProcess, service_environment
from notes.storage.migrations import upgrade_database
from tests.scaleout.processes import notes_server

# As in notes_bench.results: at this share of the client's own ceiling, the figure is the client's.
CLIENT_BOUND_SHARE = 0.8


@dataclasses.dataclass(frozen=True)
class Layout:
    name: str
    backend: str
    workers: int


LAYOUTS = (
    Layout("PostgreSQL, 1 worker", "postgresql", 1),
    Layout("PostgreSQL, 2 workers", "postgresql", 2),
    Layout("SQLite, 1 worker", "sqlite", 1),
    Layout("SQLite, 2 workers", "sqlite", 2),
)


def _admin(url: str, sql: str) -> None:
    async def run() -> None:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn, timeout=10)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


@contextlib.contextmanager
def fresh_database(layout: Layout, postgres_url: str, workdir: Path) -> Iterator[str]:
    if layout.backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / f'{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"notes_throughput_{uuid.uuid4().hex[:10]}"
    _admin(postgres_url, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
        upgrade_database(url)
        yield url
    finally:
        _admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench(url: str, out: Path, args: argparse.Namespace, *, ceiling: bool) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "notes_bench",
        "--url",
        url,
        "--scenarios",
        args.scenarios,
        "--concurrency",
        str(args.concurrency),
        "--duration",
        str(args.duration),
        "--warmup",
        str(args.warmup),
        "--seed",
        str(args.seed),
        "--client-processes",
        str(args.client_processes),
        "--rounds",
        "1",
        "--ceiling" if ceiling else "--no-ceiling",
        "--no-progress",
        "--json",
        str(out),
    ]
    subprocess.run(command, env=service_environment(), check=True, timeout=600)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(
    runs: dict[str, list[dict[str, Any]]], ceilings: Sequence[float], scenarios: Sequence[str]
) -> str:
    """Medians over rounds; ratios and shares of the client ceiling are taken per round."""
    baseline = LAYOUTS[0].name
    lines = [
        f"| layout | scenario | requests/s | ratio to {baseline} | of client ceiling "
        "| p50 ms | p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for scenario in scenarios:
        for layout in LAYOUTS:
            rows = [_row(run, scenario) for run in runs[layout.name]]
            base_rows = [_row(run, scenario) for run in runs[baseline]]
            ratios = [
                row["rps"] / base["rps"]
                for row, base in zip(rows, base_rows, strict=True)
                if base["rps"] > 0
            ]
            shares = [row["rps"] / ceiling for row, ceiling in zip(rows, ceilings, strict=False)]
            share = _median(shares)
            bound = " (client-bound)" if share >= CLIENT_BOUND_SHARE else ""
            errors = sum(sum(row["errors"].values()) for row in rows)
            lines.append(
                f"| {layout.name} | {scenario} | {_median([r['rps'] for r in rows]):.0f} "
                f"| {_median(ratios):.2f} | {share:.0%}{bound} "
                f"| {_median([r['p50_ms'] for r in rows]):.1f} "
                f"| {_median([r['p99_ms'] for r in rows]):.1f} | {errors} |"
            )
    return "\n".join(lines)


def _row(run: dict[str, Any], scenario: str) -> dict[str, Any]:
    row: dict[str, Any] = next(row for row in run["results"] if row["scenario"] == scenario)
    return row


def _summary(
    runs: dict[str, list[dict[str, Any]]],
    ceilings: Sequence[float],
    load: Sequence[Sequence[float]],
) -> str:
    return (
        f"{len(ceilings)} rounds; client ceiling (bare aiohttp handler, same client, measured "
        f"once a round): {', '.join(f'{c:.0f}' for c in ceilings)} requests/s; 1-minute load "
        f"average at the start and after each round: {', '.join(f'{one[0]:.1f}' for one in load)}"
        f"; {os.cpu_count()} CPUs"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenarios", default="read,mixed")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--seed", type=int, default=200)
    parser.add_argument("--client-processes", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write every run here")
    parser.add_argument("--table-from", type=Path, help="only print the table of an earlier --json")
    args = parser.parse_args(argv)
    scenarios = args.scenarios.split(",")
    if args.table_from is not None:
        saved = json.loads(args.table_from.read_text())
        print(table(saved["runs"], saved["ceilings"], scenarios))
        print(f"\n{_summary(saved['runs'], saved['ceilings'], saved['load'])}")
        return 0
    runs: dict[str, list[dict[str, Any]]] = {layout.name: [] for layout in LAYOUTS}
    ceilings: list[float] = []
    load: list[tuple[float, float, float]] = [os.getloadavg()]
    if args.postgres_url is None:
        parser.error("--postgres-url is required")
    with tempfile.TemporaryDirectory() as temp, contextlib.ExitStack() as stack:
        workdir = Path(temp)
        servers: dict[str, ServerProcess] = {}
        for index, layout in enumerate(LAYOUTS):
            url = stack.enter_context(fresh_database(layout, args.postgres_url, workdir))
            server = notes_server(
                database_url=url, log_path=workdir / f"server-{index}.log", workers=layout.workers
            )
            stack.callback(server.stop)
            servers[layout.name] = server
        for server in servers.values():
            server.wait_ready()
        for round_number in range(args.rounds):
            for index, layout in enumerate(LAYOUTS):
                out = workdir / f"{round_number}-{index}.json"
                result = bench(servers[layout.name].base_url, out, args, ceiling=index == 0)
                runs[layout.name].append(result)
                ceilings += [row["rps"] for row in result.get("ceiling", [])]
            load.append(os.getloadavg())
    print(table(runs, ceilings, scenarios))
    print(f"\n{_summary(runs, ceilings, load)}")
    if args.json is not None:
        args.json.write_text(json.dumps({"runs": runs, "ceilings": ceilings, "load": load}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
