"""How the conformance kit is run: the one place that knows its command line.

The kit is `notes-conformance URL` (conformance/notes_conformance), run here as
`python -m notes_conformance URL --exclusive` (the proxy's server is ours and new, so the
checks that need an empty database run too), its verdict read from its JUnit report (one
test case per rule). A violation is judged by the checks of the files that check its
part of the contract (`TESTS_BY_PREFIX`, a `-k` selection); once every check cites its
rules, `--rule ID` for each rule broken is the finer selection. The exit status is 0
when every selected check passed.
"""

from __future__ import annotations

import asyncio
import contextlib
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
CHECKS = ROOT / "conformance" / "notes_conformance" / "checks"
RULE_ID = re.compile(r"([A-Z]+-[0-9]+)\b")
# Where the kit checks each part of the contract (checks/test_<name>.py).
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
    "OPS": ("v11_operations",),
}
# A kit that has not finished by then is stopped; the violation then counts as caught
# (the kit did not pass) and the table says it timed out.
KIT_TIMEOUT = 900.0


def selection_for(rules: Sequence[str]) -> list[str]:
    """The kit's check modules that check `rules` (by their prefix)."""
    names = {name for rule in rules for name in TESTS_BY_PREFIX[rule.split("-")[0]]}
    return sorted(f"test_{name}.py" for name in names)


def kit_command(
    base_url: str,
    *,
    junit: Path,
    rules: Sequence[str] | None = None,
    fuzz: bool = True,
) -> list[str]:
    """The kit against `base_url`, its results in a JUnit XML file: the checks of
    `rules` only, or (None) every check, the slow ones (schema fuzzing) when `fuzz`."""
    command = [sys.executable, "-m", "notes_conformance", base_url, "--exclusive"]
    command += ["--junit", str(junit)]
    if rules is not None:
        command += ["-k", " or ".join(name.removesuffix(".py") for name in selection_for(rules))]
    elif not fuzz:
        command.append("--quick")
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
    """Kill the kit and whatever it started (its whole process group)."""
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
