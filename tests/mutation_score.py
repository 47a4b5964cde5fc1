"""Mutation testing of notes/ against the unit suite, on both backends, and the score.

    python -m tests.mutation_score [mutmut run arguments, e.g. "notes.domain.listing*"]

Runs `mutmut run` (configured in pyproject.toml: what is mutated, which tests run) on
SQLite. Then, when NOTES_TEST_DATABASE_URL names a PostgreSQL server, it runs the
survivors again with the unit suite on PostgreSQL (NOTES_TEST_BACKEND=postgresql):
the async-engine path only runs there. A mutant counts as killed if either backend
kills it. It prints killed / total and the survivors by name (`mutmut show NAME`
shows one). A timeout or a segfault counts as killed: the mutant did not pass the
tests. Mutants that no test reaches count against the score.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

STATS = Path("mutants/mutmut-cicd-stats.json")
# mutmut's map from each function to the tests that run it: it differs by backend.
TEST_MAP = Path("mutants/mutmut-stats.json")
TARGET = 0.90
RETRIED = ("survived", "no tests")


def _mutants_with_status(statuses: tuple[str, ...]) -> list[str]:
    listing = subprocess.run(
        ["mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    names = []
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if status in statuses:
            names.append(name)
    return names


def _retry_on_postgresql() -> int:
    if not os.environ.get("NOTES_TEST_DATABASE_URL", "").startswith("postgresql"):
        print("NOTES_TEST_DATABASE_URL is not set: survivors were not retried on PostgreSQL")
        return 0
    survivors = _mutants_with_status(RETRIED)
    if not survivors:
        return 0
    print(f"retrying {len(survivors)} mutants with the unit suite on PostgreSQL")
    TEST_MAP.unlink(missing_ok=True)
    try:
        return subprocess.call(
            ["mutmut", "run", *survivors], env={**os.environ, "NOTES_TEST_BACKEND": "postgresql"}
        )
    finally:
        # The next run maps the tests on SQLite again.
        TEST_MAP.unlink(missing_ok=True)


def main(arguments: list[str]) -> int:
    exit_code = subprocess.call(["mutmut", "run", *arguments]) or _retry_on_postgresql()
    if exit_code != 0:
        print(f"mutmut run exited with {exit_code}", file=sys.stderr)
        return exit_code
    subprocess.check_call(["mutmut", "export-cicd-stats"])
    stats = json.loads(STATS.read_text())
    killed = stats["killed"] + stats["timeout"] + stats["segfault"]
    counted = stats["total"] - stats["skipped"]
    score = killed / counted if counted else 0.0
    for name in _mutants_with_status(RETRIED):
        print(name)
    print(
        f"mutation score: {killed} of {counted} mutants killed ({score:.1%}); "
        f"survived {stats['survived']}, no tests {stats['no_tests']}, "
        f"suspicious {stats['suspicious']} (target {TARGET:.0%})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
