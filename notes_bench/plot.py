"""The plots: figures against level, latency distributions, and the run over time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from notes_bench.histogram import Latencies, distribution_percentiles
from notes_bench.results import Results, Row

CEILING_STYLE = {"linestyle": "--", "marker": "x", "color": "grey"}


def _pyplot() -> Any:
    import matplotlib

    # No display: the Agg backend renders straight to a file.
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plain_numbers(*axes_list: Any) -> None:
    """Tick labels 2, 5, 10 rather than 2x10^0 on logarithmic axes."""
    from matplotlib.ticker import FuncFormatter

    for axes in axes_list:
        for axis in (axes.xaxis, axes.yaxis):
            if axis.get_scale() == "log":
                axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
                axis.set_minor_formatter(FuncFormatter(lambda value, _: ""))


def _save(plt: Any, figure: Any, path: Path) -> None:
    _plain_numbers(*figure.get_axes())
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _open_loop(results: Results) -> bool:
    return any(row.rate is not None for row in results.rows)


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value


def _error_bars(rows: Sequence[Row], metric: str) -> list[list[float]]:
    """Distances from each median down to the lowest round and up to the highest."""
    low, high = [], []
    for row in rows:
        middle = row.summary.value(metric)
        span = row.spread(metric)
        if middle is None or span is None:
            low.append(0.0)
            high.append(0.0)
        else:
            low.append(max(0.0, middle - span[0]))
            high.append(max(0.0, span[1] - middle))
    return [low, high]


def write_levels_plot(results: Results, path: Path, title: str | None = None) -> None:
    """Throughput and p99 at each concurrency (closed loop) or rate (open loop)."""
    plt = _pyplot()
    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    groups: list[tuple[str, list[Row], dict[str, str]]] = [
        (scenario, [r for r in results.rows if r.scenario == scenario], {})
        for scenario in dict.fromkeys(r.scenario for r in results.rows)
    ]
    if results.ceiling:
        groups.append(("client ceiling (bare)", results.ceiling, CEILING_STYLE))
    for label, rows, style in groups:
        ordered = sorted(rows, key=lambda row: row.level)
        levels = [row.level for row in ordered]
        options = {"marker": "o", "capsize": 3, "label": label, **style}
        throughput.errorbar(
            levels,
            [row.summary.rps for row in ordered],
            yerr=_error_bars(ordered, "rps"),
            **options,
        )
        latency.errorbar(
            levels,
            [_nan(row.summary.p99_ms) for row in ordered],
            yerr=_error_bars(ordered, "p99_ms"),
            **options,
        )
    open_loop = _open_loop(results)
    ticks = sorted({row.level for row in [*results.rows, *results.ceiling]})
    for axes in (throughput, latency):
        axes.set_xscale("log", base=2 if not open_loop else 10)
        axes.set_xticks(ticks, [f"{tick:,.0f}" for tick in ticks])
        axes.set_xlabel("requested rate (req/s)" if open_loop else "concurrent connections")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    if open_loop:
        throughput.plot(ticks, ticks, linestyle=":", color="black", label="requested")
    throughput.set_ylabel("achieved requests/s (2xx only)")
    throughput.set_ylim(bottom=0)
    latency.set_ylabel("p99 latency (ms)")
    latency.set_yscale("log")
    figure.suptitle(title or f"notes-bench, {results.meta.get('timestamp', '')}")
    _save(plt, figure, path)


def _nines(percentile: float) -> float:
    """A percentile's place on a plot where 90%, 99%, 99.9% are evenly spaced."""
    return -math.log10(max(1e-9, 1 - percentile / 100))


