"""One run's figures from its histogram, and the figures of several rounds: medians and spread."""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from notes_bench.histogram import Latencies

# The figures a round yields, each of which rounds give a median and a spread of.
METRICS = ("rps", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Summary:
    """What one measured run (or the median of several rounds) came to.

    Only 2xx answers count as successes and throughput; latencies are of successes.
    """

    successes: int
    errors: dict[str, int]
    elapsed_s: float
    rps: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    p999_ms: float | None
    max_ms: float | None
    mean_ms: float | None

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def value(self, metric: str) -> float | None:
        figure: float | None = getattr(self, metric)
        return figure

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        fields = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in fields})


def summarize(latencies: Latencies, errors: Mapping[str, int], elapsed_s: float) -> Summary:
    """The figures of one run: its successes' histogram, its errors, its window."""
    percentiles = latencies.percentiles_ms()
    return Summary(
        successes=latencies.count,
        errors={key: count for key, count in sorted(errors.items()) if count},
        elapsed_s=elapsed_s,
        rps=latencies.count / elapsed_s if elapsed_s > 0 else 0.0,
        p50_ms=percentiles.get(50.0),
        p90_ms=percentiles.get(90.0),
        p99_ms=percentiles.get(99.0),
        p999_ms=percentiles.get(99.9),
        max_ms=latencies.max_ms(),
        mean_ms=latencies.mean_ms(),
    )


def _median(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def median_summary(rounds: Sequence[Summary]) -> Summary:
    """Rounds combined: the median of each rate and percentile, the worst max.

    Successes and errors are totals, so no error of any round is hidden.
    """
    if not rounds:
        raise ValueError("median of no rounds")
    if len(rounds) == 1:
        return rounds[0]
    errors: Counter[str] = Counter()
    for run in rounds:
        errors.update(run.errors)
    maxima = [run.max_ms for run in rounds if run.max_ms is not None]
    return Summary(
        successes=sum(run.successes for run in rounds),
        errors=dict(sorted(errors.items())),
        elapsed_s=sum(run.elapsed_s for run in rounds),
        rps=statistics.median(run.rps for run in rounds),
        p50_ms=_median(run.p50_ms for run in rounds),
        p90_ms=_median(run.p90_ms for run in rounds),
        p99_ms=_median(run.p99_ms for run in rounds),
        p999_ms=_median(run.p999_ms for run in rounds),
        max_ms=max(maxima) if maxima else None,
        mean_ms=_median(run.mean_ms for run in rounds),
    )


def spread(rounds: Sequence[Summary], metric: str) -> tuple[float, float] | None:
    """The lowest and highest of a figure over the rounds that have it."""
    values = [value for run in rounds if (value := run.value(metric)) is not None]
    return (min(values), max(values)) if values else None
