"""``notes-bench scale-plot OUT.png RESULTS.json...``: the figure and table of ``scale``.

One panel per backend (per results file), latency against table size on log-log axes,
one line per listing family (first page solid, deep page dashed), the 20 ms goal grey.
The markdown table goes to standard output.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from notes_bench.plot import _plain_numbers, _pyplot

GOAL_MS = 20.0


def _cell(ms: float, over_budget: int) -> str:
    """A median; "503" when answers were over the server's time budget (LIST-24)."""
    return f"503 ({ms:.0f})" if over_budget else f"{ms:.1f}"


def _table(results: dict[str, Any]) -> str:
    sizes = list(results["sizes"])
    header = " | ".join(f"{int(size):,} first / deep" for size in sizes)
    lines = [f"| {results['database']} family | {header} |", "|---" * (len(sizes) + 1) + "|"]
    families = results["sizes"][sizes[0]]["families"]
    for family in families:
        cells = []
        for size in sizes:
            timing = results["sizes"][size]["families"][family]
            first = _cell(timing["first"], timing.get("first_over_budget", 0))
            deep = (
                "-"
                if timing["deep"] is None
                else _cell(timing["deep"], timing.get("deep_over_budget", 0))
            )
            cells.append(f"{first} / {deep}")
        lines.append(f"| `{family}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    out, *inputs = (Path(arg) for arg in argv)
    all_results = [json.loads(path.read_text()) for path in inputs]
    plt = _pyplot()
    figure, panels = plt.subplots(1, len(all_results), figsize=(7 * len(all_results), 6.5))
    panels = panels if len(all_results) > 1 else [panels]
    for axes, results in zip(panels, all_results, strict=True):
        sizes = [int(size) for size in results["sizes"]]
        families = results["sizes"][str(sizes[0])]["families"]
        colours = plt.get_cmap("tab20")
        for index, family in enumerate(families):
            timings = [results["sizes"][str(size)]["families"][family] for size in sizes]
            colour = colours(index % 20)
            axes.plot(sizes, [t["first"] for t in timings], marker="o", color=colour, label=family)
            deep = [(s, t["deep"]) for s, t in zip(sizes, timings, strict=True) if t["deep"]]
            if deep:
                axes.plot(*zip(*deep, strict=True), linestyle="--", color=colour, linewidth=0.8)
        axes.axhline(GOAL_MS, color="grey", linestyle=":", label="20 ms goal")
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("notes in the table")
        axes.set_ylabel("median latency, ms (solid: first page, dashed: deep page)")
        axes.set_title(f"GET /notes?... on {results['database']}")
        print(_table(results))
        print()
    panels[-1].legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _plain_numbers(*panels)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
