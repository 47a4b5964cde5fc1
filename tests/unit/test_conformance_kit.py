"""The conformance kit's own pieces: its copy of the contract, the rules it reads from
it, and its first look at a target (one clear line for a server that is not one)."""

from __future__ import annotations

import asyncio
import itertools
import re
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from conformance.selftest.kit import read_junit
from notes.app import create_app
from notes.settings import Settings
from notes_conformance.cli import parse_arguments, pytest_arguments
from notes_conformance.contract import contract_text, load_rules
from notes_conformance.outcomes import CheckResult, Verdict, by_rule
from notes_conformance.preflight import NotANotesServer, check_target
from notes_conformance.report import (
    Collected,
    Summary,
    markdown,
    text,
    traceability,
    write_junit,
)

ROOT = Path(__file__).resolve().parents[2]
RULE_ID = re.compile(r"^(?:- |\| )\*\*([A-Z]+-\d+)\*\*", re.MULTILINE)


def test_the_kit_ships_the_contract_as_it_is_in_docs() -> None:
    """conformance/notes_conformance/contract.md is a copy: `cp docs/contract.md
    conformance/notes_conformance/contract.md` after every change of the contract."""
    assert contract_text() == (ROOT / "docs" / "contract.md").read_text("utf-8")


def test_every_rule_of_the_contract_is_read_with_its_version_and_text() -> None:
    rules = load_rules()
    outside_code = re.sub(r"```.*?```", "", contract_text(), flags=re.DOTALL)
    assert list(rules) == RULE_ID.findall(outside_code)
    assert rules["TUT-1"].version == "v1"
    assert rules["OWN-1"].version == "v1.1"
    assert rules["TUT-1"].text.startswith("Against a fresh database, the tutorial's POST")
    assert rules["TUT-1"].text.endswith("so the first note's id must be 1.")


async def test_our_server_is_taken_for_a_notes_server(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'n.db'}", auto_migrate=True)
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
        await asyncio.to_thread(check_target, url)


async def test_a_server_without_the_notes_paths_is_refused_in_one_line() -> None:
    async def document(request: web.Request) -> web.Response:
        del request
        return web.json_response({"openapi": "3.1.0", "paths": {"/pets": {}}})

    app = web.Application()
    app.router.add_get("/openapi.json", document)
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
        with pytest.raises(NotANotesServer, match=r"has no /notes, /notes/\{id\}$"):
            await asyncio.to_thread(check_target, url)


async def test_a_server_that_is_down_is_refused_in_one_line() -> None:
    app = web.Application()
    async with TestServer(app, host="127.0.0.1") as server:
        url = str(server.make_url("")).rstrip("/")
    with pytest.raises(NotANotesServer, match=r"cannot connect to .*: is the server running"):
        await asyncio.to_thread(check_target, url)


def _check(nodeid: str, rules: tuple[str, ...], verdict: Verdict, reason: str = "") -> CheckResult:
    return CheckResult(nodeid, rules, verdict, reason)


def test_a_rule_fails_with_any_of_its_checks_and_is_skipped_only_when_all_are() -> None:
    rules = load_rules()
    checks = [
        _check("checks/test_a.py::test_1", ("RES-1",), Verdict.PASSED),
        _check("checks/test_a.py::test_2", ("RES-1", "RES-2"), Verdict.FAILED, "assert 1 == 2"),
        _check("checks/test_b.py::test_3", ("AUTH-3",), Verdict.SKIPPED, "needs tokens"),
        _check("checks/test_b.py::test_4", ("RES-3",), Verdict.SKIPPED, "why"),
        _check("checks/test_b.py::test_5", ("RES-3",), Verdict.PASSED),
    ]
    verdicts = {result.rule.id: result for result in by_rule(rules, checks)}
    assert list(verdicts)[: len(rules)] == list(rules)
    assert verdicts["RES-1"].verdict is Verdict.FAILED
    assert verdicts["RES-2"].verdict is Verdict.FAILED
    assert verdicts["RES-3"].verdict is Verdict.PASSED
    assert verdicts["AUTH-3"].verdict is Verdict.SKIPPED
    assert verdicts["AUTH-3"].skip_reasons == ("needs tokens",)
    assert verdicts["RES-4"].verdict is Verdict.UNCHECKED


