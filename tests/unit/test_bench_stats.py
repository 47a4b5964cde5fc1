"""Percentiles and run summaries of the benchmark tool: exact arithmetic, no timing."""

from __future__ import annotations

import pytest

from benchmarks.stats import Summary, median_summary, percentile, summarize


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == 25.0
    # rank (4 - 1) * 0.9 = 2.7: 30 + 0.7 * (40 - 30)
    assert percentile(values, 90) == pytest.approx(37.0)


def test_percentile_of_one_value_is_that_value() -> None:
    assert percentile([7.0], 0) == 7.0
    assert percentile([7.0], 99) == 7.0


def test_percentile_of_1_to_100_matches_the_rank_formula() -> None:
    values = [float(value) for value in range(1, 101)]
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 50) == pytest.approx(50.5)


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_outside_0_to_100_is_refused(q: float) -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.100"):
        percentile([1.0], q)


def test_percentile_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_summarize_counts_only_successes_as_throughput() -> None:
    latencies_ns = [3_000_000, 1_000_000, 2_000_000, 4_000_000]
    summary = summarize(latencies_ns, {"500": 2, "timeout": 1, "404": 0}, elapsed_s=2.0)
    assert summary.successes == 4
    assert summary.rps == 2.0
    assert summary.errors == {"500": 2, "timeout": 1}
    assert summary.error_count == 3
    assert summary.p50_ms == pytest.approx(2.5)
    assert summary.max_ms == pytest.approx(4.0)
    assert summary.mean_ms == pytest.approx(2.5)


def test_summarize_with_no_success_has_no_latency() -> None:
    summary = summarize([], {"connection": 5}, elapsed_s=1.0)
    assert summary.successes == 0
    assert summary.rps == 0.0
    assert summary.p99_ms is None
    assert summary.max_ms is None


def test_summarize_of_an_empty_window_has_zero_rate() -> None:
    assert summarize([1_000], {}, elapsed_s=0.0).rps == 0.0


def _run(rps: float, p99: float, max_ms: float, errors: dict[str, int]) -> Summary:
    return Summary(
        successes=int(rps),
        errors=errors,
        elapsed_s=1.0,
        rps=rps,
        p50_ms=p99 / 4,
        p90_ms=p99 / 2,
        p99_ms=p99,
        max_ms=max_ms,
        mean_ms=p99 / 3,
    )


def test_median_summary_takes_medians_worst_max_and_all_errors() -> None:
    runs = [
        _run(100.0, 9.0, 20.0, {"500": 1}),
        _run(300.0, 3.0, 50.0, {}),
        _run(200.0, 6.0, 10.0, {"500": 2, "timeout": 1}),
    ]
    median = median_summary(runs)
    assert median.rps == 200.0
    assert median.p99_ms == 6.0
    assert median.max_ms == 50.0
    assert median.successes == 600
    assert median.errors == {"500": 3, "timeout": 1}
    assert median.elapsed_s == 3.0


def test_median_summary_of_one_run_is_that_run() -> None:
    run = _run(100.0, 9.0, 20.0, {})
    assert median_summary([run]) is run


def test_median_summary_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="no runs"):
        median_summary([])


def test_summary_survives_a_json_round_trip() -> None:
    run = _run(100.0, 9.0, 20.0, {"412": 1})
    assert Summary.from_json({**run.to_json(), "unknown": 1}) == run
