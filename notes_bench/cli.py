"""``notes-bench``: a load run (or only a comparison), or one of the subcommands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from notes_bench import scale, scale_plot, wrk
from notes_bench.affinity import pin_current_process
from notes_bench.compare import render_comparison
from notes_bench.options import Options, parse_options
from notes_bench.plot import write_levels_plot, write_report_plots
from notes_bench.report import render_markdown, render_results
from notes_bench.results import Results, load_results, write_results
from notes_bench.runner import run_benchmark
from notes_bench.seed import SeedError
from notes_bench.servers import ServerError

# `notes-bench NAME ...`: each its own argparse, its own main.
SUBCOMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "wrk": wrk.main,
    "scale": scale.main,
    "scale-plot": scale_plot.main,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        return SUBCOMMANDS[args[0]](args[1:])
    return run(args)


def run(argv: Sequence[str]) -> int:
    """Exit status: 0 when every run measured something without a single error."""
    options = parse_options(argv)
    try:
        bases = [load_results(path) for path in options.compare]
    except ValueError as error:
        print(f"notes-bench: {error}", file=sys.stderr)
        return 2
    if len(bases) == 2:
        names = [str(path) for path in options.compare]
        print(render_comparison(bases[0], bases[1], names[0], names[1]))
        return 0

    if options.client_cpus is not None:
        pin_current_process(options.client_cpus)
    try:
        results = run_benchmark(options, argv)
    except (ServerError, SeedError, TimeoutError, RuntimeError) as error:
        print(f"notes-bench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("notes-bench: interrupted", file=sys.stderr)
        return 130

    print(render_results(results, options.slo))
    write_outputs(results, options)
    if bases:
        print()
        print(render_comparison(bases[0], results, str(options.compare[0]), "this run"))
    if not results.clean():
        print("notes-bench: some runs had errors or measured nothing", file=sys.stderr)
        return 1
    return 0


def write_outputs(results: Results, options: Options) -> None:
    written: list[Path] = []
    if options.json_path is not None:
        write_results(results, options.json_path)
        written.append(options.json_path)
    if options.plot_path is not None:
        write_levels_plot(results, options.plot_path)
        written.append(options.plot_path)
    if options.report_path is not None:
        images = write_report_plots(results, options.report_path)
        options.report_path.write_text(render_markdown(results, options.slo, images))
        written += [options.report_path, *images.values()]
    for path in written:
        print(f"wrote {path}")
