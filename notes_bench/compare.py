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


def metric_ratio(base: Row | None, new: Row | None, metric: str) -> Ratio | None:
    if base is None or new is None:
        return None
    base_values = [v for run in base.rounds if (v := run.value(metric)) is not None]
    new_values = [v for run in new.rounds if (v := run.value(metric)) is not None]
    interval = ratio_interval(base_values, new_values)
    if interval is None:
        return None
    return Ratio(statistics.median(new_values) / statistics.median(base_values), interval)


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


def _figure(row: Row | None, metric: str, text: str) -> str:
    if row is None:
        return "-"
    span = row.spread(metric)
    if span is None or len(row.rounds) < MIN_ROUNDS:
        return text
    low, high = span
    formatted = (
        (f"{low:,.0f}", f"{high:,.0f}") if metric == "rps" else (format_ms(low), format_ms(high))
    )
    return f"{text} ({formatted[0]}-{formatted[1]})"


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
        "p99 ms base",
        "p99 ms new",
        "new/base",
    )
    lines = []
    for item in comparisons:
        scenario, concurrency, rate = item.key
        lines.append(
            [
                scenario,
                str(concurrency),
                format_level(rate),
                _figure(
                    item.base, "rps", "-" if item.base is None else f"{item.base.summary.rps:,.0f}"
                ),
                _figure(
                    item.new, "rps", "-" if item.new is None else f"{item.new.summary.rps:,.0f}"
                ),
                _ratio_cell(item.ratio("rps"), item.base, item.new),
                _figure(
                    item.base,
                    "p99_ms",
                    format_ms(None if item.base is None else item.base.summary.p99_ms),
                ),
                _figure(
                    item.new,
                    "p99_ms",
                    format_ms(None if item.new is None else item.new.summary.p99_ms),
                ),
                _ratio_cell(item.ratio("p99_ms"), item.base, item.new),
            ]
        )
    legend = [
        f"base: {base_name} ({base.meta.get('timestamp', '?')})",
        f"new:  {new_name} ({new.meta.get('timestamp', '?')})",
        "Figures: median of rounds (lowest-highest). new/base: ratio of medians (lowest-highest "
        f"ratio of any new round to any base round); '{NOISE}' when that interval holds 1.",
    ]
    return "\n".join([*legend, format_table(header, lines)])
