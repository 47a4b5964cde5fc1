"""`python -m conformance.selftest`: judge the kit against every violation.

    python -m conformance.selftest                 # every violation and control
    python -m conformance.selftest --fast          # the CI subset
    python -m conformance.selftest V-COND-412-AS-409 C-ETAG-OPAQUE

First the transparent proxy (no violation) must pass the kit; then each violation
runs on a fresh server. Exit status 1 when the score is under --min-score (100 for
--fast, where every violation was chosen to be caught, 95 otherwise), or a control
fails; 2 when the transparent proxy fails the kit.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.selftest import catalogue
from conformance.selftest.harness import Outcome, assess_all, judge
from conformance.selftest.kit import ROOT, kit_command
from conformance.selftest.report import line, markdown, score


def parse(arguments: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m conformance.selftest", description=__doc__)
    parser.add_argument("ids", nargs="*", help="violation or control ids (default: all)")
    parser.add_argument("--fast", action="store_true", help="the CI subset")
    parser.add_argument("--jobs", type=int, default=2, help="violations judged at once")
    parser.add_argument(
        "--whole-kit", action="store_true", help="run the whole kit for every violation"
    )
    parser.add_argument("--min-score", type=float, default=None, help="percent caught required")
    parser.add_argument("--results", type=Path, help="write the Markdown table here")
    parser.add_argument("--workdir", type=Path, help="keep servers' and kit's logs here")
    return parser.parse_args(arguments)


def commit() -> str:
    done = subprocess.run(
        # "-dirty" when the tree differs from the commit: the results are not that commit's.
        ["git", "describe", "--always", "--dirty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown"


async def run(options: argparse.Namespace, workdir: Path) -> int:
    chosen = (
        catalogue.by_id(options.ids)
        if options.ids
        else catalogue.FAST
        if options.fast
        else (*catalogue.VIOLATIONS, *catalogue.CONTROLS)
    )
    started = time.monotonic()
    # The transparent proxy first: with the whole kit, or (--fast) all but the fuzzing.
    baseline = await judge(None, workdir=workdir, fuzz=not options.fast)
    print(line(baseline), flush=True)
    if baseline.caught:
        print("the transparent proxy fails the kit: fix the proxy first", file=sys.stderr)
        return 2
    outcomes = await assess_all(
        chosen,
        jobs=options.jobs,
        whole_kit=options.whole_kit,
        workdir=workdir,
        report=lambda outcome: print(line(outcome), flush=True),
    )
    elapsed = time.monotonic() - started
    result = score(outcomes)
    print(f"\nscore: {result}; {elapsed:.0f} s with --jobs {options.jobs}")
    survivors = [o.name for o in outcomes if not o.caught and not _control(o)]
    false_alarms = [o.name for o in outcomes if o.caught and _control(o)]
    if survivors:
        print("survivors: " + ", ".join(survivors))
    if false_alarms:
        print("controls the kit failed: " + ", ".join(false_alarms))
    if options.results is not None:
        header = _header(len(chosen), elapsed, options)
        options.results.write_text(markdown(outcomes, header=header), encoding="utf-8")
    minimum = options.min_score if options.min_score is not None else 100 if options.fast else 95
    return 1 if result.percent < minimum or false_alarms else 0


def _control(outcome: Outcome) -> bool:
    return outcome.violation is not None and outcome.violation.control


def _header(count: int, elapsed: float, options: argparse.Namespace) -> str:
    command = " ".join(kit_command("URL", junit=Path("FILE"))[1:])
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    return (
        "# The conformance kit against contract violations: results\n\n"
        f"Written by `python -m conformance.selftest` on {when} at commit `{commit()}`: "
        f"{count} violations and controls in {elapsed / 60:.1f} minutes with "
        f"`--jobs {options.jobs}` on 2 cores. The kit ran as `python {command}`, first "
        "with only its tests of the rules each violation breaks; the verdict on every "
        "survivor and control is the whole kit's (schema fuzzing included). `hits` "
        "counts the answers the proxy altered (or made up).\n"
        "How to read it, and why each survivor survives: [README.md](README.md)."
    )


def _runner() -> Callable[[Coroutine[Any, Any, int]], int]:
    """uvloop where it is installed (as for the server): the proxy is on this loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - absent on Windows only
        return asyncio.run
    return uvloop.run


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(arguments: list[str]) -> int:
    options = parse(arguments)
    # SIGTERM (tox, CI) stops the run as Ctrl-C does: every server and kit is stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    runner = _runner()
    if options.workdir is not None:
        options.workdir.mkdir(parents=True, exist_ok=True)
        return runner(run(options, options.workdir))
    with tempfile.TemporaryDirectory(prefix="notes-selftest-") as folder:
        return runner(run(options, Path(folder)))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
