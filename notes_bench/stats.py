"""Latency percentiles and the summary of one measured run."""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

NS_PER_MS = 1_000_000


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks.

    The same definition as numpy's default, so figures can be checked by hand.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    if not sorted_values:
        raise ValueError("percentile of no values")
    position = (len(sorted_values) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    fraction = position - lower
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * fraction


@dataclasses.dataclass(frozen=True, kw_only=True)
class Summary:
    """What one measured run (or the median of several) came to.

    Only 2xx answers count as successes and throughput; latencies are of successes.
    """

    successes: int
    errors: dict[str, int]
    elapsed_s: float
    rps: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    mean_ms: float | None

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        fields = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in fields})


def summarize(latencies_ns: Iterable[int], errors: Mapping[str, int], elapsed_s: float) -> Summary:
    """Summarize the successful latencies (nanoseconds) and errors of one run."""
    ordered = sorted(latencies_ns)
    successes = len(ordered)
    rps = successes / elapsed_s if elapsed_s > 0 else 0.0
    clean_errors = {key: count for key, count in sorted(errors.items()) if count}
    if not ordered:
        return Summary(
            successes=0,
            errors=clean_errors,
            elapsed_s=elapsed_s,
            rps=rps,
            p50_ms=None,
            p90_ms=None,
            p99_ms=None,
            max_ms=None,
            mean_ms=None,
        )
    return Summary(
        successes=successes,
        errors=clean_errors,
        elapsed_s=elapsed_s,
        rps=rps,
        p50_ms=percentile(ordered, 50) / NS_PER_MS,
        p90_ms=percentile(ordered, 90) / NS_PER_MS,
        p99_ms=percentile(ordered, 99) / NS_PER_MS,
        max_ms=ordered[-1] / NS_PER_MS,
        mean_ms=sum(ordered) / successes / NS_PER_MS,
    )


def _median(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def median_summary(runs: Sequence[Summary]) -> Summary:
    """Combine repeated runs: the median of each rate and percentile, the worst max.

    Successes and errors are totals, so no error of any repetition is hidden.
    """
    if not runs:
        raise ValueError("median of no runs")
    if len(runs) == 1:
        return runs[0]
    errors: Counter[str] = Counter()
    for run in runs:
        errors.update(run.errors)
    maxima = [run.max_ms for run in runs if run.max_ms is not None]
    return Summary(
        successes=sum(run.successes for run in runs),
        errors=dict(sorted(errors.items())),
        elapsed_s=sum(run.elapsed_s for run in runs),
        rps=statistics.median(run.rps for run in runs),
        p50_ms=_median(run.p50_ms for run in runs),
        p90_ms=_median(run.p90_ms for run in runs),
        p99_ms=_median(run.p99_ms for run in runs),
        max_ms=max(maxima) if maxima else None,
        mean_ms=_median(run.mean_ms for run in runs),
    )
