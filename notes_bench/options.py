"""The command line: every flag, its default, and the checks that combine them."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from benchmarks.affinity import parse_cpus
from benchmarks.scenarios import (
    DEFAULT_MIX,
    SCENARIOS,
    operation_weights,
    parse_scenarios,
    parse_weights,
)

MAX_CONCURRENCY = 4096
# What --smoke means, unless a flag given explicitly says otherwise.
SMOKE_DEFAULTS: dict[str, object] = {
    "scenarios": SCENARIOS,
    "concurrency": (4,),
    "duration": 1.0,
    "warmup": 0.25,
    "seed": 64,
    "repeat": 1,
}

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Options:
    url: str | None
    database_url: str | None
    scenarios: tuple[str, ...]
    mix: dict[str, float]
    seed: int
    duration_s: float | None
    requests: int | None
    warmup_s: float
    concurrency: tuple[int, ...]
    repeat: int
    client_processes: int
    server_cpus: frozenset[int] | None
    client_cpus: frozenset[int] | None
    timeout_s: float
    time_limit_s: float
    ceiling: bool
    uvloop: bool
    progress: bool | None
    json_path: Path | None
    plot_path: Path | None
    compare: tuple[Path, ...]
    random_seed: int | None
    smoke: bool

    def operations(self, scenario: str) -> tuple[tuple[str, float], ...]:
        return tuple(operation_weights(scenario, self.mix).items())

    def to_json(self) -> dict[str, object]:
        data = dataclasses.asdict(self)
        for key in ("server_cpus", "client_cpus"):
            data[key] = None if data[key] is None else sorted(data[key])
        for key in ("json_path", "plot_path"):
            data[key] = None if data[key] is None else str(data[key])
        data["compare"] = [str(path) for path in self.compare]
        return data


def _typed(parse: Callable[[str], T]) -> Callable[[str], T]:
    """Turn a parser's ValueError into an argparse usage error that names the value."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = parse.__name__
    return convert


