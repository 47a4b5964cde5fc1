"""The issue's table with wrk: bare handler, GET one note, GET 50 notes, POST.

Each target is measured in ``--runs`` rounds (median kept), servers pinned to one
core and wrk to another. Every round measures the bare aiohttp handler first; a
target's ratio to bare is the median of its per-round ratios::

    python -m benchmarks.wrk --seed 10000 --server-cpu 0 --client-cpu 1

wrk counts every answer in its Requests/sec; here only 2xx/3xx answers count (its
"Non-2xx or 3xx responses" are subtracted) and socket errors are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from benchmarks.affinity import parse_cpus, pinned_command
from benchmarks.environment import load_average, machine, timestamp
from benchmarks.report import format_ms, format_table
from benchmarks.seed import SeedError, seed_notes
from benchmarks.servers import (
    ServerError,
    bare_command,
    check_loopback_url,
    running_server,
)
from notes.process import notes_command

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_CREATE_BODY = json.dumps(
    {"title": "wrk note", "description": "created by wrk", "created_by": "benchmarks"}
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class WrkRun:
    requests: int
    seconds: float
    non_2xx_3xx: int
    socket_errors: int
    latency_ms: dict[str, float]

    @property
    def good_rps(self) -> float:
        """Answers below 400 per second: wrk's own figure minus its error answers."""
        return (self.requests - self.non_2xx_3xx) / self.seconds if self.seconds > 0 else 0.0


def _milliseconds(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse_wrk_output(text: str) -> WrkRun:
    """The figures of one ``wrk --latency`` report."""
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text)
    if total is None:
        raise ValueError(f"no request count in wrk output:\n{text}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    latency = {
        f"p{match[1]}": _milliseconds(match[2])
        for match in re.finditer(r"^\s+(50|75|90|99)(?:\.0+)?%\s+(\S+)\s*$", text, re.MULTILINE)
    }
    return WrkRun(
        requests=int(total[1]),
        seconds=_milliseconds(total[2] + total[3]) / 1000,
        non_2xx_3xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(count) for count in sockets.groups()) if sockets else 0,
        latency_ms=latency,
    )


def _lua_read(ids: Sequence[int]) -> str:
    listed = ",".join(str(note_id) for note_id in ids)
    return (
        f"local ids = {{{listed}}}\n"
        "request = function()\n"
        '  return wrk.format("GET", "/notes/" .. ids[math.random(#ids)])\n'
        "end\n"
    )


