"""Throughput and p99 latency against concurrency, one line per scenario."""

from __future__ import annotations

from pathlib import Path

from benchmarks.results import Results, Row


def _series(rows: list[Row], scenario: str) -> tuple[list[int], list[float], list[float | None]]:
    chosen = sorted(
        (row for row in rows if row.scenario == scenario), key=lambda row: row.concurrency
    )
    return (
        [row.concurrency for row in chosen],
        [row.summary.rps for row in chosen],
        [row.summary.p99_ms for row in chosen],
    )


def write_plot(results: Results, path: Path, title: str | None = None) -> None:
    import matplotlib

    # No display: the Agg backend renders straight to a file.
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    scenarios = list(dict.fromkeys(row.scenario for row in results.rows))
    for scenario in scenarios:
        levels, rps, p99 = _series(results.rows, scenario)
        throughput.plot(levels, rps, marker="o", label=scenario)
        latency.plot(
            levels,
            [float("nan") if value is None else value for value in p99],
            marker="o",
            label=scenario,
        )
    if results.ceiling:
        levels, rps, p99 = _series(results.ceiling, "ceiling")
        style = {
            "linestyle": "--",
            "marker": "x",
            "color": "grey",
            "label": "client ceiling (bare)",
        }
        throughput.plot(levels, rps, **style)
        latency.plot(levels, [float("nan") if v is None else v for v in p99], **style)
    ticks = sorted({row.concurrency for row in [*results.rows, *results.ceiling]})
    for axes in (throughput, latency):
        axes.set_xscale("log", base=2)
        axes.set_xticks(ticks, [str(tick) for tick in ticks])
        axes.set_xlabel("concurrent connections")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
    throughput.set_ylabel("requests/s (2xx only)")
    throughput.set_ylim(bottom=0)
    latency.set_ylabel("p99 latency (ms)")
    latency.set_yscale("log")
    figure.suptitle(title or f"notes benchmark, {results.meta.get('timestamp', '')}")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
