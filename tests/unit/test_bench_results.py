"""Benchmark results: ceiling shares, the clean verdict, the JSON file, the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.report import format_errors, format_table, render_results
from benchmarks.results import Results, Row, load_results, write_results
from benchmarks.stats import summarize


def _row(
    scenario: str, concurrency: int, successes: int, errors: dict[str, int] | None = None
) -> Row:
    summary = summarize([1_000_000] * successes, errors or {}, elapsed_s=1.0)
    return Row(scenario=scenario, concurrency=concurrency, summary=summary, runs=(summary,))


def test_a_figure_near_the_client_ceiling_is_flagged_client_bound() -> None:
    results = Results(
        ceiling=[_row("ceiling", 8, 1000), _row("ceiling", 64, 1000)],
        rows=[_row("read", 8, 800), _row("read", 64, 799), _row("read", 256, 5000)],
    )
    assert results.ceiling_share(results.rows[0]) == 0.8
    assert results.ceiling_share(results.rows[2]) is None
    assert [row.concurrency for row in results.client_bound()] == [8]
    table = render_results(results)
    assert "read at concurrency 8 reached 80% of the client ceiling" in table
    assert "client-bound" in table
    assert "concurrency 64 reached" not in table


def test_clean_needs_successes_everywhere_and_no_error() -> None:
    assert Results(rows=[_row("read", 1, 10)]).clean()
    assert not Results().clean()
    assert not Results(rows=[_row("read", 1, 0)]).clean()
    assert not Results(rows=[_row("read", 1, 10, {"412": 1})]).clean()
    assert not Results(ceiling=[_row("ceiling", 1, 10, {"timeout": 1})]).clean()
    warm = Row(
        scenario="read",
        concurrency=1,
        summary=_row("read", 1, 10).summary,
        runs=(),
        warmup_errors={"500": 1},
    )
    assert not Results(rows=[warm]).clean()


def test_results_survive_the_json_file(tmp_path: Path) -> None:
    results = Results(
        ceiling=[_row("ceiling", 8, 100)],
        rows=[_row("update", 8, 50, {"412": 2})],
        meta={"timestamp": "2026-01-01T00:00:00Z", "versions": {"python": "3.11"}},
    )
    path = tmp_path / "out" / "run.json"
    write_results(results, path)
    assert load_results(path) == results


def test_a_foreign_json_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"format": 99}')
    with pytest.raises(ValueError, match="format 1"):
        load_results(path)
    path.write_text("[1]")
    with pytest.raises(ValueError, match="JSON object"):
        load_results(path)


def test_errors_are_listed_by_kind() -> None:
    assert format_errors({}) == "0"
    assert format_errors({"timeout": 1, "412": 3}) == "412:3 timeout:1"


def test_table_aligns_columns() -> None:
    text = format_table(("name", "n"), [["a", "1000"], ["long name", "2"]])
    assert text.splitlines() == [
        "name          n",
        "---------  ----",
        "a          1000",
        "long name     2",
    ]
