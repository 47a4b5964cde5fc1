"""Benchmark results: ceiling shares, the clean verdict, the JSON file, the table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from notes_bench.histogram import Latencies
from notes_bench.recording import Recording, merge_recordings
from notes_bench.report import format_errors, format_table, render_markdown, render_results
from notes_bench.results import Results, Row, load_results, write_results
from notes_bench.stats import summarize


def _row(
    scenario: str,
    concurrency: int,
    successes: int,
    errors: dict[str, int] | None = None,
    rate: float | None = None,
    latency_ms: int = 1,
) -> Row:
    latencies = Latencies()
    for _ in range(successes):
        latencies.record_ns(latency_ms * 1_000_000)
    summary = summarize(latencies, errors or {}, elapsed_s=1.0)
    return Row(
        scenario=scenario,
        concurrency=concurrency,
        rate=rate,
        summary=summary,
        rounds=(summary,),
        histogram=latencies.encode(),
    )


def test_a_figure_near_the_client_ceiling_is_flagged_client_bound() -> None:
    results = Results(
        ceiling=[_row("ceiling", 8, 1000), _row("ceiling", 64, 1000)],
        rows=[_row("read", 8, 800), _row("read", 64, 799), _row("read", 256, 5000)],
    )
    assert results.ceiling_share(results.rows[0]) == 0.8
    assert results.ceiling_share(results.rows[2]) is None
    bound = [row.concurrency for row in results.rows if results.client_bound(row)]
    assert bound == [8]
    table = render_results(results)
    assert "client-bound: read at 8 connections, closed: reached 80% of the client" in table
    assert "at 64 connections" not in table


def test_an_open_loop_is_client_bound_when_the_client_cannot_send_the_rate() -> None:
    results = Results(
        ceiling=[_row("ceiling", 64, 940, rate=1000.0), _row("ceiling", 64, 500, rate=500.0)],
        rows=[
            _row("read", 64, 900, rate=1000.0, latency_ms=10),
            _row("read", 64, 500, rate=500.0, latency_ms=10),
            _row("list", 64, 500, rate=500.0, latency_ms=2),
        ],
    )
    reasons = [results.client_bound(row) for row in results.rows]
    assert reasons[0] is not None
    assert "sent only 94% of 1,000 req/s" in reasons[0]
    assert reasons[1] is None
    # The client's own p99 (1 ms) is half of this one: the latency is largely the client's.
    assert reasons[2] is not None
    assert "own p99 at this rate, against the floor, is 1 ms, 50% of this p99" in reasons[2]


def test_clean_needs_successes_everywhere_and_no_error() -> None:
    assert Results(rows=[_row("read", 1, 10)]).clean()
    assert not Results().clean()
    assert not Results(rows=[_row("read", 1, 0)]).clean()
    assert not Results(rows=[_row("read", 1, 10, {"412": 1})]).clean()
    assert not Results(ceiling=[_row("ceiling", 1, 10, {"timeout": 1})]).clean()
    warm = Row(
        scenario="read",
        concurrency=1,
        rate=None,
        summary=_row("read", 1, 10).summary,
        rounds=(),
        warmup_errors={"500": 1},
    )
    assert not Results(rows=[warm]).clean()


def test_results_survive_the_json_file(tmp_path: Path) -> None:
    recording = Recording(origin_ns=0, until_ns=10**9, bin_s=0.5)
    recording.success(2_000_000, at_ns=100)
    recording.error("500", at_ns=6 * 10**8)
    timeline = merge_recordings([recording.freeze()], start_s=3.0).timeline
    row = _row("update", 8, 50, {"412": 2}, rate=100.0)
    results = Results(
        ceiling=[_row("ceiling", 8, 100)],
        rows=[dataclasses.replace(row, timelines=(timeline,))],
        meta={"timestamp": "2026-01-01T00:00:00Z", "versions": {"python": "3.11"}},
    )
    path = tmp_path / "out" / "run.json"
    write_results(results, path)
    assert load_results(path) == results


def test_a_foreign_json_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"format": 99}')
    with pytest.raises(ValueError, match="format 2"):
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


def test_the_markdown_report_holds_the_table_and_the_pictures(tmp_path: Path) -> None:
    results = Results(rows=[_row("read", 8, 10)], meta={"timestamp": "T", "command": ["x"]})
    text = render_markdown(results, (), {"levels": tmp_path / "run-levels.png"})
    assert "| read | 8 | closed | 10 |" in text
    assert "![levels](run-levels.png)" in text
    assert "- **when**: T" in text
