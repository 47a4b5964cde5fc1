"""``notes-bench wrk``: the reference table, with wrk as the client.

The floor (a bare aiohttp handler), then GET one note, GET 50 notes and POST a note,
each in ``--rounds`` rounds, servers pinned to one core and wrk to another. Each
round measures the floor first; a target's share of the floor is the median of its
per-round shares. wrk's figures come from its Lua ``done()`` hook as JSON
(``wrk_report.lua``). wrk counts every answer in its request total; here only
answers below 400 count (its status errors are subtracted), and socket errors are
reported.

``--variant ITEM`` (repeatable) measures the note targets a second time, in the same
rounds, on a second server of ours started with other settings: each ITEM is a
``NAME=VALUE`` setting for its environment or a ``notes serve`` argument
(``--variant NOTES_LOG_FORMAT=json --variant NOTES_METRICS=on``, ``--variant=--auth
--variant=token``). In token mode (v1.1) a user is made with ``notes users add`` and
every request of the variant carries its token.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from notes.process import NOTES_MODULE, CommandForPort, notes_command
from notes_bench.affinity import parse_cpus, pinned_command
from notes_bench.environment import load_average, machine, timestamp
from notes_bench.floors import DEFAULT_FLOOR, FLOORS, default_floor
from notes_bench.report import format_ms, format_table
from notes_bench.seed import SeedError, seed_notes
from notes_bench.servers import ServerError, running_server, server_environment, target_server

REPORT_VARIABLE = "NOTES_BENCH_WRK_REPORT"
FLOOR = "floor"
_CREATE_BODY = json.dumps(
    {"title": "wrk note", "description": "created by wrk", "created_by": "notes-bench"}
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class WrkRun:
    requests: int
    seconds: float
    status_errors: int  # answers of 400 and above
    socket_errors: int  # connect, read, write and timeout errors
    latency_ms: dict[str, float]  # p50, p90, p99, p99.9, max, mean

    @property
    def good_rps(self) -> float:
        """Answers below 400 per second: wrk's own figure minus its error answers."""
        good = self.requests - self.status_errors
        return good / self.seconds if self.seconds > 0 else 0.0


def read_report(data: Mapping[str, Any]) -> WrkRun:
    """The figures of one run, from the JSON that ``wrk_report.lua`` writes."""
    errors = data["errors"]
    latency = data["latency_us"]
    figures = {f"p{key}": value for key, value in latency["percentiles"].items()}
    figures |= {"max": latency["max"], "mean": latency["mean"]}
    return WrkRun(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        status_errors=int(errors["status"]),
        socket_errors=sum(int(errors[kind]) for kind in ("connect", "read", "write", "timeout")),
        latency_ms={key: value / 1000 for key, value in figures.items()},
    )


def lua_script(requests: str) -> str:
    """A wrk script: what to send (``requests``, Lua), then the JSON report hook."""
    hook = resources.files("notes_bench").joinpath("wrk_report.lua").read_text()
    return f"{requests}\n{hook}"


def lua_token(token: str | None) -> str:
    """Token mode (v1.1): every request of the script carries the user's token."""
    return "" if token is None else f'wrk.headers["Authorization"] = "Bearer {token}"\n'


def lua_read(ids: Sequence[int], token: str | None = None) -> str:
    listed = ",".join(str(note_id) for note_id in ids)
    return (
        lua_token(token) + f"local ids = {{{listed}}}\n"
        "request = function()\n"
        '  return wrk.format("GET", "/notes/" .. ids[math.random(#ids)])\n'
        "end\n"
    )


