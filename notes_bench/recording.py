"""What a client process records during a run, and how the records of several merge.

Every success goes into one latency histogram, and into the time bin in which it
completed (a coarser histogram per bin), so that a stall shows as a dip of
throughput and a spike of latency at the moment it happened.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from notes_bench.histogram import Latencies, merge

# Per bin, 2 significant figures (within 1%) are plenty for a curve.
BIN_SIGNIFICANT_FIGURES = 2
NS_PER_S = 1_000_000_000


class _Bin:
    __slots__ = ("errors", "latencies", "successes")

    def __init__(self) -> None:
        self.successes = 0
        self.errors = 0
        self.latencies = Latencies(BIN_SIGNIFICANT_FIGURES)


class Recording:
    """Latencies of successes, errors by kind, and both per time bin of the window that
    starts at ``origin_ns`` and ends at ``until_ns``."""

    def __init__(self, *, origin_ns: int, until_ns: int, bin_s: float) -> None:
        self.origin_ns = origin_ns
        self.until_ns = until_ns
        self.bin_ns = max(1, round(bin_s * NS_PER_S))
        self.latencies = Latencies()
        self.errors: Counter[str] = Counter()
        self._bins: list[_Bin] = []

    def _bin(self, at_ns: int) -> _Bin:
        if self.until_ns <= at_ns < self.until_ns + self.bin_ns:
            # Answers to what was in flight when the window closed: a bin of their own
            # would look like a drop of throughput at the end of every run.
            at_ns = self.until_ns - 1
        index = max(0, (at_ns - self.origin_ns) // self.bin_ns)
        while len(self._bins) <= index:
            self._bins.append(_Bin())
        return self._bins[index]

    def success(self, latency_ns: int, at_ns: int) -> None:
        self.latencies.record_ns(latency_ns)
        time_bin = self._bin(at_ns)
        time_bin.successes += 1
        time_bin.latencies.record_ns(latency_ns)

    def error(self, kind: str, at_ns: int, count: int = 1) -> None:
        self.errors[kind] += count
        self._bin(at_ns).errors += count

    @property
    def successes(self) -> int:
        return self.latencies.count

    def freeze(self) -> Recorded:
        return Recorded(
            latencies=self.latencies.encode(),
            errors=dict(self.errors),
            bin_s=self.bin_ns / NS_PER_S,
            bins=tuple(
                (time_bin.successes, time_bin.errors, time_bin.latencies.encode())
                for time_bin in self._bins
            ),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Recorded:
    """A recording as it travels between processes: histograms in their encoding."""

    latencies: str
    errors: dict[str, int]
    bin_s: float
    # Per bin: successes, errors, and the encoded histogram of the successes.
    bins: tuple[tuple[int, int, str], ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Timeline:
    """A run bin by bin: ``start_s`` is when its first bin began, from the run's start."""

    start_s: float
    bin_s: float
    successes: tuple[int, ...]
    errors: tuple[int, ...]
    p50_ms: tuple[float | None, ...]
    p99_ms: tuple[float | None, ...]
    max_ms: tuple[float | None, ...]

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Timeline:
        return cls(
            start_s=float(data["start_s"]),
            bin_s=float(data["bin_s"]),
            successes=tuple(data["successes"]),
            errors=tuple(data["errors"]),
            p50_ms=tuple(data["p50_ms"]),
            p99_ms=tuple(data["p99_ms"]),
            max_ms=tuple(data["max_ms"]),
        )


@dataclasses.dataclass(frozen=True, kw_only=True)
class Merged:
    latencies: Latencies
    errors: dict[str, int]
    timeline: Timeline


def merge_recordings(recordings: Sequence[Recorded], *, start_s: float) -> Merged:
    """The recordings of one run's client processes as one: histograms added bin by bin."""
    errors: Counter[str] = Counter()
    for recorded in recordings:
        errors.update(recorded.errors)
    length = max((len(recorded.bins) for recorded in recordings), default=0)
    successes: list[int] = []
    bin_errors: list[int] = []
    p50: list[float | None] = []
    p99: list[float | None] = []
    maxima: list[float | None] = []
    for index in range(length):
        present = [recorded.bins[index] for recorded in recordings if index < len(recorded.bins)]
        histogram = merge((encoded for _, _, encoded in present), BIN_SIGNIFICANT_FIGURES)
        percentiles = histogram.percentiles_ms((50.0, 99.0))
        successes.append(sum(count for count, _, _ in present))
        bin_errors.append(sum(count for _, count, _ in present))
        p50.append(percentiles.get(50.0))
        p99.append(percentiles.get(99.0))
        maxima.append(histogram.max_ms())
    return Merged(
        latencies=merge(recorded.latencies for recorded in recordings),
        errors={kind: count for kind, count in sorted(errors.items()) if count},
        timeline=Timeline(
            start_s=start_s,
            bin_s=recordings[0].bin_s if recordings else 0.0,
            successes=tuple(successes),
            errors=tuple(bin_errors),
            p50_ms=tuple(p50),
            p99_ms=tuple(p99),
            max_ms=tuple(maxima),
        ),
    )