def _lua_create() -> str:
    return (
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(_CREATE_BODY)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class WrkOptions:
    runs: int
    duration_s: int
    connections: int
    client_cpus: frozenset[int] | None


def run_wrk(url: str, options: WrkOptions, script: Path | None) -> WrkRun:
    command = ["wrk", "-t1", f"-c{options.connections}", f"-d{options.duration_s}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    completed = subprocess.run(
        pinned_command([*command, url], options.client_cpus),
        capture_output=True,
        text=True,
        timeout=options.duration_s + 60,
        check=True,
    )
    return parse_wrk_output(completed.stdout)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Target:
    name: str
    path: str
    script: Path | None


def measure_once(name: str, url: str, options: WrkOptions, script: Path | None) -> WrkRun:
    run = run_wrk(url, options, script)
    print(
        f"{name}: {run.good_rps:,.0f} req/s, p99 "
        f"{format_ms(run.latency_ms.get('p99'))} ms, non-2xx {run.non_2xx_3xx}, "
        f"socket errors {run.socket_errors}",
        file=sys.stderr,
    )
    return run


def ratios_to_bare(measured: dict[str, list[WrkRun]], name: str) -> list[float]:
    """Each round's figure over the bare handler's of the same round."""
    return [
        run.good_rps / bare.good_rps
        for run, bare in zip(measured[name], measured["bare"], strict=True)
        if bare.good_rps > 0
    ]


def _median(runs: Sequence[WrkRun], key: str) -> float | None:
    values = [run.latency_ms[key] for run in runs if key in run.latency_ms]
    return statistics.median(values) if values else None


def render(measured: dict[str, list[WrkRun]]) -> str:
    lines = []
    for name, runs in measured.items():
        rps = statistics.median(run.good_rps for run in runs)
        ratios = ratios_to_bare(measured, name)
        lines.append(
            [
                name,
                f"{rps:,.0f}",
                " ".join(f"{run.good_rps:,.0f}" for run in runs),
                f"{statistics.median(ratios):.1%}" if ratios else "-",
                format_ms(_median(runs, "p50")),
                format_ms(_median(runs, "p99")),
                str(sum(run.non_2xx_3xx for run in runs)),
                str(sum(run.socket_errors for run in runs)),
            ]
        )
    header = (
        "target",
        "median req/s",
        "runs",
        "of bare (median of rounds)",
        "p50 ms",
        "p99 ms",
        "non-2xx",
        "sock err",
    )
    return format_table(header, lines)


@contextlib.contextmanager
def _notes_server(args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    if args.url is not None:
        yield check_loopback_url(args.url)
        return
    database_url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'notes-wrk.db'}"
    with running_server(
        notes_command(database_url),
        log_path=workdir / "notes-server.log",
        cpus=args.server_cpus,
    ) as url:
        yield url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.wrk", description=__doc__)
    parser.add_argument("--url", metavar="URL", help="an already running server (loopback)")
    parser.add_argument("--database-url", metavar="URL", help="of the self-started server")
    parser.add_argument("--seed", type=int, default=10_000, metavar="N")
    parser.add_argument("--runs", type=int, default=3, metavar="N")
    parser.add_argument("--duration", type=int, default=10, metavar="S")
    parser.add_argument("--connections", type=int, default=64, metavar="N")
    parser.add_argument("--server-cpu", dest="server_cpus", type=parse_cpus, metavar="CPUS")
    parser.add_argument("--client-cpu", dest="client_cpus", type=parse_cpus, metavar="CPUS")
    parser.add_argument("--json", dest="json_path", type=Path, metavar="PATH")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("benchmarks.wrk: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    if args.seed < 1 or args.runs < 1 or args.duration < 1 or args.connections < 1:
        parser.error("--seed, --runs, --duration and --connections must be >= 1")
    options = WrkOptions(
        runs=args.runs,
        duration_s=args.duration,
        connections=args.connections,
        client_cpus=args.client_cpus,
    )
    measured: dict[str, list[WrkRun]] = {}
    load_before = load_average()
    try:
        with tempfile.TemporaryDirectory(prefix="notes-wrk-") as tmp:
            workdir = Path(tmp)
            log = workdir / "bare.log"
            with (
                running_server(bare_command, log_path=log, cpus=args.server_cpus) as bare_url,
                _notes_server(args, workdir) as url,
            ):
                pool = seed_notes(url, args.seed)
                read_script = workdir / "read.lua"
                read_script.write_text(_lua_read(pool.ids))
                create_script = workdir / "create.lua"
                create_script.write_text(_lua_create())
                targets = {
                    "bare": (f"{bare_url}/", None),
                    "GET /notes/{id}": (f"{url}/", read_script),
                    "GET /notes?limit=50": (f"{url}/notes?limit=50", None),
                    "POST /notes": (f"{url}/notes", create_script),
                }
                # Round by round, bare first: each ratio compares figures taken a
                # minute apart, whatever else the machine is doing.
                for round_number in range(1, options.runs + 1):
                    for name, (target_url, script) in targets.items():
                        label = f"{name} #{round_number}"
                        run = measure_once(label, target_url, options, script)
                        measured.setdefault(name, []).append(run)
    except (ServerError, SeedError, subprocess.SubprocessError, ValueError) as error:
        print(f"benchmarks.wrk: {error}", file=sys.stderr)
        return 1
    print(render(measured))
    print(f"load average before {load_before}, after {load_average()}")
    if args.json_path is not None:
        data = {
            "timestamp": timestamp(),
            "machine": machine(),
            "load_average_before": load_before,
            "load_average_after": load_average(),
            "runs": {
                name: [dataclasses.asdict(run) for run in runs] for name, runs in measured.items()
            },
        }
        args.json_path.write_text(json.dumps(data, indent=2) + "\n")
    clean = all(
        run.non_2xx_3xx == 0 and run.socket_errors == 0
        for runs in measured.values()
        for run in runs
    )
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
