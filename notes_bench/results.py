"""The figures of a whole benchmark run, and their JSON file."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from notes_bench.recording import Timeline
from notes_bench.stats import METRICS, Summary, spread

FORMAT_VERSION = 2
# A closed-loop figure at or above this share of the client's own ceiling only shows
# how fast the client is: the server may well be faster.
CLIENT_BOUND_SHARE = 0.8
# An open-loop p99 at most twice the client's own (its p99 against the floor at the
# same rate) says more about the client than about the server.
CLIENT_LATENCY_SHARE = 0.5
# An open-loop run sustained its rate when it achieved at least this share of it.
SUSTAINED_SHARE = 0.95

# (scenario, connections, requested rate or None for a closed loop)
Key = tuple[str, int, float | None]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Row:
    """One scenario at one level: the median of its rounds, and each of them."""

    scenario: str
    concurrency: int
    rate: float | None  # requested requests/s of an open loop; None: closed loop
    summary: Summary
    rounds: tuple[Summary, ...]
    # Every round's successes in one HDR histogram (encoded), and each round bin by bin.
    histogram: str | None = None
    timelines: tuple[Timeline, ...] = ()
    warmup_errors: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def key(self) -> Key:
        return (self.scenario, self.concurrency, self.rate)

    @property
    def level(self) -> float:
        """What a sweep varies: the rate of an open loop, the connections of a closed one."""
        return self.concurrency if self.rate is None else self.rate

    def spread(self, metric: str) -> tuple[float, float] | None:
        return spread(self.rounds, metric)

    def achieved_share(self) -> float | None:
        """Open loop: the achieved rate over the requested one (median of rounds)."""
        return None if self.rate is None else self.summary.rps / self.rate

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "concurrency": self.concurrency,
            "rate": self.rate,
            **self.summary.to_json(),
            "spread": {metric: self.spread(metric) for metric in METRICS},
            "warmup_errors": self.warmup_errors,
            "rounds": [run.to_json() for run in self.rounds],
            "histogram": self.histogram,
            "timelines": [timeline.to_json() for timeline in self.timelines],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Row:
        return cls(
            scenario=str(data["scenario"]),
            concurrency=int(data["concurrency"]),
            rate=None if data.get("rate") is None else float(data["rate"]),
            summary=Summary.from_json(data),
            rounds=tuple(Summary.from_json(run) for run in data.get("rounds", [])),
            histogram=data.get("histogram"),
            timelines=tuple(Timeline.from_json(item) for item in data.get("timelines", [])),
            warmup_errors=dict(data.get("warmup_errors", {})),
        )


@dataclasses.dataclass(kw_only=True)
class Results:
    rows: list[Row] = dataclasses.field(default_factory=list)
    ceiling: list[Row] = dataclasses.field(default_factory=list)
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def ceiling_for(self, row: Row) -> Row | None:
        return next(
            (item for item in self.ceiling if item.key[1:] == row.key[1:]),
            None,
        )

    def ceiling_share(self, row: Row) -> float | None:
        """The row's throughput as a share of the client ceiling at its level."""
        ceiling = self.ceiling_for(row)
        if ceiling is None or ceiling.summary.rps <= 0:
            return None
        return row.summary.rps / ceiling.summary.rps

    def client_bound(self, row: Row) -> str | None:
        """Why the row measures the client rather than the server, or None."""
        ceiling = self.ceiling_for(row)
        if ceiling is None:
            return None
        if row.rate is not None:
            sent = ceiling.achieved_share() or 0.0
            if sent < SUSTAINED_SHARE:
                return (
                    f"the client sent only {sent:.0%} of {row.rate:,.0f} req/s to the floor "
                    "server: it cannot send this rate"
                )
            own, seen = ceiling.summary.p99_ms, row.summary.p99_ms
            if own is not None and seen is not None and own >= CLIENT_LATENCY_SHARE * seen:
                return (
                    f"the client's own p99 at this rate, against the floor, is {own:.3g} ms, "
                    f"{own / seen:.0%} of this p99: the latency is largely the client's"
                )
            return None
        share = self.ceiling_share(row)
        if share is not None and share >= CLIENT_BOUND_SHARE:
            return (
                f"reached {share:.0%} of the client ceiling (>= {CLIENT_BOUND_SHARE:.0%}): "
                "the figure is a lower bound"
            )
        return None

    def clean(self) -> bool:
        """Something was measured in every run, and nothing failed, warm-up included."""
        rows = [*self.rows, *self.ceiling]
        return bool(rows) and all(
            row.summary.successes > 0 and not row.summary.errors and not row.warmup_errors
            for row in rows
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            **self.meta,
            "ceiling": [row.to_json() for row in self.ceiling],
            "results": [row.to_json() for row in self.rows],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Results:
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"not a notes-bench results file of format {FORMAT_VERSION}")
        meta = {
            key: value for key, value in data.items() if key not in {"format", "ceiling", "results"}
        }
        return cls(
            rows=[Row.from_json(row) for row in data.get("results", [])],
            ceiling=[Row.from_json(row) for row in data.get("ceiling", [])],
            meta=meta,
        )


def write_results(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results.to_json(), indent=2) + "\n")


def load_results(path: Path) -> Results:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read results file {path}: {error}") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return Results.from_json(data)
