"""How the conformance kit is run: the one place that knows its command line.

Two kits are known. On main it is tests/api in conformance mode, `python -m
tests.conformance --base-url URL` from the repository's root, which selects tests by
file (`TESTS_BY_PREFIX`) and skips those that need an empty database. Once the kit
is its own distribution (`notes-conformance URL`, branch `kit`), that command is
used whenever it is installed: `--exclusive` (the proxy's server is ours, so the
checks that need an empty database run too), `--rule` for each rule broken, and
`--quick` in place of leaving the fuzzing out. Either way the exit status is 0 when
every required check passed, and the JUnit report names what failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import signal
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from notes.process import service_environment

ROOT = Path(__file__).resolve().parents[2]
KIT = "tests/api"
RULE_ID = re.compile(r"([A-Z]+-[0-9]+)\b")
# The schema-driven fuzzing: 20 of the kit's 25 seconds on an idle machine.
FUZZING = f"{KIT}/test_schemathesis.py"
# Where today's kit checks each part of the contract. The kit's next version tags every
# test with the rule ids it checks; then the rule ids themselves are the selection.
TESTS_BY_PREFIX: dict[str, tuple[str, ...]] = {
    "RES": ("create", "read", "replace", "patch", "listing", "errors", "selftest_gaps"),
    "VAL": ("create", "replace", "patch", "errors", "openapi"),
    "CRUD": ("create", "read", "replace", "patch", "delete", "conditional", "concurrency"),
    "COND": ("conditional", "read", "replace", "patch"),
    "LIST": ("listing", "pagination", "selftest_gaps"),
    "REQ": ("requests", "read", "errors"),
    "ERR": ("errors", "create", "requests", "patch"),
    "DOC": ("openapi",),
    "HEALTH": ("health",),
    "TUT": ("tutorial_client",),
}
# A kit that has not finished by then is stopped; the violation then counts as caught
# (the kit did not pass) and the table says it timed out.
KIT_TIMEOUT = 900.0


def selection_for(rules: Sequence[str]) -> list[str]:
    """The kit's test files that check `rules` (by their prefix)."""
    names = {name for rule in rules for name in TESTS_BY_PREFIX[rule.split("-")[0]]}
    return sorted(f"{KIT}/test_{name}.py" for name in names)


def all_tests() -> list[str]:
    return sorted(str(path.relative_to(ROOT)) for path in (ROOT / KIT).glob("test_*.py"))


def standalone_kit() -> bool:
    """Whether the kit is installed as its own distribution (`notes-conformance`)."""
    return importlib.util.find_spec("notes_conformance") is not None


def kit_command(
    base_url: str,
    *,
    junit: Path,
    rules: Sequence[str] | None = None,
    fuzz: bool = True,
    standalone: bool | None = None,
) -> list[str]:
    """The kit against `base_url`, its results in a JUnit XML file: the checks of
    `rules` only, or (None) every check, the slow ones (schema fuzzing) when `fuzz`."""
    if standalone if standalone is not None else standalone_kit():
        command = [sys.executable, "-m", "notes_conformance", base_url, "--exclusive"]
        command += ["--junit", str(junit)]
        if rules is not None:
            command += [f"--rule={rule}" for rule in rules]
        elif not fuzz:
            command.append("--quick")
        return command
    command = [sys.executable, "-m", "tests.conformance", "--base-url", base_url]
    command += ["-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
    if rules is not None:
        # The conformance mode always collects tests/api: leave out what is not selected.
        chosen = selection_for(rules)
        command += [f"--ignore={path}" for path in all_tests() if path not in chosen]
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
    """The failed tests (deduplicated, without parameters), their count, and the rules
    the report names: test cases named by a rule id (notes-conformance writes one per
    rule), or `rule` properties."""
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
        named_rule = RULE_ID.match(name)
        if named_rule is not None:
            rules[named_rule.group(1)] = None
            failed[named_rule.group(1)] = None
            continue
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


async def stop(process: asyncio.subprocess.Process) -> int:
    """Kill the kit and whatever it started (tests.conformance runs pytest as a child)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    return await process.wait()


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
            start_new_session=True,  # its own process group, so that `stop` reaches its children
        )
        timed_out = False
        try:
            code = await asyncio.wait_for(process.wait(), KIT_TIMEOUT)
        except TimeoutError:
            timed_out = True
            code = await stop(process)
        except BaseException:  # cancelled (Ctrl-C, SIGTERM): leave no kit running
            await asyncio.shield(stop(process))
            raise
    failed, count, rules = read_junit(junit)
    return KitVerdict(code, failed, count, rules, time.monotonic() - started, timed_out)
