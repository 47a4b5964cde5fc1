"""`notes-bench scale-plot`'s table: a listing over the server's time budget (503,
LIST-24) is shown as such, not as a latency; results written before the budget read."""

from __future__ import annotations

from typing import Any

from notes_bench.scale_plot import _table


def _results(**timing: Any) -> dict[str, Any]:
    return {"database": "sqlite", "sizes": {"1000000": {"families": {"q=zz": timing}}}}


def test_a_family_over_the_budget_is_shown_as_503_with_its_time() -> None:
    table = _table(_results(first=501.4, deep=None, first_over_budget=7, deep_over_budget=0))
    assert table.splitlines()[-1] == "| `q=zz` | 503 (501) / - |"


def test_results_without_budget_counts_are_latencies() -> None:
    table = _table(_results(first=1.25, deep=3.0))
    assert table.splitlines()[-1] == "| `q=zz` | 1.2 / 3.0 |"
