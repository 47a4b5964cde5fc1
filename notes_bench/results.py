"""The figures of a whole benchmark run, and their JSON file."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.stats import Summary

FORMAT_VERSION = 1
# A server figure at or above this share of the client's own ceiling only shows
# how fast the client is: the server may well be faster.
CLIENT_BOUND_SHARE = 0.8


@dataclasses.dataclass(frozen=True, kw_only=True)
class Row:
    """One scenario at one concurrency: the median of its repetitions, and each of them."""

    scenario: str
    concurrency: int
    summary: Summary
    runs: tuple[Summary, ...]
    warmup_errors: dict[str, int] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "concurrency": self.concurrency,
            **self.summary.to_json(),
            "warmup_errors": self.warmup_errors,
            "runs": [run.to_json() for run in self.runs],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Row:
        return cls(
            scenario=str(data["scenario"]),
            concurrency=int(data["concurrency"]),
            summary=Summary.from_json(data),
            runs=tuple(Summary.from_json(run) for run in data.get("runs", [])),
            warmup_errors=dict(data.get("warmup_errors", {})),
        )


@dataclasses.dataclass(kw_only=True)
class Results:
    rows: list[Row] = dataclasses.field(default_factory=list)
    ceiling: list[Row] = dataclasses.field(default_factory=list)
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def ceiling_at(self, concurrency: int) -> Row | None:
        return next((row for row in self.ceiling if row.concurrency == concurrency), None)

    def ceiling_share(self, row: Row) -> float | None:
        """The row's throughput as a share of the client ceiling at its concurrency."""
        ceiling = self.ceiling_at(row.concurrency)
        if ceiling is None or ceiling.summary.rps <= 0:
            return None
        return row.summary.rps / ceiling.summary.rps

    def client_bound(self) -> list[Row]:
        return [
            row
            for row in self.rows
            if (share := self.ceiling_share(row)) is not None and share >= CLIENT_BOUND_SHARE
        ]

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
            raise ValueError(f"not a benchmark results file of format {FORMAT_VERSION}")
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
