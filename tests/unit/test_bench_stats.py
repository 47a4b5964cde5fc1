"""Percentiles from HDR histograms, their merge across processes, and rounds' medians.

Exact arithmetic, no timing.
"""

from __future__ import annotations

import pytest

from notes_bench.histogram import HIGHEST_US, Latencies, distribution_percentiles, merge
from notes_bench.recording import Recording, merge_recordings
from notes_bench.stats import Summary, median_summary, spread, summarize

MS = 1_000_000  # nanoseconds


def _latencies(*values_ms: float) -> Latencies:
    latencies = Latencies()
    for value in values_ms:
        latencies.record_ns(round(value * MS))
    return latencies


def test_percentiles_are_within_a_thousandth_of_the_rank_value() -> None:
    # 1..1000 ms: the value of rank ceil(p% of 1000) is p * 10 ms.
    latencies = _latencies(*range(1, 1001))
    percentiles = latencies.percentiles_ms((50.0, 90.0, 99.0, 99.9))
    for percentile, exact in [(50.0, 500.0), (90.0, 900.0), (99.0, 990.0), (99.9, 999.0)]:
        assert percentiles[percentile] == pytest.approx(exact, rel=1e-3)
        assert percentiles[percentile] >= exact
    assert latencies.max_ms() == pytest.approx(1000.0, rel=1e-3)
    assert latencies.mean_ms() == pytest.approx(500.5, rel=1e-3)
    assert latencies.count == 1000


def test_a_latency_beyond_the_range_is_clamped_not_dropped() -> None:
    latencies = Latencies()
    latencies.record_ns(0)
    latencies.record_ns(10 * HIGHEST_US * 1000)
    assert latencies.count == 2
    assert latencies.max_ms() == pytest.approx(HIGHEST_US / 1000, rel=1e-3)


def test_histograms_of_several_processes_merge_into_the_histogram_of_all() -> None:
    one = _latencies(1, 2, 3, 400)
    two = _latencies(5, 6, 7, 8, 9, 10)
    # Through the encoding a client process sends, as run_clients merges them.
    merged = merge([one.encode(), two.encode(), Latencies().encode()])
    direct = _latencies(1, 2, 3, 400, 5, 6, 7, 8, 9, 10)
    assert merged.count == 10
    assert merged.percentiles_ms() == direct.percentiles_ms()
    assert merged.max_ms() == direct.max_ms()
    assert Latencies.decode(merged.encode()).percentiles_ms() == direct.percentiles_ms()


def test_an_empty_histogram_has_no_figures() -> None:
    assert Latencies().percentiles_ms() == {}
    assert Latencies().max_ms() is None
    assert merge([]).count == 0


def test_distribution_percentiles_reach_as_far_as_the_count_backs() -> None:
    points = distribution_percentiles(1000)
    assert points[0] == 0.0
    assert points[-1] == 100.0
    assert points[-2] == pytest.approx(99.9)
    assert points == sorted(points)
    assert distribution_percentiles(1) == [0.0, 100.0]


def test_summarize_counts_only_successes_as_throughput() -> None:
    summary = summarize(_latencies(3, 1, 2, 4), {"500": 2, "timeout": 1, "404": 0}, 2.0)
    assert summary.successes == 4
    assert summary.rps == 2.0
    assert summary.errors == {"500": 2, "timeout": 1}
    assert summary.error_count == 3
    assert summary.p50_ms == pytest.approx(2.0, rel=1e-3)
    assert summary.max_ms == pytest.approx(4.0, rel=1e-3)


def test_summarize_with_no_success_has_no_latency() -> None:
    summary = summarize(Latencies(), {"connection": 5}, elapsed_s=1.0)
    assert summary.successes == 0
    assert summary.rps == 0.0
    assert summary.p99_ms is None
    assert summary.max_ms is None
    assert summarize(_latencies(1), {}, elapsed_s=0.0).rps == 0.0


def _run(rps: float, p99: float, max_ms: float, errors: dict[str, int]) -> Summary:
    return Summary(
        successes=int(rps),
        errors=errors,
        elapsed_s=1.0,
        rps=rps,
        p50_ms=p99 / 4,
        p90_ms=p99 / 2,
        p99_ms=p99,
        p999_ms=p99 * 2,
        max_ms=max_ms,
        mean_ms=p99 / 3,
    )


def test_median_summary_takes_medians_worst_max_and_all_errors() -> None:
    rounds = [
        _run(100.0, 9.0, 20.0, {"500": 1}),
        _run(300.0, 3.0, 50.0, {}),
        _run(200.0, 6.0, 10.0, {"500": 2, "timeout": 1}),
    ]
    median = median_summary(rounds)
    assert median.rps == 200.0
    assert median.p99_ms == 6.0
    assert median.p999_ms == 12.0
    assert median.max_ms == 50.0
    assert median.successes == 600
    assert median.errors == {"500": 3, "timeout": 1}
    assert median.elapsed_s == 3.0
    assert spread(rounds, "rps") == (100.0, 300.0)
    assert spread(rounds, "p99_ms") == (3.0, 9.0)


def test_median_summary_of_one_round_is_that_round() -> None:
    run = _run(100.0, 9.0, 20.0, {})
    assert median_summary([run]) is run
    with pytest.raises(ValueError, match="no rounds"):
        median_summary([])


def test_summary_survives_a_json_round_trip() -> None:
    run = _run(100.0, 9.0, 20.0, {"412": 1})
    assert Summary.from_json({**run.to_json(), "unknown": 1}) == run


def test_recordings_of_processes_merge_bin_by_bin() -> None:
    second = 1_000_000_000
    first = Recording(origin_ns=0, until_ns=2 * second, bin_s=1.0)
    other = Recording(origin_ns=0, until_ns=2 * second, bin_s=1.0)
    first.success(5 * MS, at_ns=second // 2)
    first.success(7 * MS, at_ns=3 * second)
    other.success(9 * MS, at_ns=second + 1)
    other.error("500", at_ns=second + 2)
    # In flight when the window closed: counted in its last bin, not a bin of its own.
    other.success(1 * MS, at_ns=2 * second + second // 2)
    merged = merge_recordings([first.freeze(), other.freeze()], start_s=4.0)
    assert merged.latencies.count == 4
    assert merged.errors == {"500": 1}
    timeline = merged.timeline
    assert timeline.start_s == 4.0
    assert timeline.successes == (1, 2, 0, 1)
    assert timeline.errors == (0, 1, 0, 0)
    assert timeline.max_ms[1] == pytest.approx(9.0, rel=1e-2)
    assert timeline.p99_ms[2] is None
