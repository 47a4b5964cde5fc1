"""The conformance kit's own pieces: its copy of the contract, the rules it reads from
it, and its first look at a target (one clear line for a server that is not one)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from notes.app import create_app
from notes.settings import Settings
from notes_conformance.contract import contract_text, load_rules
from notes_conformance.preflight import NotANotesServer, check_target

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
