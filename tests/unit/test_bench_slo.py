"""Latency objectives: parsing, a row's verdict, and the highest level met."""

from __future__ import annotations

import pytest

from notes_bench.results import Row
from notes_bench.slo import Objective, failures, parse_slo, sustained
from notes_bench.stats import Summary


def test_objectives_parse_with_units() -> None:
    assert parse_slo("p99=50ms") == (Objective("p99", 50.0),)
    assert parse_slo("p50=500us, p99.9=1.5s,max=2") == (
        Objective("p50", 0.5),
        Objective("p99.9", 1500.0),
        Objective("max", 2.0),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p95=5ms", "FIGURE=LIMIT"),
        ("p99", "FIGURE=LIMIT"),
        ("p99=fast", "not a number"),
        ("p99=0", "above 0"),
        ("", "no objective"),
    ],
)
def test_bad_objectives_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_slo(text)


def _row(level: float, rps: float, p99: float, errors: dict[str, int] | None = None) -> Row:
    summary = Summary(
        successes=100,
        errors=errors or {},
        elapsed_s=1.0,
        rps=rps,
        p50_ms=1.0,
        p90_ms=2.0,
        p99_ms=p99,
        p999_ms=p99,
        max_ms=p99,
        mean_ms=1.0,
    )
    return Row(scenario="read", concurrency=64, rate=level, summary=summary, rounds=(summary,))


def test_a_row_misses_on_latency_errors_or_a_rate_not_achieved() -> None:
    slo = parse_slo("p99=50ms")
    assert failures(_row(1000, 1000, 49.0), slo) == []
    assert failures(_row(1000, 1000, 51.0), slo) == ["p99 51 ms > 50 ms"]
    assert failures(_row(1000, 1000, 1.0, {"500": 1}), slo) == ["errors"]
    assert failures(_row(1000, 940, 1.0), slo) == ["achieved 94% of the rate"]


def test_the_highest_level_met_is_the_last_before_the_first_miss() -> None:
    rows = [
        _row(4000, 4000, 80.0),
        _row(1000, 1000, 5.0),
        _row(2000, 2000, 20.0),
        _row(8000, 8000, 1.0),
    ]
    (verdict,) = sustained(rows, parse_slo("p99=50ms"))
    assert verdict.best is not None
    assert verdict.best.rate == 2000
    assert verdict.first_miss is not None
    assert verdict.first_miss.rate == 4000
    assert verdict.reasons == ("p99 80 ms > 50 ms",)
    (none,) = sustained([_row(1000, 1000, 99.0)], parse_slo("p99=50ms"))
    assert none.best is None