def parse_concurrency(text: str) -> tuple[int, ...]:
    """``1,8,64,256`` into levels, in the order given, each once."""
    levels: list[int] = []
    for item in text.split(","):
        if not item.strip():
            continue
        try:
            level = int(item)
        except ValueError:
            raise ValueError(f"concurrency {item.strip()!r} is not an integer") from None
        if not 1 <= level <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency must be within 1..{MAX_CONCURRENCY}, got {level}")
        levels.append(level)
    if not levels:
        raise ValueError("no concurrency level given")
    return tuple(dict.fromkeys(levels))


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ValueError(f"must be a finite number above 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"must be a finite number >= 0, got {text}")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"must be an integer >= 1, got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"must be an integer >= 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Load-test a server implementing the notes REST contract, and measure "
        "the client's own ceiling against a bare aiohttp handler.",
        epilog="Only 2xx answers count as throughput. See benchmarks/README.md.",
    )
    target = parser.add_argument_group("target")
    target.add_argument(
        "--url",
        metavar="URL",
        help="base URL of an already running server (loopback only), e.g. "
        "http://127.0.0.1:8080; default: start `python -m notes serve` in a subprocess",
    )
    target.add_argument(
        "--database-url",
        metavar="URL",
        help="database of the self-started server (default: a fresh SQLite file in a "
        "temporary directory)",
    )
    target.add_argument(
        "--seed",
        metavar="N",
        type=_typed(non_negative_int),
        default=1000,
        help="notes to create before measuring; read and update use them (default 1000)",
    )

    load = parser.add_argument_group("load")
    load.add_argument(
        "--scenarios",
        metavar="NAMES",
        type=_typed(parse_scenarios),
        default=SCENARIOS,
        help=f"comma-separated, from {', '.join(SCENARIOS)}, or all (default all)",
    )
    load.add_argument(
        "--weights",
        dest="mix",
        metavar="NAME=W,...",
        type=_typed(parse_weights),
        default=dict(DEFAULT_MIX),
        help="operation weights of the mixed scenario (default read=80,update=15,create=5)",
    )
    load.add_argument(
        "--concurrency",
        metavar="N,N,...",
        type=_typed(parse_concurrency),
        default=(1, 8, 64, 256),
        help="comma-separated connection counts; each is a separate run (default 1,8,64,256)",
    )
    bound = load.add_mutually_exclusive_group()
    bound.add_argument(
        "--duration",
        metavar="S",
        type=_typed(positive_float),
        default=None,
        help="measured seconds per run (default 10)",
    )
    bound.add_argument(
        "--requests",
        metavar="N",
        type=_typed(positive_int),
        default=None,
        help="measured requests per run, instead of a duration",
    )
    load.add_argument(
        "--warmup",
        metavar="S",
        type=_typed(non_negative_float),
        default=2.0,
        help="seconds of uncounted load before each run (default 2)",
    )
    load.add_argument(
        "--repeat",
        metavar="N",
        type=_typed(positive_int),
        default=1,
        help="runs per scenario and level; the table shows their median (default 1)",
    )
    load.add_argument(
        "--client-processes",
        metavar="N",
        type=_typed(positive_int),
        default=1,
        help="client processes sharing the connections; their figures are merged (default 1)",
    )
    load.add_argument(
        "--timeout",
        metavar="S",
        type=_typed(positive_float),
        default=10.0,
        help="seconds before a request counts as a timeout error (default 10)",
    )
    load.add_argument(
        "--time-limit",
        metavar="S",
        type=_typed(positive_float),
        default=600.0,
        help="hard limit in seconds of a --requests run (default 600)",
    )
    load.add_argument(
        "--random-seed",
        metavar="N",
        type=int,
        default=None,
        help="seed of the request choices, for a repeatable sequence (default random)",
    )
    load.add_argument(
        "--uvloop",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the client on uvloop where installed (default on)",
    )

    placement = parser.add_argument_group("placement")
    placement.add_argument(
        "--server-cpu",
        dest="server_cpus",
        metavar="CPUS",
        type=_typed(parse_cpus),
        default=None,
        help="pin the self-started server and the bare server to these CPUs, e.g. 0 "
        "(with --url, only the bare server: pin yours with taskset)",
    )
    placement.add_argument(
        "--client-cpu",
        dest="client_cpus",
        metavar="CPUS",
        type=_typed(parse_cpus),
        default=None,
        help="pin the client processes to these CPUs, e.g. 1",
    )

    output = parser.add_argument_group("output")
    output.add_argument(
        "--ceiling",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure the client against a bare aiohttp handler first and warn when a "
        "server figure comes near it (default on)",
    )
    output.add_argument(
        "--json", dest="json_path", metavar="PATH", type=Path, help="write every figure here"
    )
    output.add_argument(
        "--plot",
        dest="plot_path",
        metavar="PATH",
        type=Path,
        help="write a PNG of throughput and p99 latency against concurrency",
    )
    output.add_argument(
        "--compare",
        nargs="+",
        type=Path,
        default=(),
        metavar="JSON",
        help="BASE.json: print this run beside it, with ratios; BASE.json NEW.json: only "
        "compare two earlier runs",
    )
    output.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: only on a terminal)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a seconds-long check for CI: every scenario, 1 s at concurrency 4, "
        "a self-started server; fails on any error",
    )
    return parser


def parse_options(argv: Sequence[str] | None = None) -> Options:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.smoke:
        parser.set_defaults(**SMOKE_DEFAULTS)
        args = parser.parse_args(argv)
    if len(args.compare) > 2:
        parser.error("--compare takes BASE.json, or BASE.json NEW.json")
    duration = args.duration
    if duration is None and args.requests is None:
        duration = 10.0
    options = Options(
        url=args.url,
        database_url=args.database_url,
        scenarios=tuple(args.scenarios),
        mix=dict(args.mix),
        seed=args.seed,
        duration_s=duration,
        requests=args.requests,
        warmup_s=args.warmup,
        concurrency=tuple(args.concurrency),
        repeat=args.repeat,
        client_processes=args.client_processes,
        server_cpus=args.server_cpus,
        client_cpus=args.client_cpus,
        timeout_s=args.timeout,
        time_limit_s=args.time_limit,
        ceiling=args.ceiling,
        uvloop=args.uvloop,
        progress=args.progress,
        json_path=args.json_path,
        plot_path=args.plot_path,
        compare=tuple(args.compare),
        random_seed=args.random_seed,
        smoke=args.smoke,
    )
    problem = check_options(options)
    if problem:
        parser.error(problem)
    return options


def check_options(options: Options) -> str | None:
    """Why these options cannot run together, or None."""
    if options.url is not None and options.database_url is not None:
        return "--database-url configures the self-started server; not with --url"
    operations = {
        name for scenario in options.scenarios for name, _ in options.operations(scenario)
    }
    if operations & {"read", "update"} and options.seed < 1:
        return "read and update need notes: give --seed 1 or more"
    if "update" in operations and options.seed < max(options.concurrency):
        # Each connection updates notes of its own, so that no two PUTs race on an ETag.
        return f"update needs --seed >= the highest concurrency ({max(options.concurrency)})"
    return None