def test_the_junit_file_names_each_rule_and_the_selftest_reads_it(tmp_path: Path) -> None:
    rules = load_rules()
    failed = _check("checks/test_a.py::test_2", ("RES-2",), Verdict.FAILED, "assert 1 == 2")
    unruled = _check("checks/test_c.py::test_9[x]", (), Verdict.FAILED, "boom")
    summary = Summary("http://t", by_rule(rules, [failed]), [unruled], 1.0)
    path = tmp_path / "junit.xml"
    write_junit(path, summary, rules)
    failed_names, count, rule_ids = read_junit(path)
    assert failed_names == ("RES-2", "test_c::test_9")
    assert count == 2
    assert rule_ids == ("RES-2",)
    assert not summary.passed
    assert "RES-2" in markdown(summary, rules)


def test_a_checks_name_keeps_the_slashes_of_its_parameters() -> None:
    check = _check("checks/test_s.py::test_conforms[PUT /notes/{note_id}]", (), Verdict.FAILED)
    assert check.name == "test_s.py::test_conforms[PUT /notes/{note_id}]"


def test_the_rules_table_names_each_check_once_and_says_why_one_cites_none() -> None:
    rules = load_rules()
    table = traceability(
        rules,
        [
            Collected("checks/test_s.py::test_conforms[GET /notes]", ("DOC-9",)),
            Collected("checks/test_s.py::test_conforms[PUT /notes/{note_id}]", ("DOC-9",)),
            Collected("checks/test_t.py::test_helper", (), "checks the kit's own fixture"),
        ],
    )
    assert "| DOC-9 | v1 | test_s.py::test_conforms |" in table
    assert "- test_t.py::test_helper: checks the kit's own fixture" in table
    assert "| RES-1 | v1 | **none** |" in table


def test_the_junit_file_holds_any_response_as_readable_xml(tmp_path: Path) -> None:
    """A failure whose response body holds control characters (a font file's bytes, as
    the self-test's V-DOC-ASSETS-FROM-A-CDN showed) once made the file unreadable."""
    rules = load_rules()
    failed = _check("checks/test_a.py::test_2", ("DOC-13",), Verdict.FAILED, "got \x1a\x00\x1b[0m")
    summary = Summary("http://t", by_rule(rules, [failed]), [], 1.0)
    path = tmp_path / "junit.xml"
    write_junit(path, summary, rules)
    failed_names, count, rule_ids = read_junit(path)
    assert (failed_names, count, rule_ids) == (("DOC-13",), 1, ("DOC-13",))
    assert "got \ufffd\ufffd\ufffd[0m" in path.read_text("utf-8")


def test_a_check_of_recommended_rules_alone_is_reported_and_fails_nothing() -> None:
    rules = load_rules()
    assert rules["VAL-11"].recommended
    assert not rules["VAL-10"].recommended
    missed = _check("checks/test_a.py::test_1", ("VAL-11",), Verdict.FAILED, "assert 422 == 201")
    summary = Summary("http://t", by_rule(rules, [missed]), [], 1.0)
    assert summary.passed
    assert summary.headline().startswith("PASSED: 0 rules failed (1 recommended missed")
    assert "VAL-11" in markdown(summary, rules)
    assert "== MISS (recommended: reported, not failing) VAL-11:" in text(summary, rules)
    also_required = _check("checks/test_a.py::test_2", ("VAL-10", "VAL-11"), Verdict.FAILED)
    assert not Summary("http://t", by_rule(rules, [missed, also_required]), [], 1.0).passed
    unruled = _check("checks/test_b.py::test_3", (), Verdict.FAILED, "boom")
    assert not Summary("http://t", by_rule(rules, [missed]), [unruled], 1.0).passed


def test_the_command_line_reaches_the_checks_as_the_plugins_options() -> None:
    given = parse_arguments(
        [
            "http://127.0.0.1:8080/",
            *("--token", "A", "--token", "B", "--cors-origin", "https://app.example"),
            *("--trusted-proxy", "--quick", "--rule", "OPS", "--", "-x"),
        ]
    )
    args = pytest_arguments(given)
    pairs = list(itertools.pairwise(args))
    for option, value in [
        ("--base-url", "http://127.0.0.1:8080"),
        ("--token", "A"),
        ("--token", "B"),
        ("--cors-origin", "https://app.example"),
        ("--rule", "OPS"),
    ]:
        assert (option, value) in pairs
    assert {"--trusted-proxy", "--quick"} <= set(args)
    assert args[-1] == "-x"
    plain = pytest_arguments(parse_arguments(["http://127.0.0.1:8080"]))
    assert not {"--cors-origin", "--trusted-proxy", "--quick", "--exclusive"} & set(plain)
