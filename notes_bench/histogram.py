"""Latencies in an HDR histogram (the ``hdrhistogram`` package).

Values are microseconds, kept to 3 significant figures (a recorded value is known
within 0.1%) from 1 us to an hour. A histogram travels between processes in the
standard compressed HdrHistogram encoding, and histograms add up exactly, so the
percentiles of several client processes (or rounds) are those of all their requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000
SIGNIFICANT_FIGURES = 3
# The figures every table shows, besides the maximum.
PERCENTILES = (50.0, 90.0, 99.0, 99.9)
NS_PER_US = 1_000
US_PER_MS = 1_000


class Latencies:
    """A histogram of latencies; ``record_ns`` in, milliseconds out."""

    def __init__(
        self, significant_figures: int = SIGNIFICANT_FIGURES, *, _histogram: Any = None
    ) -> None:
        self._histogram: Any = _histogram or HdrHistogram(
            LOWEST_US, HIGHEST_US, significant_figures
        )

    def record_ns(self, latency_ns: int) -> None:
        self.record_us(latency_ns // NS_PER_US)

    def record_us(self, latency_us: int, count: int = 1) -> None:
        # Clamped, never dropped: a latency beyond an hour still counts as a request.
        value = min(max(latency_us, LOWEST_US), HIGHEST_US)
        self._histogram.record_value(value, count)

    @property
    def count(self) -> int:
        count: int = self._histogram.get_total_count()
        return count

    def add(self, other: Latencies) -> None:
        self._histogram.add(other._histogram)

    def percentiles_ms(self, percentiles: Sequence[float] = PERCENTILES) -> dict[float, float]:
        """The value at each percentile: the highest value equivalent to the recorded
        one at that rank (HdrHistogram's definition), in milliseconds."""
        if not self.count:
            return {}
        values = self._histogram.get_percentile_to_value_dict(list(percentiles))
        return {float(p): values[p] / US_PER_MS for p in percentiles}

    def max_ms(self) -> float | None:
        return self._histogram.get_max_value() / US_PER_MS if self.count else None

    def mean_ms(self) -> float | None:
        return self._histogram.get_mean_value() / US_PER_MS if self.count else None

    def encode(self) -> str:
        encoded: bytes = self._histogram.encode()
        return encoded.decode("ascii")

    @classmethod
    def decode(cls, text: str) -> Latencies:
        return cls(_histogram=HdrHistogram.decode(text.encode("ascii")))


def merge(encoded: Iterable[str], significant_figures: int = SIGNIFICANT_FIGURES) -> Latencies:
    """One histogram holding every request of the encoded ones."""
    total = Latencies(significant_figures)
    for text in encoded:
        total.add(Latencies.decode(text))
    return total


def distribution_percentiles(count: int) -> list[float]:
    """Percentiles to draw a percentile plot of ``count`` values with: 0, then 90%, 99%,
    99.9%... in ten steps per decade, up to the last one that more than one value backs."""
    points = [0.0]
    step = 0
    while True:
        step += 1
        tail = 10 ** (-step / 10)
        if tail * count < 1:
            break
        points.append(100 * (1 - tail))
    points.append(100.0)
    return points
