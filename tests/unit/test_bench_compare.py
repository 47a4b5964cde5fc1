"""Comparing two runs: pairing rows, ratios with their interval, and the noise verdict."""

from __future__ import annotations

import pytest

from notes_bench.compare import (
    NOISE,
    ceiling_shares,
    compare_rows,
    metric_ratio,
    noise_verdict,
    ratio_interval,
    render_comparison,
)
from notes_bench.results import Results, Row
from notes_bench.stats import Summary, median_summary


def _round(rps: float, p99: float) -> Summary:
    return Summary(
        successes=int(rps),
        errors={},
        elapsed_s=1.0,
        rps=rps,
        p50_ms=p99 / 2,
        p90_ms=p99,
        p99_ms=p99,
        p999_ms=p99,
        max_ms=p99,
        mean_ms=p99 / 2,
    )


def _row(
    scenario: str, concurrency: int, rounds: list[tuple[float, float]], rate: float | None = None
) -> Row:
    summaries = tuple(_round(rps, p99) for rps, p99 in rounds)
    return Row(
        scenario=scenario,
        concurrency=concurrency,
        rate=rate,
        summary=median_summary(summaries),
        rounds=summaries,
    )


def test_the_interval_spans_every_pair_of_rounds() -> None:
    assert ratio_interval([100.0, 200.0], [300.0, 400.0]) == (1.5, 4.0)
    assert ratio_interval([100.0, 110.0, 90.0], [99.0, 120.0]) == (99.0 / 110.0, 120.0 / 90.0)


@pytest.mark.parametrize(
    ("base", "new"), [([100.0], [120.0, 130.0]), ([100.0, 90.0], [120.0]), ([0.0, 1.0], [1.0, 2.0])]
)
def test_no_interval_without_two_rounds_a_side_or_with_a_zero(
    base: list[float], new: list[float]
) -> None:
    assert ratio_interval(base, new) is None


def test_the_verdict_is_noise_when_the_interval_holds_one() -> None:
    assert noise_verdict((0.9, 1.4)) == NOISE
    assert noise_verdict((1.0, 1.4)) == NOISE
    assert noise_verdict((1.01, 1.4)) == "higher"
    assert noise_verdict((0.5, 0.99)) == "lower"


def test_a_ratio_is_of_medians_with_the_interval_of_rounds() -> None:
    base = _row("read", 8, [(100.0, 4.0), (110.0, 5.0), (90.0, 6.0)])
    new = _row("read", 8, [(150.0, 2.0), (160.0, 3.0), (140.0, 2.5)])
    throughput = metric_ratio(base, new, "rps")
    assert throughput is not None
    assert throughput.value == 1.5
    assert throughput.interval == (140.0 / 110.0, 160.0 / 90.0)
    assert throughput.verdict == "higher"
    latency = metric_ratio(base, new, "p99_ms")
    assert latency is not None
    assert latency.value == 0.5
    assert latency.verdict == "lower"
    assert metric_ratio(base, None, "rps") is None


def test_overlapping_rounds_are_within_noise() -> None:
    base = _row("create", 64, [(1000.0, 10.0), (1600.0, 12.0)])
    new = _row("create", 64, [(1500.0, 11.0), (2000.0, 7.0)])
    ratio = metric_ratio(base, new, "rps")
    assert ratio is not None
    assert ratio.verdict == NOISE
    assert str(ratio) == "1.35x (0.94-2.00) within noise"


def test_rows_pair_by_scenario_and_level() -> None:
    base = [_row("read", 8, [(1.0, 1.0)]), _row("read", 64, [(1.0, 1.0)], rate=500.0)]
    new = [_row("read", 64, [(1.0, 1.0)], rate=500.0), _row("list", 8, [(1.0, 1.0)])]
    pairs = {item.key: item for item in compare_rows(base, new)}
    assert list(pairs) == [("read", 8, None), ("read", 64, 500.0), ("list", 8, None)]
    assert pairs["read", 8, None].new is None
    assert pairs["list", 8, None].base is None


def test_rendered_comparison_prints_a_ratio_only_with_its_interval() -> None:
    base = Results(
        rows=[_row("read", 8, [(100.0, 4.0), (110.0, 5.0)]), _row("list", 8, [(50.0, 9.0)])],
        meta={"timestamp": "T1"},
    )
    new = Results(
        rows=[_row("read", 8, [(200.0, 2.0), (220.0, 2.0)]), _row("list", 8, [(80.0, 9.0)])],
        meta={"timestamp": "T2"},
    )
    text = render_comparison(base, new, "a.json", "b.json")
    assert "a.json (T1)" in text
    assert "b.json (T2)" in text
    read = next(line for line in text.splitlines() if line.startswith("read"))
    assert "2.00x (1.82-2.20) higher" in read
    assert "0.44x (0.40-0.50) lower" in read
    listing = next(line for line in text.splitlines() if line.startswith("list"))
    assert "x (" not in listing
    assert "no interval (rounds: 1 and 1; need 2+)" in listing


def test_shares_of_the_ceiling_pair_rounds_with_the_same_rounds_ceiling() -> None:
    results = Results(
        ceiling=[_row("ceiling", 8, [(1000.0, 1.0), (2000.0, 1.0), (0.0, 1.0)])],
        rows=[_row("read", 8, [(500.0, 2.0), (800.0, 2.0), (9.0, 2.0)])],
    )
    assert ceiling_shares(results, results.rows[0]) == [0.5, 0.4]
    assert ceiling_shares(Results(rows=results.rows), results.rows[0]) == []
