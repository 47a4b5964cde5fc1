"""The figures the reliability suite measures: printed, collected, and written to a report."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

FigureValue = int | float | str

FIGURES = pytest.StashKey[list["Figure"]]()
REPORT_PATH = pytest.StashKey[Path]()
PREFIX = "RELIABILITY"


@dataclasses.dataclass(frozen=True, slots=True)
class Figure:
    name: str
    values: dict[str, FigureValue]

    def line(self) -> str:
        parts = " ".join(f"{key}={_text(value)}" for key, value in self.values.items())
        return f"{PREFIX} {self.name}: {parts}"


def _text(value: FigureValue) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


class FigureRecorder:
    """Prints one ``RELIABILITY name: key=value ...`` line a figure and keeps it for the summary."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config

    def __call__(self, name: str, **values: FigureValue) -> Figure:
        figure = Figure(name, dict(values))
        print(f"\n{figure.line()}")
        self._config.stash.setdefault(FIGURES, []).append(figure)
        path = self._config.stash.get(REPORT_PATH, None)
        if path is not None:
            with path.open("a", encoding="utf-8") as report:
                report.write(json.dumps({"name": name, **values}) + "\n")
        return figure


def collected(config: pytest.Config) -> list[Figure]:
    return config.stash.get(FIGURES, [])