def lua_create(token: str | None = None) -> str:
    return (
        lua_token(token) + 'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(_CREATE_BODY)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )


class WrkOptions(argparse.Namespace):
    url: str | None
    allow_remote: bool
    database_url: str | None
    floor: str | None
    seed: int
    rounds: int
    duration: int
    connections: int
    server_cpus: frozenset[int] | None
    client_cpus: frozenset[int] | None
    json_path: Path | None
    variant: list[str]


def run_wrk(url: str, options: WrkOptions, script: Path, workdir: Path) -> WrkRun:
    report = workdir / "wrk-report.json"
    report.unlink(missing_ok=True)
    command = [
        "wrk",
        "-t1",
        f"-c{options.connections}",
        f"-d{options.duration}s",
        "-s",
        str(script),
    ]
    subprocess.run(
        pinned_command([*command, url], options.client_cpus),
        capture_output=True,
        text=True,
        timeout=options.duration + 60,
        check=True,
        env={**os.environ, REPORT_VARIABLE: str(report)},
    )
    return read_report(json.loads(report.read_text()))


FLOOR_SUFFIX = " (floor)"
VARIANT_SUFFIX = " (variant)"


def reference_of(measured: Mapping[str, list[WrkRun]], name: str) -> str:
    """What a target is a share of: the floor's run of the same operation where the
    floor serves notes (the asyncpg floor), else the floor's fixed answer."""
    operation = name.removesuffix(VARIANT_SUFFIX).removesuffix(FLOOR_SUFFIX)
    same = operation + FLOOR_SUFFIX
    return same if same in measured and name != same else FLOOR


def shares_of_floor(measured: dict[str, list[WrkRun]], name: str) -> list[float]:
    """Each round's figure over its reference's of the same round."""
    return [
        run.good_rps / floor.good_rps
        for run, floor in zip(measured[name], measured[reference_of(measured, name)], strict=True)
        if floor.good_rps > 0
    ]


def p99_over_floor(measured: dict[str, list[WrkRun]], name: str) -> float | None:
    """The median p99 over its reference's median p99 (issue 12's tail target)."""
    mine = _median(measured[name], "p99")
    theirs = _median(measured[reference_of(measured, name)], "p99")
    return mine / theirs if mine is not None and theirs else None


def _median(runs: Sequence[WrkRun], key: str) -> float | None:
    values = [run.latency_ms[key] for run in runs if key in run.latency_ms]
    return statistics.median(values) if values else None


def _format_ratio(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def render(measured: dict[str, list[WrkRun]]) -> str:
    lines = []
    for name, runs in measured.items():
        shares = shares_of_floor(measured, name)
        lines.append(
            [
                name,
                f"{statistics.median(run.good_rps for run in runs):,.0f}",
                " ".join(f"{run.good_rps:,.0f}" for run in runs),
                f"{statistics.median(shares):.1%}" if shares else "-",
                f"{min(shares):.1%}-{max(shares):.1%}" if shares else "-",
                format_ms(_median(runs, "p50")),
                format_ms(_median(runs, "p99")),
                format_ms(_median(runs, "p99.9")),
                _format_ratio(p99_over_floor(measured, name)),
                str(sum(run.status_errors for run in runs)),
                str(sum(run.socket_errors for run in runs)),
            ]
        )
    header = (
        "target",
        "median req/s",
        "rounds",
        "of floor",
        "rounds' range",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "p99 / floor's",
        ">=400",
        "sock err",
    )
    return format_table(header, lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="notes-bench wrk", description=__doc__)
    add = parser.add_argument
    add("--url", help="a running server (default: start ours on SQLite)")
    add("--allow-remote", action="store_true", help="allow a --url other than loopback")
    add("--database-url", metavar="URL", help="database of the self-started server")
    add(
        "--floor",
        choices=sorted(FLOORS),
        help=f"default: asyncpg on a PostgreSQL --database-url, else {DEFAULT_FLOOR}",
    )
    add("--seed", type=int, default=10_000, metavar="N")
    add("--rounds", "--runs", dest="rounds", type=int, default=3, metavar="N")
    add("--duration", type=int, default=10, metavar="S")
    add("--connections", type=int, default=64, metavar="N")
    add("--server-cpu", dest="server_cpus", type=parse_cpus, metavar="CPUS")
    add("--client-cpu", dest="client_cpus", type=parse_cpus, metavar="CPUS")
    add("--json", dest="json_path", type=Path, metavar="PATH")
    add(
        "--variant",
        action="append",
        default=[],
        metavar="ITEM",
        help="also measure the note targets, in the same rounds, on a second server of ours "
        "started with this NAME=VALUE setting or `notes serve` argument (repeatable)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv, namespace=WrkOptions())
    if min(options.seed, options.rounds, options.duration, options.connections) < 1:
        parser.error("--seed, --rounds, --duration and --connections must be >= 1")
    if options.url is not None and options.database_url is not None:
        parser.error("--database-url configures the self-started server; not with --url")
    if options.url is not None and options.variant:
        parser.error("--variant starts a second server of ours; not with --url")
    if options.floor is None:
        options.floor = default_floor(options.database_url)
    if FLOORS[options.floor].takes_database and not (options.database_url or "").startswith(
        "postgresql"
    ):
        parser.error(f"--floor {options.floor} needs a PostgreSQL --database-url")
    if shutil.which("wrk") is None:
        print("notes-bench wrk: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    measured: dict[str, list[WrkRun]] = {}
    load_before = load_average()
    try:
        measured = measure(options)
    except (ServerError, SeedError, subprocess.SubprocessError, OSError, ValueError) as error:
        print(f"notes-bench wrk: {error}", file=sys.stderr)
        return 1
    print(render(measured))
    print(f"load average before {load_before}, after {load_average()}")
    if options.json_path is not None:
        data = {
            "timestamp": timestamp(),
            "machine": machine(),
            "floor": options.floor,
            "load_average_before": load_before,
            "load_average_after": load_average(),
            "runs": {
                name: [dataclasses.asdict(run) for run in runs] for name, runs in measured.items()
            },
        }
        options.json_path.write_text(json.dumps(data, indent=2) + "\n")
    clean = all(
        run.status_errors == 0 and run.socket_errors == 0
        for runs in measured.values()
        for run in runs
    )
    return 0 if clean else 1


def measure(options: WrkOptions) -> dict[str, list[WrkRun]]:
    measured: dict[str, list[WrkRun]] = {}
    assert options.floor is not None  # main() chose it
    floor = FLOORS[options.floor]
    with tempfile.TemporaryDirectory(prefix="notes-wrk-") as tmp:
        workdir = Path(tmp)
        with contextlib.ExitStack() as stack:
            url, database_url = stack.enter_context(target_server(options, workdir))
            floor_url = stack.enter_context(
                running_server(
                    floor.command(database_url or options.database_url),
                    log_path=workdir / f"floor-{floor.name}.log",
                    cpus=options.server_cpus,
                )
            )
            pool = seed_notes(url, options.seed)
            scripts = {
                "read": lua_script(lua_read(pool.ids)),
                "plain": lua_script(""),
                "create": lua_script(lua_create()),
            }
            for name, text in scripts.items():
                (workdir / f"{name}.lua").write_text(text)
            targets = {
                FLOOR: (f"{floor_url}/", "plain"),
                "GET /notes/{id}": (f"{url}/", "read"),
                "GET /notes?limit=50": (f"{url}/notes?limit=50", "plain"),
                "POST /notes": (f"{url}/notes", "create"),
            }
            if floor.serves_notes:
                targets |= {
                    "GET /notes/{id}" + FLOOR_SUFFIX: (f"{floor_url}/", "read"),
                    "GET /notes?limit=50" + FLOOR_SUFFIX: (f"{floor_url}/notes?limit=50", "plain"),
                    "POST /notes" + FLOOR_SUFFIX: (f"{floor_url}/notes", "create"),
                }
            if options.variant:
                variant = stack.enter_context(_variant_server(options, workdir))
                targets |= _variant_targets(*variant, count=options.seed, workdir=workdir)
            # Round by round, the floor first: each share compares figures taken a
            # minute apart, whatever else the machine is doing.
            for round_number in range(1, options.rounds + 1):
                for name, (target_url, script) in targets.items():
                    run = run_wrk(target_url, options, workdir / f"{script}.lua", workdir)
                    measured.setdefault(name, []).append(run)
                    print(
                        f"{name} #{round_number}: {run.good_rps:,.0f} req/s, p99 "
                        f"{format_ms(run.latency_ms.get('p99'))} ms, >=400 "
                        f"{run.status_errors}, socket errors {run.socket_errors}",
                        file=sys.stderr,
                    )
    return measured


def variant_command(database_url: str, variant: Sequence[str]) -> CommandForPort:
    """`notes serve` with the variant's NAME=VALUE settings in its environment and its
    other items as arguments (after ours: `--access-log` overrides `--no-access-log`)."""
    settings = [item for item in variant if "=" in item and not item.startswith("-")]
    arguments = [item for item in variant if item not in settings]
    serve = notes_command(database_url, *arguments)
    return lambda port: ["env", *settings, *serve(port)]


def in_token_mode(variant: Sequence[str]) -> bool:
    joined = " ".join(variant)
    return "NOTES_AUTH=token" in variant or "--auth token" in joined or "--auth=token" in joined


@contextlib.contextmanager
def _variant_server(options: WrkOptions, workdir: Path) -> Iterator[tuple[str, str | None]]:
    """The variant's server on a database of its own (the same ids once seeded); its
    URL, and the token of a user made with `notes users add` when it is in token mode."""
    # A SQLite file of its own; a PostgreSQL database given is shared (it would need creating).
    database_url = options.database_url or f"sqlite+aiosqlite:///{workdir / 'variant.db'}"
    token = None
    if in_token_mode(options.variant):
        added = subprocess.run(
            [
                *NOTES_MODULE,
                *("users", "add", "notes-bench"),
                "--database-url",
                database_url,
            ],
            env=server_environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        token = added.stdout.strip()
    with running_server(
        variant_command(database_url, options.variant),
        log_path=workdir / "notes-variant.log",
        cpus=options.server_cpus,
    ) as url:
        yield url, token


def _variant_targets(
    url: str, token: str | None, *, count: int, workdir: Path
) -> dict[str, tuple[str, str]]:
    pool = seed_notes(url, count, token=token)
    scripts = {
        "variant-read": lua_script(lua_read(pool.ids, token)),
        "variant-plain": lua_script(lua_token(token)),
        "variant-create": lua_script(lua_create(token)),
    }
    for name, text in scripts.items():
        (workdir / f"{name}.lua").write_text(text)
    return {
        "GET /notes/{id}" + VARIANT_SUFFIX: (f"{url}/", "variant-read"),
        "GET /notes?limit=50" + VARIANT_SUFFIX: (f"{url}/notes?limit=50", "variant-plain"),
        "POST /notes" + VARIANT_SUFFIX: (f"{url}/notes", "variant-create"),
    }