def write_distribution_plot(results: Results, path: Path) -> None:
    """Per scenario, the latency at every percentile (HDR), one line per level."""
    plt = _pyplot()
    scenarios = list(dict.fromkeys(row.scenario for row in results.rows))
    groups = [(s, [r for r in results.rows if r.scenario == s]) for s in scenarios]
    if results.ceiling:
        groups.append(("ceiling (bare)", results.ceiling))
    columns = min(3, len(groups)) or 1
    lines = math.ceil(len(groups) / columns) or 1
    figure, axes_grid = plt.subplots(
        lines, columns, figsize=(5 * columns, 3.8 * lines), layout="constrained", squeeze=False
    )
    ticks = [0.0, 90.0, 99.0, 99.9, 99.99, 99.999]
    for axes, (name, rows) in zip(axes_grid.flat, groups, strict=False):
        for row in sorted(rows, key=lambda row: row.level):
            if row.histogram is None:
                continue
            histogram = Latencies.decode(row.histogram)
            points = [p for p in distribution_percentiles(histogram.count) if p < 100]
            values = histogram.percentiles_ms(points)
            label = f"{row.concurrency} conn." if row.rate is None else f"{row.rate:,.0f}/s"
            axes.plot([_nines(p) for p in points], [values[p] for p in points], label=label)
        axes.set_title(name)
        axes.set_yscale("log")
        axes.set_xticks([_nines(p) for p in ticks], [f"{p:g}%" for p in ticks])
        axes.set_xlabel("percentile")
        axes.set_ylabel("latency (ms)")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize="small")
    for axes in list(axes_grid.flat)[len(groups) :]:
        axes.set_visible(False)
    figure.suptitle("Latency by percentile (HDR histogram of every round)")
    _save(plt, figure, path)


def write_timeline_plot(results: Results, path: Path) -> None:
    """Every measured run in the order it ran: throughput and p99 per time bin."""
    plt = _pyplot()
    figure, (throughput, latency) = plt.subplots(
        2, 1, figsize=(12, 6.5), sharex=True, layout="constrained"
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    scenarios = list(dict.fromkeys(row.scenario for row in results.rows))
    labelled: set[str] = set()
    for row in [*results.ceiling, *results.rows]:
        ceiling = row in results.ceiling
        name = "ceiling (bare)" if ceiling else row.scenario
        color = "grey" if ceiling else colors[scenarios.index(row.scenario) % len(colors)]
        for timeline in row.timelines:
            times = [
                timeline.start_s + (index + 0.5) * timeline.bin_s
                for index in range(len(timeline.successes))
            ]
            label = None if name in labelled else name
            labelled.add(name)
            throughput.plot(
                times,
                [count / timeline.bin_s for count in timeline.successes],
                color=color,
                label=label,
                linewidth=1,
            )
            latency.plot(
                times, [_nan(value) for value in timeline.p99_ms], color=color, linewidth=1
            )
            failed = [
                (t, count / timeline.bin_s)
                for t, count in zip(times, timeline.errors, strict=True)
                if count
            ]
            if failed:
                throughput.scatter(*zip(*failed, strict=True), marker="x", color="red", zorder=3)
    throughput.set_ylabel("successes/s")
    throughput.set_ylim(bottom=0)
    throughput.legend(fontsize="small", ncols=3)
    throughput.grid(True, alpha=0.3)
    latency.set_ylabel("p99 latency (ms), per bin")
    latency.set_yscale("log")
    latency.set_xlabel("seconds since the run started (warm-ups and set-up between runs not shown)")
    latency.grid(True, which="both", alpha=0.3)
    figure.suptitle("The run over time (red x: errors in that bin)")
    _save(plt, figure, path)


def write_report_plots(results: Results, report_path: Path) -> dict[str, Path]:
    """The three plots beside a report, named after it; their paths by kind."""
    stem = report_path.with_suffix("")
    paths = {
        "levels": stem.with_name(f"{stem.name}-levels.png"),
        "distribution": stem.with_name(f"{stem.name}-distribution.png"),
        "timeline": stem.with_name(f"{stem.name}-timeline.png"),
    }
    write_levels_plot(results, paths["levels"])
    write_distribution_plot(results, paths["distribution"])
    write_timeline_plot(results, paths["timeline"])
    return paths
