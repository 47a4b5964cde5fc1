"""The command line of a load run: one argparse description, read into a typed namespace."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from notes_bench.affinity import parse_cpus
from notes_bench.floors import DEFAULT_FLOOR, FLOORS
from notes_bench.scenarios import (
    DEFAULT_MIX,
    SCENARIOS,
    operation_weights,
    parse_scenarios,
    parse_weights,
)
from notes_bench.slo import Objective, parse_slo

MAX_CONCURRENCY = 4096
CLOSED_LOOP_LEVELS = (1, 8, 64, 256)
OPEN_LOOP_CONNECTIONS = 64
# What --smoke means, unless a flag given says otherwise.
SMOKE_DEFAULTS: dict[str, object] = {
    "scenarios": SCENARIOS,
    "concurrency": (4,),
    "duration": 1.0,
    "warmup": 0.25,
    "seed": 64,
    "rounds": 1,
}

T = TypeVar("T", int, float)


class Options(argparse.Namespace):
    """Every flag, under its argparse name: ``build_parser().parse_args`` fills it in."""

    url: str | None
    allow_remote: bool
    database_url: str | None
    seed: int
    floor: str
    scenarios: tuple[str, ...]
    mix: dict[str, float]
    concurrency: tuple[int, ...]
    rates: tuple[float, ...]
    slo: tuple[Objective, ...]
    duration: float | None
    requests: int | None
    warmup: float
    rounds: int
    client_processes: int
    timeout: float
    time_limit: float
    random_seed: int | None
    uvloop: bool
    idempotency_keys: bool
    server_cpus: frozenset[int] | None
    client_cpus: frozenset[int] | None
    ceiling: bool
    json_path: Path | None
    plot_path: Path | None
    report_path: Path | None
    compare: tuple[Path, ...]
    progress: bool | None
    smoke: bool

    @property
    def open_loop(self) -> bool:
        return bool(self.rates)

    def levels(self) -> list[tuple[int, float | None]]:
        """(connections, rate) of each level, in the order they run."""
        if self.open_loop:
            return [(self.concurrency[0], rate) for rate in self.rates]
        return [(level, None) for level in self.concurrency]

    def operations(self, scenario: str) -> tuple[tuple[str, float], ...]:
        return tuple(operation_weights(scenario, self.mix).items())

    def to_json(self) -> dict[str, object]:
        def plain(value: object) -> object:
            if isinstance(value, frozenset):
                return sorted(value)
            if isinstance(value, Path):
                return str(value)
            if isinstance(value, Objective):
                return str(value)
            if isinstance(value, tuple):
                return [plain(item) for item in value]
            return value

        return {name: plain(value) for name, value in sorted(vars(self).items())}


def _checked(parse: Callable[[str], object]) -> Callable[[str], object]:
    """A parser whose ValueError becomes an argparse usage error naming the value."""

    def convert(text: str) -> object:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = getattr(parse, "__name__", "value")
    return convert


def at_least(kind: type[T], minimum: T, *, above: bool = False) -> Callable[[str], object]:
    """A parser of a finite number >= ``minimum`` (> with ``above``)."""

    def parse(text: str) -> T:
        value = kind(text)
        if (
            value != value
            or value in (float("inf"), float("-inf"))
            or value < minimum
            or (above and value == minimum)
        ):
            raise ValueError(
                f"must be a finite number {'>' if above else '>='} {minimum}, got {text}"
            )
        return value

    parse.__name__ = kind.__name__
    return _checked(parse)


def listed(
    parse: Callable[[str], T], name: str, maximum: T | None = None
) -> Callable[[str], object]:
    """``1,8,64`` into values above 0 (at most ``maximum``), in the order given, each once."""

    def convert(text: str) -> tuple[T, ...]:
        values: list[T] = []
        for item in filter(None, (part.strip() for part in text.split(","))):
            try:
                value = parse(item)
            except ValueError:
                raise ValueError(f"{name} {item!r} is not a number") from None
            if not value > 0 or (maximum is not None and value > maximum):
                most = f" and at most {maximum}" if maximum else ""
                raise ValueError(f"{name} must be above 0{most}, got {item}")
            values.append(value)
        if not values:
            raise ValueError(f"no {name} given")
        return tuple(dict.fromkeys(values))

    return _checked(convert)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notes-bench",
        description="Load-test a server of the notes REST contract, closed loop or open loop "
        "(--rate), and measure the client's own ceiling. `notes-bench wrk --help`: the "
        "reference table with wrk.",
        epilog="Only 2xx answers count. benchmarks/README.md explains every flag.",
    )
    add = parser.add_argument_group("target").add_argument
    add("--url", help="root URL of a running server (default: start ours on SQLite)")
    add("--allow-remote", action="store_true", help="allow a --url other than loopback")
    add("--database-url", metavar="URL", help="database of the self-started server")
    add("--seed", metavar="N", type=at_least(int, 0), default=1000, help="notes to create first")
    add("--floor", choices=sorted(FLOORS), default=DEFAULT_FLOOR, help="the ceiling's server")

    load = parser.add_argument_group("load")
    add = load.add_argument
    add(
        "--scenarios",
        metavar="NAMES",
        type=_checked(parse_scenarios),
        default=SCENARIOS,
        help="read,list,create,update,mixed or all",
    )
    add(
        "--weights",
        dest="mix",
        metavar="NAME=W,...",
        type=_checked(parse_weights),
        help="mixed's operations (default read=80,update=15,create=5)",
    )
    add(
        "--concurrency",
        metavar="N,...",
        type=listed(int, "concurrency", MAX_CONCURRENCY),
        help="connections (closed: 1,8,64,256; open: 64)",
    )
    add(
        "--rate",
        "--rates",
        dest="rates",
        metavar="R,...",
        type=listed(float, "rate"),
        default=(),
        help="open loop: requests/s on a fixed schedule",
    )
    add(
        "--slo",
        metavar="P=LIMIT,...",
        type=_checked(parse_slo),
        default=(),
        help="objective, e.g. p99=50ms: the highest level within it",
    )
    bound = load.add_mutually_exclusive_group()
    bound.add_argument(
        "--duration",
        metavar="S",
        type=at_least(float, 0.0, above=True),
        help="measured seconds per run (default 10)",
    )
    bound.add_argument(
        "--requests",
        metavar="N",
        type=at_least(int, 1),
        help="closed loop: requests per run instead",
    )
    add("--warmup", metavar="S", type=at_least(float, 0.0), default=2.0, help="(default 2)")
    add("--rounds", metavar="N", type=at_least(int, 1), default=3, help="medians of N (default 3)")
    add("--client-processes", metavar="N", type=at_least(int, 1), default=1)
    add("--timeout", metavar="S", type=at_least(float, 0.0, above=True), default=10.0)
    add("--time-limit", metavar="S", type=at_least(float, 0.0, above=True), default=600.0)
    add("--random-seed", metavar="N", type=int)
    add("--uvloop", action=argparse.BooleanOptionalAction, default=True)
    add(
        "--idempotency-keys",
        action="store_true",
        help="every create sends a fresh Idempotency-Key (v1.1): what keys cost",
    )

    add = parser.add_argument_group("placement").add_argument
    add("--server-cpu", dest="server_cpus", metavar="CPUS", type=_checked(parse_cpus))
    add("--client-cpu", dest="client_cpus", metavar="CPUS", type=_checked(parse_cpus))

    add = parser.add_argument_group("output").add_argument
    add(
        "--ceiling",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure the client against the floor (default on)",
    )
    add("--json", dest="json_path", metavar="PATH", type=Path, help="every figure")
    add("--plot", dest="plot_path", metavar="PATH", type=Path, help="PNG by level")
    add("--report", dest="report_path", metavar="PATH", type=Path, help="Markdown, PNGs beside")
    add("--compare", nargs="+", type=Path, default=(), metavar="JSON", help="BASE [NEW]")
    add("--progress", action=argparse.BooleanOptionalAction, default=None)
    add("--smoke", action="store_true", help="seconds-long check for CI; fails on any error")
    parser.set_defaults(mix=dict(DEFAULT_MIX), concurrency=())
    return parser


def parse_options(argv: Sequence[str] | None = None) -> Options:
    parser = build_parser()
    options = parser.parse_args(argv, namespace=Options())
    if options.smoke:
        parser.set_defaults(**SMOKE_DEFAULTS)
        options = parser.parse_args(argv, namespace=Options())
    options.scenarios = tuple(options.scenarios)
    options.compare = tuple(options.compare)
    if not options.concurrency:
        options.concurrency = (OPEN_LOOP_CONNECTIONS,) if options.rates else CLOSED_LOOP_LEVELS
    if options.duration is None and options.requests is None:
        options.duration = 10.0
    problem = check_options(options)
    if problem:
        parser.error(problem)
    return options


def check_options(options: Options) -> str | None:
    """Why these options cannot run together, or None."""
    if len(options.compare) > 2:
        return "--compare takes BASE.json, or BASE.json NEW.json"
    if options.url is not None and options.database_url is not None:
        return "--database-url configures the self-started server; not with --url"
    if options.open_loop and options.requests is not None:
        return "an open loop (--rate) runs for a --duration, not a number of --requests"
    if options.open_loop and len(options.concurrency) > 1:
        return "an open loop spreads its rates over one --concurrency level"
    operations = {
        name for scenario in options.scenarios for name, _ in options.operations(scenario)
    }
    if operations & {"read", "update"} and options.seed < 1:
        return "read and update need notes: give --seed 1 or more"
    if "update" in operations and options.seed < max(options.concurrency):
        # Each connection updates notes of its own, so that no two PUTs race on an ETag.
        return f"update needs --seed >= the highest concurrency ({max(options.concurrency)})"
    return None
