"""Two runs side by side: each figure's median and spread, and ratios that know noise.

A ratio new/base is printed with its interval: the lowest and the highest ratio of
any round of the new run to any round of the base run. When the interval holds 1,
some round of one run is as good as some round of the other, and the difference is
marked as within noise. With fewer than 2 rounds on a side there is no interval, and
no ratio is printed.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence

from notes_bench.report import format_level, format_ms, format_table
from notes_bench.results import Key, Results, Row
from notes_bench.scenarios import CEILING

MIN_ROUNDS = 2
NOISE = "within noise"


def ratio_interval(base: Sequence[float], new: Sequence[float]) -> tuple[float, float] | None:
    """The lowest and highest new_i / base_j over every pair of rounds, or None."""
    if len(base) < MIN_ROUNDS or len(new) < MIN_ROUNDS or min(base) <= 0:
        return None
    return min(new) / max(base), max(new) / min(base)


def noise_verdict(interval: tuple[float, float]) -> str:
    low, high = interval
    if low > 1:
        return "higher"
    if high < 1:
        return "lower"
    return NOISE


@dataclasses.dataclass(frozen=True)
class Ratio:
    value: float  # median of new rounds over median of base rounds
    interval: tuple[float, float]

    @property
    def verdict(self) -> str:
        return noise_verdict(self.interval)

    def __str__(self) -> str:
        low, high = self.interval
        return f"{self.value:.2f}x ({low:.2f}-{high:.2f}) {self.verdict}"


def values_ratio(base: Sequence[float], new: Sequence[float]) -> Ratio | None:
    interval = ratio_interval(base, new)
    if interval is None:
        return None
    return Ratio(statistics.median(new) / statistics.median(base), interval)


def metric_ratio(base: Row | None, new: Row | None, metric: str) -> Ratio | None:
    if base is None or new is None:
        return None
    return values_ratio(
        [v for run in base.rounds if (v := run.value(metric)) is not None],
        [v for run in new.rounds if (v := run.value(metric)) is not None],
    )


def ceiling_shares(results: Results, row: Row | None) -> list[float]:
    """Each round's throughput over the client ceiling's in the same round: a figure
    that a change of the machine's speed between two runs cancels out of."""
    ceiling = None if row is None else results.ceiling_for(row)
    if row is None or ceiling is None or row.rate is not None:
        return []
    return [
        run.rps / floor.rps
        for run, floor in zip(row.rounds, ceiling.rounds, strict=False)
        if floor.rps > 0
    ]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Comparison:
    key: Key
    base: Row | None
    new: Row | None

    def ratio(self, metric: str) -> Ratio | None:
        return metric_ratio(self.base, self.new, metric)


def compare_rows(base: Sequence[Row], new: Sequence[Row]) -> list[Comparison]:
    """Pair rows by scenario and level, in base order, then rows only new has."""
    base_by_key = {row.key: row for row in base}
    new_by_key = {row.key: row for row in new}
    keys = list(dict.fromkeys([*base_by_key, *new_by_key]))
    return [Comparison(key=key, base=base_by_key.get(key), new=new_by_key.get(key)) for key in keys]


def _figure(row: Row | None, metric: str) -> str:
    """The median of rounds, and the lowest and highest round in brackets."""
    value = None if row is None else row.summary.value(metric)
    if row is None or value is None:
        return "-"
    show = (lambda v: f"{v:,.0f}") if metric == "rps" else format_ms
    span = row.spread(metric)
    if span is None or len(row.rounds) < MIN_ROUNDS:
        return show(value)
    return f"{show(value)} ({show(span[0])}-{show(span[1])})"


def _ratio_cell(ratio: Ratio | None, base: Row | None, new: Row | None) -> str:
    if ratio is not None:
        return str(ratio)
    if base is None or new is None:
        return "-"
    return f"no interval (rounds: {len(base.rounds)} and {len(new.rounds)}; need {MIN_ROUNDS}+)"


def render_comparison(base: Results, new: Results, base_name: str, new_name: str) -> str:
    comparisons = compare_rows([*base.ceiling, *base.rows], [*new.ceiling, *new.rows])
    header = (
        "scenario",
        "conc",
        "rate",
        "req/s base",
        "req/s new",
        "new/base",
        "of ceiling new/base",
        "p99 ms base",
        "p99 ms new",
        "new/base",
    )
    lines = []
    for item in comparisons:
        scenario, concurrency, rate = item.key
        shares = values_ratio(ceiling_shares(base, item.base), ceiling_shares(new, item.new))
        lines.append(
            [
                scenario,
                str(concurrency),
                format_level(rate),
                _figure(item.base, "rps"),
                _figure(item.new, "rps"),
                _ratio_cell(item.ratio("rps"), item.base, item.new),
                "-" if shares is None or scenario == CEILING else str(shares),
                _figure(item.base, "p99_ms"),
                _figure(item.new, "p99_ms"),
                _ratio_cell(item.ratio("p99_ms"), item.base, item.new),
            ]
        )
    legend = [
        f"base: {base_name} ({base.meta.get('timestamp', '?')})",
        f"new:  {new_name} ({new.meta.get('timestamp', '?')})",
        "Figures: median of rounds (lowest-highest). new/base: ratio of medians (lowest-highest "
        f"ratio of any new round to any base round); '{NOISE}' when that interval holds 1. "
        "of ceiling: each round's req/s over the client ceiling's in the same round, which "
        "cancels a change of the machine's speed between the two runs.",
    ]
    return "\n".join([*legend, format_table(header, lines)])
