"""What a client process records during a run, and how the records of several merge.

Every success goes into one latency histogram, and into the time bin in which it
completed (a coarser histogram per bin), so that a stall shows as a dip of
throughput and a spike of latency at the moment it happened.
"""

from __future__ import annotations

import dataclasses
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from notes_bench.histogram import NS_PER_US, Latencies, merge

# Per bin, 2 significant figures (within 1%) are plenty for a curve.
BIN_SIGNIFICANT_FIGURES = 2
NS_PER_S = 1_000_000_000


class Recording:
    """Latencies of successes, errors by kind, and both per time bin of the window that
    starts at ``origin_ns`` and ends at ``until_ns``.

    While the load runs, a success costs two appends to arrays; the histograms are
    filled when the run is over (``freeze``), so that recording does not take the
    client's time from sending (benchmarks/README.md, "How the figures are made").
    """

    def __init__(self, *, origin_ns: int, until_ns: int, bin_s: float) -> None:
        self.origin_ns = origin_ns
        self.until_ns = until_ns
        self.bin_ns = max(1, round(bin_s * NS_PER_S))
        self.errors: Counter[str] = Counter()
        self._latencies_us: array[int] = array("q")
        self._bin_of: array[int] = array("q")
        self._successes: list[int] = []
        self._errors: list[int] = []

    def _bin(self, at_ns: int) -> int:
        if self.until_ns <= at_ns < self.until_ns + self.bin_ns:
            # Answers to what was in flight when the window closed: a bin of their own
            # would look like a drop of throughput at the end of every run.
            at_ns = self.until_ns - 1
        index = max(0, (at_ns - self.origin_ns) // self.bin_ns)
        while len(self._successes) <= index:
            self._successes.append(0)
            self._errors.append(0)
        return index

    def success(self, latency_ns: int, at_ns: int) -> None:
        index = self._bin(at_ns)
        self._successes[index] += 1
        self._bin_of.append(index)
        self._latencies_us.append(latency_ns // NS_PER_US)

    def error(self, kind: str, at_ns: int, count: int = 1) -> None:
        self.errors[kind] += count
        self._errors[self._bin(at_ns)] += count

    @property
    def successes(self) -> int:
        return len(self._latencies_us)

    def freeze(self) -> Recorded:
        latencies = Latencies()
        bins = [Latencies(BIN_SIGNIFICANT_FIGURES) for _ in self._successes]
        # Latencies repeat (microseconds, a few milliseconds apart): each distinct
        # (bin, latency) is recorded once, with its count.
        pairs = Counter(zip(self._bin_of, self._latencies_us, strict=True))
        for (index, latency_us), count in pairs.items():
            latencies.record_us(latency_us, count)
            bins[index].record_us(latency_us, count)
        return Recorded(
            latencies=latencies.encode(),
            errors=dict(self.errors),
            bin_s=self.bin_ns / NS_PER_S,
            bins=tuple(
                (successes, errors, histogram.encode())
                for successes, errors, histogram in zip(
                    self._successes, self._errors, bins, strict=True
                )
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
