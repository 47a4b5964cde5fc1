"""A latency objective (``--slo p99=50ms``), and the highest level a server meets it at."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from notes_bench.results import SUSTAINED_SHARE, Row

# The names an objective may use, and the figure of a row each one reads.
FIGURES = {"p50": "p50_ms", "p90": "p90_ms", "p99": "p99_ms", "p99.9": "p999_ms", "max": "max_ms"}
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
_LIMIT = re.compile(r"\s*([\d.]+)\s*(us|ms|s)?\s*")


@dataclasses.dataclass(frozen=True)
class Objective:
    figure: str  # a key of FIGURES
    limit_ms: float

    def __str__(self) -> str:
        return f"{self.figure} <= {self.limit_ms:g} ms"


def parse_slo(text: str) -> tuple[Objective, ...]:
    """``p99=50ms,p50=5ms`` (units us, ms or s; ms when none) into objectives."""
    objectives: dict[str, Objective] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or name not in FIGURES:
            raise ValueError(
                f"objective {item!r} is not FIGURE=LIMIT with FIGURE one of {', '.join(FIGURES)}"
            )
        match = _LIMIT.fullmatch(raw)
        if match is None:
            raise ValueError(f"limit {raw.strip()!r} of {name} is not a number with us, ms or s")
        limit = float(match[1]) * _UNITS_MS[match[2] or "ms"]
        if not limit > 0:
            raise ValueError(f"limit of {name} must be above 0")
        objectives[name] = Objective(name, limit)
    if not objectives:
        raise ValueError("no objective given")
    return tuple(objectives.values())


def failures(row: Row, objectives: Sequence[Objective]) -> list[str]:
    """Why the row misses the objectives (figures: medians of rounds); empty if it meets them."""
    reasons: list[str] = []
    if row.summary.errors or row.summary.successes == 0:
        reasons.append("errors" if row.summary.errors else "no success")
    share = row.achieved_share()
    if share is not None and share < SUSTAINED_SHARE:
        reasons.append(f"achieved {share:.0%} of the rate")
    for objective in objectives:
        value = row.summary.value(FIGURES[objective.figure])
        if value is None or value > objective.limit_ms:
            shown = "-" if value is None else f"{value:.3g} ms"
            reasons.append(f"{objective.figure} {shown} > {objective.limit_ms:g} ms")
    return reasons


@dataclasses.dataclass(frozen=True)
class Verdict:
    scenario: str
    best: Row | None  # the highest level met, every lower one met too
    first_miss: Row | None  # the level after it, which missed
    reasons: tuple[str, ...]  # why first_miss missed


def sustained(rows: Sequence[Row], objectives: Sequence[Objective]) -> list[Verdict]:
    """Per scenario, in order of level: the last level met before the first one missed."""
    verdicts: list[Verdict] = []
    for scenario in dict.fromkeys(row.scenario for row in rows):
        best: Row | None = None
        miss: Row | None = None
        reasons: list[str] = []
        for row in sorted((row for row in rows if row.scenario == scenario), key=lambda r: r.level):
            reasons = failures(row, objectives)
            if reasons:
                miss = row
                break
            best = row
        verdicts.append(Verdict(scenario, best, miss, tuple(reasons) if miss else ()))
    return verdicts
