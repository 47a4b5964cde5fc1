"""`notes-conformance URL`: the contract's checks against a server, a report by rule.

    notes-conformance http://127.0.0.1:8080
    notes-conformance http://host:port --token A --token B --admin-token X
    notes-conformance http://host:port --junit results.xml --report results.md
    notes-conformance --rules          # which checks check which rule

Exit status: 0 when no check failed; 1 when one did; 2 when the target cannot be
checked (down, or not a notes server) or the command line is wrong; 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from notes_conformance import report
from notes_conformance.contract import load_rules
from notes_conformance.outcomes import Outcomes, by_rule
from notes_conformance.preflight import NotANotesServer, check_target
from notes_conformance.run import HYPOTHESIS_PROFILE, norule_of, outcomes_key, rules_of

CHECKS = "notes_conformance.checks"
INTERRUPTED = 130


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="notes-conformance",
        description="Check a server against the notes REST contract, rule by rule.",
        epilog="Arguments after -- go to pytest as they are.",
    )
    parser.add_argument("url", nargs="?", help="the server's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument(
        "--token", action="append", default=[], help="a user's bearer token (v1.1 rules); give two"
    )
    parser.add_argument("--admin-token", help="an admin's bearer token (v1.1 admin rules)")
    parser.add_argument("--rules", action="store_true", help="print rule -> checks and exit")
    parser.add_argument("--junit", type=Path, help="write a JUnit XML file: one test case per rule")
    parser.add_argument("--report", type=Path, help="write the report by rule as markdown")
    parser.add_argument(
        "--keep-data", action="store_true", help="leave the notes the run created on the server"
    )
    parser.add_argument(
        "--exclusive",
        action="store_true",
        help="the server's data is yours to wipe: run the checks that need an empty database",
    )
    parser.add_argument("-k", dest="keyword", help="only the checks whose names match (pytest -k)")
    parser.add_argument(
        "--rule", action="append", default=[], help="only the checks of this rule (or prefix)"
    )
    parser.add_argument("--quick", action="store_true", help="leave out the schema fuzzing")
    parser.add_argument(
        "--cors-origin",
        metavar="ORIGIN",
        help="an origin the server's CORS allows ('*': any): checks OPS-10 and OPS-12 (v1.1)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="store_true",
        help="the server trusts this client's X-Forwarded-*/Forwarded headers: OPS-13, not OPS-14",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="pytest's line per check")
    given = list(argv)
    split = given.index("--") if "--" in given else len(given)
    own, extra = given[:split], given[split + 1 :]
    arguments = parser.parse_args(own)
    arguments.pytest_args = extra
    if not arguments.rules and not arguments.url:
        parser.error("the server's URL is required (or --rules)")
    return arguments


def pytest_arguments(arguments: argparse.Namespace) -> list[str]:
    args = [
        "-p", "notes_conformance.plugin",
        "-p", "no:cacheprovider",
        # Settings of the user's folder (a pytest.ini, a pyproject.toml) are not the kit's.
        "-c", os.devnull,
        "--rootdir", str(Path(__file__).parent),
        # No conftest.py above the installed checks (a checkout's own) takes part.
        "--confcutdir", str(Path(__file__).parent),
        "-o", "asyncio_mode=auto",
        "-o", "asyncio_default_fixture_loop_scope=function",
        "--pyargs", CHECKS,
        "-q" if not arguments.verbose else "-v",
        "--tb=no", "--no-header", "-rN",
    ]  # fmt: skip
    if arguments.url:
        args += ["--base-url", arguments.url.rstrip("/")]
    for token in arguments.token:
        args += ["--token", token]
    if arguments.admin_token:
        args += ["--admin-token", arguments.admin_token]
    if arguments.cors_origin:
        args += ["--cors-origin", arguments.cors_origin]
    for flag in ("keep_data", "exclusive", "quick", "trusted_proxy"):
        if getattr(arguments, flag):
            args.append(f"--{flag.replace('_', '-')}")
    for rule in arguments.rule:
        args += ["--rule", rule]
    if arguments.keyword:
        args += ["-k", arguments.keyword]
    # The kit's own profile, whatever HYPOTHESIS_PROFILE says (our suites' names are not
    # registered here); HYPOTHESIS_PROFILE=thorough still scales the fuzzing up tenfold.
    args += ["--hypothesis-profile", HYPOTHESIS_PROFILE]
    return [*args, *arguments.pytest_args]


class Capture:
    """Keeps what the plugin gathered once pytest is done with it."""

    def __init__(self) -> None:
        self.outcomes = Outcomes()
        self.collected: list[report.Collected] = []
        self.deselected: set[str] = set()  # the rules of checks -k or --rule left out

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.deselected.update(rule for item in items for rule in rules_of(item))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = [
            report.Collected(item.nodeid, rules_of(item), norule_of(item)) for item in session.items
        ]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.outcomes = session.config.stash[outcomes_key]


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    rules = load_rules()
    capture = Capture()
    if arguments.rules:
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            code = pytest.main([*pytest_arguments(arguments), "--collect-only"], plugins=[capture])
        if code != pytest.ExitCode.OK:
            print(output.getvalue(), file=sys.stderr)
            return int(code)
        print(report.traceability(rules, capture.collected), end="")
        return 0
    target = arguments.url.rstrip("/")
    try:
        check_target(target)
    except NotANotesServer as problem:
        print(f"notes-conformance: {problem}", file=sys.stderr)
        return 2
    started = time.monotonic()
    code = pytest.main(pytest_arguments(arguments), plugins=[capture])
    checks = list(capture.outcomes.checks.values())
    summary = report.Summary(
        target,
        by_rule(rules, (check for check in checks if check.rules)),
        [check for check in checks if not check.rules],
        time.monotonic() - started,
        frozenset(capture.deselected),
    )
    print(report.text(summary, rules), end="")
    if arguments.report is not None:
        arguments.report.write_text(report.markdown(summary, rules), encoding="utf-8")
    if arguments.junit is not None:
        report.write_junit(arguments.junit, summary, rules)
    if code == pytest.ExitCode.INTERRUPTED:
        print(
            "notes-conformance: interrupted; the report covers the checks that ran", file=sys.stderr
        )
        return INTERRUPTED
    if not summary.passed:
        return 1
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return int(code)  # a usage error, an internal error, or no check selected
    return 0
