"""The entry point: parse flags, run (or only compare), print, write the files."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from benchmarks.affinity import pin_current_process
from benchmarks.compare import render_comparison
from benchmarks.options import parse_options
from benchmarks.plot import write_plot
from benchmarks.report import render_results
from benchmarks.results import load_results, write_results
from benchmarks.runner import run_benchmark
from benchmarks.seed import SeedError
from benchmarks.servers import ServerError


def main(argv: Sequence[str] | None = None) -> int:
    """Exit status: 0 when every run measured something without a single error."""
    options = parse_options(argv)
    try:
        bases = [load_results(path) for path in options.compare]
    except ValueError as error:
        print(f"benchmarks: {error}", file=sys.stderr)
        return 2
    if len(bases) == 2:
        print(
            render_comparison(bases[0], bases[1], str(options.compare[0]), str(options.compare[1]))
        )
        return 0

    if options.client_cpus is not None:
        pin_current_process(options.client_cpus)
    try:
        results = run_benchmark(options, argv)
    except (ServerError, SeedError, TimeoutError, RuntimeError) as error:
        print(f"benchmarks: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("benchmarks: interrupted", file=sys.stderr)
        return 130

    print(render_results(results))
    if options.json_path is not None:
        write_results(results, options.json_path)
        print(f"wrote {options.json_path}")
    if options.plot_path is not None:
        write_plot(results, options.plot_path)
        print(f"wrote {options.plot_path}")
    if bases:
        print()
        print(render_comparison(bases[0], results, str(options.compare[0]), "this run"))
    if not results.clean():
        print("benchmarks: some runs had errors or measured nothing", file=sys.stderr)
        return 1
    return 0
