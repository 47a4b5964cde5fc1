"""The OpenAPI document: valid 3.1, every operation, status, header and link of the
contract, schemas from the same models that validate; and the CLI that prints it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate
from pydantic import BaseModel

from notes.cli import build_parser, main
from notes.domain.schemas import (
    NO_LEAP_SECOND_PATTERN,
    STORABLE_TEXT_PATTERN,
    Health,
    Note,
    NoteInput,
    NotePage,
    NotePatch,
    Problem,
    ValidationProblem,
)
from notes.domain.timestamps import TUTORIAL_PATTERN
from notes.settings import Settings
from notes.web.openapi import _without_null_defaults, build_openapi
from notes.web.request_ids import REQUEST_ID_HEADER as REQUEST_ID

REF = "#/components/schemas/{model}"
TEXT_PATTERN = STORABLE_TEXT_PATTERN
INT32 = {"type": "integer", "minimum": -2147483648, "maximum": 2147483647}


@pytest.fixture
def document() -> dict[str, Any]:
    # Built per test (it takes milliseconds), so that each test is seen to run the builder.
    return build_openapi(Settings())


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref: str = node["$ref"]
        assert ref.startswith("#/")
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def test_valid_openapi_31(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "notes"
    assert document["info"]["version"] == "1.0.0"
    # the document is plain JSON
    assert json.loads(json.dumps(document)) == document


def test_operations(document: dict[str, Any]) -> None:
    operations = {
        (path, method): operation["operationId"]
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    required = {
        ("/notes", "get"): "listNotes",
        ("/notes", "post"): "createNote",
        ("/notes/{note_id}", "get"): "getNote",
        ("/notes/{note_id}", "put"): "replaceNote",
        ("/notes/{note_id}", "patch"): "patchNote",
        ("/notes/{note_id}", "delete"): "deleteNote",
        ("/health", "get"): "health",
    }
    assert {key: operations[key] for key in required if key in operations} == required
    # anything else documented is a route the service really has
    for path, method in set(operations) - set(required):
        assert (path, method) in {
            ("/notes/{note_id}", "head"),
            ("/openapi.json", "get"),
            ("/docs", "get"),
            ("/health/live", "get"),
            ("/health/ready", "get"),
        }
    ids = list(operations.values())
    assert len(ids) == len(set(ids))


STATUSES = {
    ("/notes", "get"): {"200", "400", "422", "500", "503"},
    ("/notes", "post"): {"201", "400", "408", "413", "415", "422", "500", "503"},
    ("/notes/{note_id}", "get"): {"200", "304", "404", "500", "503"},
    ("/notes/{note_id}", "put"): {
        *("200", "400", "404", "408", "412", "413", "415", "422", "500", "503"),
    },
    ("/notes/{note_id}", "patch"): {
        *("200", "400", "404", "408", "412", "413", "415", "422", "500", "503"),
    },
    ("/notes/{note_id}", "delete"): {"204", "404", "412", "500", "503"},
    ("/health", "get"): {"200", "500", "503"},
    # The limit on requests in flight answers 503 on every route.
    ("/openapi.json", "get"): {"200", "500", "503"},
    ("/docs", "get"): {"200", "500", "503"},
}


def test_503_declares_retry_after(document: dict[str, Any]) -> None:
    """The limit on requests in flight answers 503 with Retry-After; the database, without."""
    unavailable = document["components"]["responses"]["Problem503"]
    retry_after = unavailable["headers"]["Retry-After"]
    assert retry_after["schema"] == {"type": "integer", "minimum": 0}
    assert not retry_after.get("required", False)
    assert "Retry-After" in unavailable["description"]


@pytest.mark.parametrize(("path", "method"), list(STATUSES))
def test_status_codes(document: dict[str, Any], path: str, method: str) -> None:
    responses = document["paths"][path][method]["responses"]
    assert set(responses) == STATUSES[(path, method)]
    for status, response in responses.items():
        resolved = _resolve(document, response)
        assert resolved["description"]
        if int(status) >= 400:
            content = resolved["content"]
            assert list(content) == ["application/problem+json"]
            expected = "ValidationProblem" if status == "422" else "Problem"
            assert content["application/problem+json"]["schema"] == {
                "$ref": f"#/components/schemas/{expected}"
            }


def test_success_bodies_and_headers(document: dict[str, Any]) -> None:
    paths = document["paths"]
    listing = paths["/notes"]["get"]["responses"]["200"]
    assert listing["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/NotePage"}}
    }
    assert set(listing["headers"]) == {"Link", REQUEST_ID}
    created = paths["/notes"]["post"]["responses"]["201"]
    assert set(created["headers"]) == {"ETag", "Location", "Idempotent-Replayed", REQUEST_ID}
    assert created["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Note"}}
    }
    for method in ("get", "put", "patch"):
        ok = paths["/notes/{note_id}"][method]["responses"]["200"]
        assert set(ok["headers"]) == {"ETag", REQUEST_ID}
        assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Note"}
    not_modified = paths["/notes/{note_id}"]["get"]["responses"]["304"]
    assert set(not_modified["headers"]) == {"ETag", REQUEST_ID}
    assert "content" not in not_modified
    assert "content" not in paths["/notes/{note_id}"]["delete"]["responses"]["204"]
    health = paths["/health"]["get"]["responses"]["200"]
    assert health["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Health"}}
    }
    headers = document["components"]["headers"]
    assert set(headers) == {"ETag", "Location", "Link", REQUEST_ID}
    for header in headers.values():
        assert header["schema"] == {"type": "string"}


def test_request_bodies(document: dict[str, Any]) -> None:
    paths = document["paths"]
    create = paths["/notes"]["post"]["requestBody"]
    replace = paths["/notes/{note_id}"]["put"]["requestBody"]
    patch = paths["/notes/{note_id}"]["patch"]["requestBody"]
    note_input = {"schema": {"$ref": "#/components/schemas/NoteInput"}}
    note_patch = {"schema": {"$ref": "#/components/schemas/NotePatch"}}
    assert create == {"required": True, "content": {"application/json": note_input}}
    assert replace == {"required": True, "content": {"application/json": note_input}}
    assert patch == {
        "required": True,
        "content": {"application/merge-patch+json": note_patch, "application/json": note_patch},
    }
    for path, method in (("/notes", "get"), ("/notes/{note_id}", "get")):
        assert "requestBody" not in paths[path][method]
    assert "requestBody" not in paths["/notes/{note_id}"]["delete"]


def test_item_parameters(document: dict[str, Any]) -> None:
    item = document["paths"]["/notes/{note_id}"]
    note_id = {"$ref": "#/components/parameters/NoteId"}
    if_match = {"$ref": "#/components/parameters/IfMatch"}
    if_none_match = {"$ref": "#/components/parameters/IfNoneMatch"}
    assert item["get"]["parameters"] == [note_id, if_none_match]
    for method in ("put", "patch", "delete"):
        assert item[method]["parameters"] == [note_id, if_match]
    parameters = document["components"]["parameters"]
    assert parameters["NoteId"]["name"] == "note_id"
    assert parameters["NoteId"]["in"] == "path"
    assert parameters["NoteId"]["required"] is True
    assert parameters["NoteId"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 9223372036854775807,
    }
    assert (parameters["IfMatch"]["name"], parameters["IfMatch"]["in"]) == ("If-Match", "header")
    assert (parameters["IfNoneMatch"]["name"], parameters["IfNoneMatch"]["in"]) == (
        "If-None-Match",
        "header",
    )


def test_listing_parameters(document: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in document["paths"]["/notes"]["get"]["parameters"]}
    assert list(parameters) == ["limit", "cursor", "sort", "created_by", "priority", "q"]
    assert all(p["in"] == "query" and not p.get("required", False) for p in parameters.values())
    assert parameters["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": 100,
    }
    assert parameters["cursor"]["schema"] == {"type": "string"}
    assert parameters["sort"]["schema"] == {
        "type": "string",
        "enum": [
            "id",
            "-id",
            "priority",
            "-priority",
            "created_at",
            "-created_at",
            "updated_at",
            "-updated_at",
            "title",
            "-title",
        ],
        "default": "id",
    }
    no_nul = {"type": "string", "pattern": "^[^\\u0000]*$"}
    assert parameters["created_by"]["schema"] == no_nul
    assert parameters["q"]["schema"] == no_nul
    assert parameters["priority"]["schema"] == INT32


def test_listing_bounds_follow_settings() -> None:
    document = build_openapi(Settings(default_page_size=7, max_page_size=9))
    limit = document["paths"]["/notes"]["get"]["parameters"][0]
    assert limit["schema"]["maximum"] == 9
    assert limit["schema"]["default"] == 7


def test_links_from_create(document: dict[str, Any]) -> None:
    links = document["paths"]["/notes"]["post"]["responses"]["201"]["links"]
    by_id = {"note_id": "$response.body#/id"}
    with_etag = {**by_id, "header.If-Match": "$response.header.ETag"}
    assert links == {
        "GetNote": {"operationId": "getNote", "parameters": by_id},
        "ReplaceNote": {"operationId": "replaceNote", "parameters": with_etag},
        "PatchNote": {"operationId": "patchNote", "parameters": with_etag},
        "DeleteNote": {"operationId": "deleteNote", "parameters": with_etag},
    }


MODELS: list[type[BaseModel]] = [
    NoteInput,
    NotePatch,
    Note,
    NotePage,
    Health,
    Problem,
    ValidationProblem,
]


@pytest.mark.parametrize("model", MODELS)
def test_schemas_are_the_models(document: dict[str, Any], model: type[BaseModel]) -> None:
    schema = model.model_json_schema(ref_template=REF, mode="validation")
    definitions = schema.pop("$defs", {})
    components = document["components"]["schemas"]
    assert components[model.__name__] == _without_null_defaults(schema)
    for name, definition in definitions.items():
        assert components[name] == _without_null_defaults(definition)


def test_no_null_default_anywhere(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert '"default": null' not in text


def test_component_schema_names(document: dict[str, Any]) -> None:
    assert set(document["components"]["schemas"]) == {
        "NoteInput",
        "NotePatch",
        "Note",
        "NotePage",
        "Health",
        "Problem",
        "ValidationProblem",
        "FieldError",
    }


def test_input_schema_states_the_contract(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["NoteInput"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["title", "created_by"]
    properties = schema["properties"]
    assert list(properties) == ["title", "description", "created_at", "created_by", "priority"]
    text = {"type": "string", "pattern": TEXT_PATTERN}
    assert properties["title"] == {**text, "minLength": 1, "maxLength": 200, "title": "Title"}
    assert properties["description"] == {
        **text,
        "minLength": 0,
        "maxLength": 10000,
        "default": "",
        "title": "Description",
    }
    assert properties["created_by"] == {
        **text,
        "minLength": 1,
        "maxLength": 100,
        "title": "Created By",
    }
    assert properties["priority"] == {**INT32, "default": 0, "title": "Priority"}
    assert properties["created_at"]["anyOf"] == [
        {"type": "string", "format": "date-time", "pattern": NO_LEAP_SECOND_PATTERN},
        {"type": "string", "pattern": TUTORIAL_PATTERN},
    ]
    assert "default" not in properties["created_at"]


def test_patch_schema_states_the_contract(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["NotePatch"]
    assert schema["additionalProperties"] is False
    assert "required" not in schema
    properties = schema["properties"]
    text = {"type": "string", "pattern": TEXT_PATTERN}
    assert properties["title"] == {**text, "minLength": 1, "maxLength": 200, "title": "Title"}
    assert properties["created_by"] == {
        **text,
        "minLength": 1,
        "maxLength": 100,
        "title": "Created By",
    }
    assert properties["description"]["anyOf"] == [
        {**text, "minLength": 0, "maxLength": 10000},
        {"type": "null"},
    ]
    assert properties["priority"]["anyOf"] == [INT32, {"type": "null"}]
    assert properties["description"]["description"] == 'null resets it to the default, "".'
    assert properties["priority"]["description"] == "null resets it to the default, 0."
    assert "null" not in json.dumps(properties["created_at"])
    for name in properties:
        assert "default" not in properties[name]


def test_output_schema(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["Note"]
    assert schema["required"] == [
        "id",
        "title",
        "description",
        "created_at",
        "created_by",
        "priority",
        "updated_at",
    ]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["id"] == {"type": "integer", "minimum": 1, "title": "Id"}
    for name in ("created_at", "updated_at"):
        assert schema["properties"][name]["format"] == "date-time"
        assert schema["properties"][name]["pattern"] == "Z$"
    page = document["components"]["schemas"]["NotePage"]
    assert page["required"] == ["notes", "next"]
    assert page["properties"]["notes"]["items"] == {"$ref": "#/components/schemas/Note"}
    assert page["properties"]["next"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert page["properties"]["next"]["format"] == "uri"


def test_problem_schemas(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["Problem"]["required"] == ["type", "title", "status", "detail"]
    assert schemas["Problem"]["properties"]["status"]["minimum"] == 400
    assert schemas["Problem"]["properties"]["status"]["maximum"] == 599
    errors = schemas["ValidationProblem"]["properties"]["errors"]
    assert errors["minItems"] == 1
    assert errors["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert schemas["FieldError"]["required"] == ["field", "message"]
    assert schemas["Health"]["properties"]["status"]["const"] == "ok"


def test_text_pattern_refuses_nul(document: dict[str, Any]) -> None:
    pattern = document["components"]["schemas"]["Note"]["properties"]["title"]["pattern"]
    assert pattern == STORABLE_TEXT_PATTERN
    compiled = re.compile(
        pattern.replace("\\u0000", "\\x00")
        .replace("\\uD800", "\\ud800")
        .replace("\\uDFFF", "\\udfff")
    )
    assert compiled.search("plain 𝄞 text")
    assert compiled.search("")
    assert not compiled.search("a\x00b")
    assert not compiled.search("\x00")


async def test_served_document_is_the_built_one(
    client: TestClient[Any, Any], settings: Settings
) -> None:
    response = await client.get("/openapi.json")
    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.json() == build_openapi(settings)


# -- the CLI -----------------------------------------------------------------------------


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("NOTES_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.mark.usefixtures("clean_environment")
def test_cli_prints_the_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi"]) == 0
    out = capsys.readouterr().out
    assert out.endswith("}\n")
    assert json.loads(out) == build_openapi(Settings())
    assert out.startswith('{\n  "openapi": "3.1.0"')


# The published contract, committed: a change to the served document (a description,
# a bound, a status) must show up as a reviewed diff of this file, never slip out.
PUBLISHED_DOCUMENT = Path(__file__).parents[2] / "docs" / "openapi.json"


@pytest.mark.usefixtures("clean_environment")
def test_the_document_is_the_published_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["openapi"]) == 0
    served = capsys.readouterr().out
    assert served == PUBLISHED_DOCUMENT.read_text(encoding="utf-8"), (
        "the OpenAPI document changed: if that is intended, run "
        "`notes openapi > docs/openapi.json` and review the diff"
    )


@pytest.mark.usefixtures("clean_environment")
def test_cli_document_follows_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTES_MAX_PAGE_SIZE", "500")
    assert main(["openapi"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["paths"]["/notes"]["get"]["parameters"][0]["schema"]["maximum"] == 500


@pytest.mark.usefixtures("clean_environment")
def test_cli_bad_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTES_PORT", "eighty")
    assert main(["openapi"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "notes: NOTES_PORT: Input should be a valid integer, unable to parse string as an "
        "integer, got 'eighty'\n"
    )


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 0
    return " ".join(capsys.readouterr().out.split())


@pytest.mark.usefixtures("clean_environment")
def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(["--help"], capsys)
    assert text.startswith("usage: notes ")
    for command in ("serve", "db", "openapi"):
        assert command in text


@pytest.mark.usefixtures("clean_environment")
def test_cli_serve_help(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(["serve", "--help"], capsys)
    assert "--host HOST address to listen on (env NOTES_HOST, default 127.0.0.1)" in text
    assert "--port PORT port to listen on (env NOTES_PORT, default 8080)" in text
    assert "--database-url DATABASE_URL" in text
    assert "(env NOTES_DATABASE_URL, default sqlite+aiosqlite:///notes.db)" in text
    assert "--access-log, --no-access-log" in text
    assert "(env NOTES_ACCESS_LOG, default on); --no-access-log turns it off" in text


def test_cli_serve_flags() -> None:
    args = build_parser().parse_args(
        ["serve", "--host", "0.0.0.0", "--port", "9000", "--database-url", "x", "--no-access-log"]
    )
    assert (args.host, args.port, args.database_url, args.access_log) == (
        "0.0.0.0",
        9000,
        "x",
        False,
    )
    defaults = build_parser().parse_args(["serve"])
    assert (defaults.host, defaults.port, defaults.database_url, defaults.access_log) == (
        None,
        None,
        None,
        None,
    )
    assert build_parser().parse_args(["serve", "--access-log"]).access_log is True


def test_cli_db_commands_parse() -> None:
    upgrade = build_parser().parse_args(["db", "upgrade"])
    assert (upgrade.command, upgrade.action, upgrade.revision) == ("db", "upgrade", "head")
    downgrade = build_parser().parse_args(["db", "downgrade", "base", "--database-url", "u"])
    assert (downgrade.action, downgrade.revision, downgrade.database_url) == (
        "downgrade",
        "base",
        "u",
    )


@pytest.mark.parametrize("argv", [[], ["db"], ["db", "downgrade"], ["serve", "--port", "x"]])
def test_cli_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "usage: notes" in capsys.readouterr().err


@pytest.mark.rule("IDEM-9")
def test_the_create_declares_idempotency_keys(document: dict[str, Any]) -> None:
    post = document["paths"]["/notes"]["post"]
    (parameter,) = post["parameters"]
    declared = document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
    assert (declared["name"], declared["in"]) == ("Idempotency-Key", "header")
    assert declared["schema"]["maxLength"] == 255
    replayed = post["responses"]["201"]["headers"]["Idempotent-Replayed"]
    assert replayed["schema"]["enum"] == ["true"]
    assert {"400", "422"} <= set(post["responses"])
    assert "Idempotency-Key" in post["responses"]["400"]["description"]
