"""How the conformance kit is run: the one place that knows its command line.

Today the kit is tests/api in conformance mode, `python -m tests.conformance
--base-url URL` from the repository's root; its exit status is 0 when every test
passed. When the kit is the `notes-conformance` command, `kit_command` alone changes,
to something like `["notes-conformance", base_url, "--exclusive", "--junit",
str(junit), *rules]`: with `--exclusive` it may also run the tests that need an
empty database (the proxy's server is ours), and it selects tests by rule id itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from notes.process import service_environment

ROOT = Path(__file__).resolve().parents[2]
KIT = "tests/api"
# The schema-driven fuzzing: 20 of the kit's 25 seconds on an idle machine.
FUZZING = f"{KIT}/test_schemathesis.py"
# Where today's kit checks each part of the contract. The kit's next version tags every
# test with the rule ids it checks; then the rule ids themselves are the selection.
TESTS_BY_PREFIX: dict[str, tuple[str, ...]] = {
    "RES": ("create", "read", "replace", "patch", "listing", "errors"),
    "VAL": ("create", "replace", "patch", "errors", "openapi"),
    "CRUD": ("create", "read", "replace", "patch", "delete", "conditional", "concurrency"),
    "COND": ("conditional", "read", "replace", "patch"),
    "LIST": ("listing", "pagination"),
    "REQ": ("requests", "read", "errors"),
    "ERR": ("errors", "create", "requests", "patch"),
    "DOC": ("openapi",),
    "HEALTH": ("health",),
    "TUT": ("tutorial_client",),
}
# A kit that has not finished by then is stopped; the violation then counts as caught
# (the kit did not pass) and the table says it timed out.
KIT_TIMEOUT = 900.0


def tests_for(rules: Sequence[str]) -> list[str]:
    """The kit's test files that check `rules` (by their prefix)."""
    names = {name for rule in rules for name in TESTS_BY_PREFIX[rule.split("-")[0]]}
    return sorted(f"{KIT}/test_{name}.py" for name in names)


def kit_command(
    base_url: str, *, junit: Path, rules: Sequence[str] | None = None, fuzz: bool = True
) -> list[str]:
    """The kit against `base_url`, its results in a JUnit XML file: the tests of `rules`
    only, or (None) every test, the schema fuzzing included when `fuzz`."""
    command = [sys.executable, "-m", "tests.conformance", "--base-url", base_url]
    command += ["-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
    if rules is not None:
        command += tests_for(rules)
    elif not fuzz:
        command.append(f"--ignore={FUZZING}")
    return command


@dataclass(frozen=True)
class KitVerdict:
    exit_code: int
    failed: tuple[str, ...]  # file::test of every failed test, parameters left out
    failures: int  # failed test cases, parameters counted
    rules: tuple[str, ...]  # rule ids, when the kit's report names them
    seconds: float
    timed_out: bool = False

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


def read_junit(path: Path) -> tuple[tuple[str, ...], int, tuple[str, ...]]:
    """The failed tests (deduplicated, without parameters), their count, and any rule ids
    the report attaches to them as `rule` properties."""
    try:
        tree = ElementTree.parse(path)
    except (OSError, ElementTree.ParseError):
        return (), 0, ()
    failed: dict[str, None] = {}
    rules: dict[str, None] = {}
    count = 0
    for case in tree.iter("testcase"):
        if case.find("failure") is None and case.find("error") is None:
            continue
        count += 1
        module = (case.get("classname") or "").rsplit(".", 1)[-1]
        name = (case.get("name") or "").split("[", 1)[0]
        failed[f"{module}::{name}"] = None
        for prop in case.iter("property"):
            if (prop.get("name") or "").startswith("rule"):
                for rule in (prop.get("value") or "").replace(",", " ").split():
                    rules[rule] = None
    return tuple(failed), count, tuple(rules)


def kit_environment() -> dict[str, str]:
    """The caller's environment without NOTES_* settings; Hypothesis derandomized
    (the `ci` profile) unless the caller chose a profile, so that the schema fuzzing
    sends the same requests on every run and a verdict can be reproduced."""
    env = service_environment()
    env.setdefault("HYPOTHESIS_PROFILE", "ci")
    return env


async def run_kit(
    base_url: str,
    *,
    junit: Path,
    log: Path,
    rules: Sequence[str] | None = None,
    fuzz: bool = True,
) -> KitVerdict:
    """Run the kit against `base_url` and read what it found."""
    started = time.monotonic()
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *kit_command(base_url, junit=junit, rules=rules, fuzz=fuzz),
            cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
            env=kit_environment(),
        )
        timed_out = False
        try:
            code = await asyncio.wait_for(process.wait(), KIT_TIMEOUT)
        except TimeoutError:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            code = await process.wait()
    failed, count, rules = read_junit(junit)
    return KitVerdict(code, failed, count, rules, time.monotonic() - started, timed_out)
