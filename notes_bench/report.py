"""The results as text: the table printed after a run, and the Markdown report."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from notes_bench.results import Results, Row
from notes_bench.slo import Objective, sustained

HEADER = (
    "scenario",
    "conc",
    "rate",
    "req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "p99.9 ms",
    "max ms",
    "ok",
    "errors",
    "of ceiling",
)


def format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def format_level(rate: float | None) -> str:
    """The requested rate of an open loop; ``closed`` for a closed loop."""
    return "closed" if rate is None else f"{rate:,.0f}/s"


def format_errors(errors: Mapping[str, int]) -> str:
    """``0``, or each error kind (a status, timeout, connection) with its count."""
    if not errors:
        return "0"
    return " ".join(f"{kind}:{count}" for kind, count in sorted(errors.items()))


def format_table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    """Left-aligned first column, right-aligned numbers, widths fitted to the content."""
    widths = [max(len(line[column]) for line in [header, *lines]) for column in range(len(header))]

    def render(line: Sequence[str]) -> str:
        cells = [
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(header), rule, *(render(line) for line in lines)])


def markdown_table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    align = ["---", *("---:" for _ in header[1:])]
    rows = [header, align, *lines]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _with_spread(row: Row, metric: str, text: str, rps: bool = False) -> str:
    span = row.spread(metric)
    if span is None or len(row.rounds) < 2:
        return text
    low, high = (f"{value:,.0f}" if rps else f"{value:.2f}" for value in span)
    return f"{text} ({low}-{high})"


def _line(row: Row, share: float | None) -> list[str]:
    summary = row.summary
    return [
        row.scenario,
        str(row.concurrency),
        format_level(row.rate),
        _with_spread(row, "rps", f"{summary.rps:,.0f}", rps=True),
        format_ms(summary.p50_ms),
        format_ms(summary.p90_ms),
        _with_spread(row, "p99_ms", format_ms(summary.p99_ms)),
        format_ms(summary.p999_ms),
        format_ms(summary.max_ms),
        str(summary.successes),
        format_errors(summary.errors),
        "-" if share is None else f"{share:.0%}",
    ]


def table_lines(results: Results) -> list[list[str]]:
    lines = [_line(row, None) for row in results.ceiling]
    # An open loop's throughput is its rate: a share of the ceiling's would say nothing.
    return lines + [
        _line(row, results.ceiling_share(row) if row.rate is None else None) for row in results.rows
    ]


def warnings(results: Results) -> list[str]:
    notes: list[str] = []
    for row in results.rows:
        reason = results.client_bound(row)
        if reason:
            notes.append(
                f"client-bound: {row.scenario} at {row.concurrency} connections, "
                f"{format_level(row.rate)}: {reason}"
            )
    for row in [*results.ceiling, *results.rows]:
        if row.warmup_errors:
            notes.append(
                f"{row.scenario} at {row.concurrency} connections, {format_level(row.rate)} "
                f"had errors during warm-up: {format_errors(row.warmup_errors)}"
            )
    return notes


def objective_lines(results: Results, objectives: Sequence[Objective]) -> list[str]:
    """Per scenario, the highest level that met every objective."""
    if not objectives:
        return []
    wanted = ", ".join(str(objective) for objective in objectives)
    lines = [
        f"objective: {wanted}, no error"
        + (", >= 95% of the rate" if any(r.rate for r in results.rows) else "")
    ]
    for verdict in sustained(results.rows, objectives):
        met = "none" if verdict.best is None else _level_text(verdict.best)
        text = f"{verdict.scenario}: highest level met: {met}"
        if verdict.first_miss is not None:
            text += f"; missed at {_level_text(verdict.first_miss)} ({'; '.join(verdict.reasons)})"
        else:
            text += " (every level measured met it)"
        lines.append(text)
    return lines


def _level_text(row: Row) -> str:
    if row.rate is None:
        return f"{row.concurrency} connections ({row.summary.rps:,.0f} req/s)"
    return f"{row.rate:,.0f} req/s (p99 {format_ms(row.summary.p99_ms)} ms)"


def render_results(results: Results, objectives: Sequence[Objective] = ()) -> str:
    """The table of every row, ceiling first, then what qualifies it."""
    parts = [format_table(HEADER, table_lines(results))]
    rounds = max((len(row.rounds) for row in results.rows), default=1)
    if rounds > 1:
        parts.append(f"each figure: median of {rounds} rounds (lowest-highest); max: the worst")
    parts += [f"warning: {note}" for note in warnings(results)]
    parts += objective_lines(results, objectives)
    return "\n".join(parts)


def render_markdown(
    results: Results, objectives: Sequence[Objective], images: Mapping[str, Path]
) -> str:
    """A report: the environment, the table, objectives, warnings, and the plots."""
    meta = results.meta
    target = meta.get("target", {})
    environment = [
        ("when", meta.get("timestamp", "?")),
        ("command", "`" + " ".join(meta.get("command", [])) + "`"),
        (
            "target",
            target.get("url") or f"self-started notes server on `{target.get('database_url')}`",
        ),
        ("versions", ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items() if v)),
        ("machine", json.dumps(meta.get("machine", {}))),
        (
            "load average",
            f"{meta.get('load_average_before')} before, {meta.get('load_average_after')} after",
        ),
    ]
    lines = ["# notes-bench report", ""]
    lines += [f"- **{name}**: {value}" for name, value in environment]
    lines += ["", "## Figures", "", markdown_table(HEADER, table_lines(results)), ""]
    rounds = max((len(row.rounds) for row in results.rows), default=1)
    lines.append(
        f"Each figure is the median of {rounds} round(s), with the lowest and highest round "
        "in brackets; max is the worst of all. Only 2xx answers count. The `ceiling` rows "
        "are the same client against a bare aiohttp handler."
    )
    notes = warnings(results)
    if notes:
        lines += ["", "## Warnings", "", *(f"- {note}" for note in notes)]
    verdicts = objective_lines(results, objectives)
    if verdicts:
        lines += ["", "## Objective", "", *(f"- {line}" for line in verdicts)]
    captions = {
        "levels": "Throughput and p99 latency at each level (median of rounds; ceiling dashed)",
        "distribution": "Latency distribution per scenario (HDR percentiles, every round)",
        "timeline": "Throughput and p99 latency over the run, bin by bin",
    }
    lines += ["", "## Plots", ""]
    for name, path in images.items():
        lines += [f"### {captions.get(name, name)}", "", f"![{name}]({path.name})", ""]
    return "\n".join(lines).rstrip() + "\n"
