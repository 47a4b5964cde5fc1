"""Two runs side by side: each figure of both, and the ratio of new to base."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from benchmarks.report import format_ms, format_table
from benchmarks.results import Results, Row


def ratio(new: float | None, base: float | None) -> float | None:
    """new / base, or None when either is missing or the base is zero."""
    if new is None or base is None or base == 0:
        return None
    return new / base


@dataclasses.dataclass(frozen=True, kw_only=True)
class Comparison:
    scenario: str
    concurrency: int
    base: Row | None
    new: Row | None

    @property
    def rps_ratio(self) -> float | None:
        return ratio(_rps(self.new), _rps(self.base))

    @property
    def p99_ratio(self) -> float | None:
        return ratio(_p99(self.new), _p99(self.base))


def _rps(row: Row | None) -> float | None:
    return None if row is None else row.summary.rps


def _p99(row: Row | None) -> float | None:
    return None if row is None else row.summary.p99_ms


def compare_rows(base: Sequence[Row], new: Sequence[Row]) -> list[Comparison]:
    """Pair rows by scenario and concurrency, in base order, then rows only new has."""
    base_by_key = {(row.scenario, row.concurrency): row for row in base}
    new_by_key = {(row.scenario, row.concurrency): row for row in new}
    keys = list(dict.fromkeys([*base_by_key, *new_by_key]))
    return [
        Comparison(
            scenario=scenario,
            concurrency=concurrency,
            base=base_by_key.get((scenario, concurrency)),
            new=new_by_key.get((scenario, concurrency)),
        )
        for scenario, concurrency in keys
    ]


def _format_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def render_comparison(base: Results, new: Results, base_name: str, new_name: str) -> str:
    comparisons = compare_rows([*base.ceiling, *base.rows], [*new.ceiling, *new.rows])
    header = (
        "scenario",
        "conc",
        "req/s base",
        "req/s new",
        "ratio",
        "p99 base",
        "p99 new",
        "ratio",
    )
    lines = [
        [
            item.scenario,
            str(item.concurrency),
            "-" if item.base is None else f"{item.base.summary.rps:,.0f}",
            "-" if item.new is None else f"{item.new.summary.rps:,.0f}",
            _format_ratio(item.rps_ratio),
            format_ms(_p99(item.base)),
            format_ms(_p99(item.new)),
            _format_ratio(item.p99_ratio),
        ]
        for item in comparisons
    ]
    legend = [
        f"base: {base_name} ({base.meta.get('timestamp', '?')})",
        f"new:  {new_name} ({new.meta.get('timestamp', '?')})",
    ]
    return "\n".join([*legend, format_table(header, lines)])
