"""Side-by-side comparison of two benchmark runs: pairing and ratios."""

from __future__ import annotations

import pytest

from benchmarks.compare import compare_rows, ratio, render_comparison
from benchmarks.results import Results, Row
from benchmarks.stats import summarize


def _row(scenario: str, concurrency: int, successes: int, latency_ms: int) -> Row:
    summary = summarize([latency_ms * 1_000_000] * successes, {}, elapsed_s=1.0)
    return Row(scenario=scenario, concurrency=concurrency, summary=summary, runs=(summary,))


def test_ratio_is_new_over_base() -> None:
    assert ratio(150.0, 100.0) == 1.5
    assert ratio(50.0, 100.0) == 0.5


@pytest.mark.parametrize(("new", "base"), [(1.0, 0.0), (None, 1.0), (1.0, None)])
def test_ratio_without_a_base_figure_is_none(new: float | None, base: float | None) -> None:
    assert ratio(new, base) is None


def test_rows_pair_by_scenario_and_concurrency() -> None:
    base = [_row("read", 8, 1000, 4), _row("read", 64, 2000, 20), _row("list", 8, 100, 10)]
    new = [_row("read", 64, 3000, 10), _row("read", 8, 500, 8), _row("create", 8, 10, 1)]
    pairs = {(item.scenario, item.concurrency): item for item in compare_rows(base, new)}
    assert list(pairs) == [("read", 8), ("read", 64), ("list", 8), ("create", 8)]
    assert pairs["read", 8].rps_ratio == 0.5
    assert pairs["read", 8].p99_ratio == 2.0
    assert pairs["read", 64].rps_ratio == 1.5
    assert pairs["read", 64].p99_ratio == 0.5
    assert pairs["list", 8].new is None
    assert pairs["list", 8].rps_ratio is None
    assert pairs["create", 8].base is None


def test_rendered_comparison_shows_both_figures_and_the_ratio() -> None:
    base = Results(rows=[_row("read", 8, 1000, 4)], meta={"timestamp": "T1"})
    new = Results(rows=[_row("read", 8, 2000, 2)], meta={"timestamp": "T2"})
    text = render_comparison(base, new, "a.json", "b.json")
    assert "a.json (T1)" in text
    assert "b.json (T2)" in text
    line = next(line for line in text.splitlines() if line.startswith("read"))
    assert line.split() == ["read", "8", "1,000", "2,000", "2.00x", "4.00", "2.00", "0.50x"]
