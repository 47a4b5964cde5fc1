"""Mutation testing of notes/ against the suites, and the score it comes to.

    python -m tests.mutation_score [mutmut run arguments, e.g. "notes.listing*"]

Runs `mutmut run` (configured in pyproject.toml: what is mutated, which suites run),
then prints killed / total, survivors listed by name (`mutmut show NAME` shows one).
A timeout or a segfault counts as killed: the mutant did not pass the tests. Mutants
that no test reaches count against the score.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

STATS = Path("mutants/mutmut-cicd-stats.json")
TARGET = 0.90


def main(arguments: list[str]) -> int:
    run = subprocess.call(["mutmut", "run", *arguments])
    if run != 0:
        print(f"mutmut run exited with {run}", file=sys.stderr)
        return run
    subprocess.check_call(["mutmut", "export-cicd-stats"])
    stats = json.loads(STATS.read_text())
    killed = stats["killed"] + stats["timeout"] + stats["segfault"]
    counted = stats["total"] - stats["skipped"]
    score = killed / counted if counted else 0.0
    survivors = subprocess.run(
        ["mutmut", "results"], capture_output=True, text=True, check=False
    ).stdout
    print(survivors)
    print(
        f"mutation score: {killed} of {counted} mutants killed ({score:.1%}); "
        f"survived {stats['survived']}, no tests {stats['no_tests']}, "
        f"suspicious {stats['suspicious']} (target {TARGET:.0%})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
