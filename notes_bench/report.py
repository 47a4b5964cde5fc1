"""The results table printed after a run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from benchmarks.results import CLIENT_BOUND_SHARE, Results, Row

HEADER = ("scenario", "conc", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "ok", "errors")


def format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


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


def _line(row: Row, share: float | None) -> list[str]:
    summary = row.summary
    return [
        row.scenario,
        str(row.concurrency),
        f"{summary.rps:,.0f}",
        format_ms(summary.p50_ms),
        format_ms(summary.p90_ms),
        format_ms(summary.p99_ms),
        format_ms(summary.max_ms),
        str(summary.successes),
        format_errors(summary.errors),
        "-" if share is None else f"{share:.0%}",
    ]


def render_results(results: Results) -> str:
    """The table of every row, ceiling first, then the warnings that qualify it."""
    header = (*HEADER, "of ceiling")
    lines = [_line(row, None) for row in results.ceiling]
    lines += [_line(row, results.ceiling_share(row)) for row in results.rows]
    parts = [format_table(header, lines)]
    for row in results.client_bound():
        parts.append(
            f"warning: {row.scenario} at concurrency {row.concurrency} reached "
            f"{results.ceiling_share(row) or 0:.0%} of the client ceiling (>= "
            f"{CLIENT_BOUND_SHARE:.0%}): client-bound, the figure is a lower bound"
        )
    for row in [*results.ceiling, *results.rows]:
        if row.warmup_errors:
            parts.append(
                f"warning: {row.scenario} at concurrency {row.concurrency} had errors "
                f"during warm-up: {format_errors(row.warmup_errors)}"
            )
    return "\n".join(parts)
