"""The OpenAPI 3.1 document, built from the same models and constants that validate requests."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from notes.domain.idempotency import KEY_HEADER, MAX_KEY_LENGTH, REPLAYED_HEADER
from notes.domain.listing import NOTE_ID_MAX, SORT_VALUES
from notes.domain.schemas import (
    INT32_MAX,
    INT32_MIN,
    Health,
    Note,
    NoteInput,
    NotePage,
    NotePatch,
    Problem,
    ValidationProblem,
)
from notes.settings import Settings
from notes.web.openapi_operations import add_operations
from notes.web.openapi_users import with_users

MODELS: tuple[type[BaseModel], ...] = (
    NoteInput,
    NotePatch,
    Note,
    NotePage,
    Health,
    Problem,
    ValidationProblem,
)
REF = "#/components/schemas/{model}"
JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
PROBLEM = "application/problem+json"

_PROBLEMS = {
    "400": "Malformed JSON, an empty body, or a body that is not UTF-8.",
    "404": "No such note (also for an id that is not a positive integer in range).",
    "408": "The request body did not arrive within the request timeout (30 s by default).",
    "412": "If-Match does not match the note's current ETag; nothing was changed.",
    "413": "The body is larger than the limit (1 MiB by default).",
    "415": "The body is not JSON (application/json or application/*+json, or no Content-Type).",
    "500": "The server failed; the body never holds a stack trace, SQL or a driver's text.",
}
_UNAVAILABLE = (
    "The database cannot be reached right now, or the server already has as many "
    "requests in flight as it may (then with Retry-After)."
)


def _without_null_defaults(node: Any) -> Any:
    """pydantic writes `default: null` for optional fields that may not be null; drop it."""
    if isinstance(node, dict):
        return {
            key: _without_null_defaults(value)
            for key, value in node.items()
            if not (key == "default" and value is None)
        }
    if isinstance(node, list):
        return [_without_null_defaults(item) for item in node]
    return node


def _schemas() -> dict[str, Any]:
    _, definitions = models_json_schema(
        [(model, "validation") for model in MODELS], ref_template=REF
    )
    schemas: dict[str, Any] = _without_null_defaults(definitions["$defs"])
    return schemas


def _ref(name: str, kind: str = "schemas") -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _problem(description: str, schema: str = "Problem") -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _ref(schema)}}}


def _responses(*codes: str) -> dict[str, Any]:
    return {code: _ref(f"Problem{code}", "responses") for code in codes}


def _note_response(description: str, *, location: bool = False) -> dict[str, Any]:
    headers: dict[str, Any] = {"ETag": _ref("ETag", "headers")}
    if location:
        headers["Location"] = _ref("Location", "headers")
    return {
        "description": description,
        "headers": headers,
        "content": {JSON: {"schema": _ref("Note")}},
    }


def _links() -> dict[str, Any]:
    by_id = {"note_id": "$response.body#/id"}
    with_etag = {**by_id, "header.If-Match": "$response.header.ETag"}
    return {
        "GetNote": {"operationId": "getNote", "parameters": by_id},
        "ReplaceNote": {"operationId": "replaceNote", "parameters": with_etag},
        "PatchNote": {"operationId": "patchNote", "parameters": with_etag},
        "DeleteNote": {"operationId": "deleteNote", "parameters": with_etag},
    }


def _replayable(response: dict[str, Any]) -> dict[str, Any]:
    """A 201 that may be the answer kept for an Idempotency-Key (IDEM-2)."""
    replayed = {
        "description": "`true` when this is the answer first given to the request's "
        "Idempotency-Key, repeated; absent on the first answer.",
        "schema": {"type": "string", "enum": ["true"]},
    }
    return {**response, "headers": {**response.get("headers", {}), REPLAYED_HEADER: replayed}}


def _listing_parameters(settings: Settings) -> list[dict[str, Any]]:
    no_nul = {"type": "string", "pattern": r"^[^\u0000]*$"}
    return [
        {
            "name": "limit",
            "in": "query",
            "description": "Page size.",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": settings.max_page_size,
                "default": settings.default_page_size,
            },
        },
        {
            "name": "cursor",
            "in": "query",
            "description": "Opaque position, taken from the previous page's `next`.",
            "schema": {"type": "string"},
        },
        {
            "name": "sort",
            "in": "query",
            "description": "Sort key, `-` for descending; ties are broken by id ascending.",
            "schema": {"type": "string", "enum": list(SORT_VALUES), "default": "id"},
        },
        {"name": "created_by", "in": "query", "description": "Exact match.", "schema": no_nul},
        {
            "name": "priority",
            "in": "query",
            "description": "Exact match.",
            "schema": {"type": "integer", "minimum": INT32_MIN, "maximum": INT32_MAX},
        },
        {
            "name": "q",
            "in": "query",
            "description": "Case-insensitive (Unicode case folding) substring of title or "
            "description; `%`, `_` and `\\` are literal.",
            "schema": no_nul,
        },
    ]


def _body(schema: str, *media_types: str) -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": _ref(schema)} for media in media_types}}


def build_openapi(settings: Settings) -> dict[str, Any]:
    body_errors = ("400", "408", "413", "415")
    item_parameters = [_ref("NoteId", "parameters")]
    write_parameters = [*item_parameters, _ref("IfMatch", "parameters")]
    document = add_operations(_document(settings, body_errors, item_parameters, write_parameters))
    # Token mode (v1.1): the bearer scheme, its 401 and 429, created_by optional.
    return with_users(document) if settings.auth == "token" else document


def _document(
    settings: Settings,
    body_errors: tuple[str, ...],
    item_parameters: list[dict[str, str]],
    write_parameters: list[dict[str, str]],
) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "notes",
            "version": "1.0.0",
            "description": "A notes REST service: CRUD, conditional requests, JSON Merge "
            "Patch, keyset pagination and RFC 9457 problem details.",
        },
        "paths": {
            "/notes": {
                "get": {
                    "operationId": "listNotes",
                    "summary": "List notes, a page at a time",
                    "parameters": _listing_parameters(settings),
                    "responses": {
                        "200": {
                            "description": "A page of notes.",
                            "headers": {"Link": _ref("Link", "headers")},
                            "content": {JSON: {"schema": _ref("NotePage")}},
                        },
                        "400": _problem(
                            "The Host header is not a valid host and port, which the "
                            "page's absolute links are made of."
                        ),
                        **_responses("422", "500", "503"),
                    },
                },
                "post": {
                    "operationId": "createNote",
                    "summary": "Create a note",
                    "parameters": [_ref("IdempotencyKey", "parameters")],
                    "requestBody": _body("NoteInput", JSON),
                    "responses": {
                        "201": _replayable(
                            {
                                **_note_response("The created note.", location=True),
                                "links": _links(),
                            }
                        ),
                        **_responses(*body_errors, "422", "500", "503"),
                        "400": _problem(
                            f"{_PROBLEMS['400']} Or a malformed {KEY_HEADER} (v1.1, IDEM-4)."
                        ),
                    },
                },
            },
            "/notes/{note_id}": {
                "get": {
                    "operationId": "getNote",
                    "summary": "Read a note",
                    "parameters": [*item_parameters, _ref("IfNoneMatch", "parameters")],
                    "responses": {
                        "200": _note_response("The note."),
                        "304": {
                            "description": "If-None-Match matched: the client's copy is current.",
                            "headers": {"ETag": _ref("ETag", "headers")},
                        },
                        **_responses("404", "500", "503"),
                    },
                },
                "head": {
                    "operationId": "headNote",
                    "summary": "A note's headers (ETag) without its body",
                    "parameters": [*item_parameters, _ref("IfNoneMatch", "parameters")],
                    "responses": {
                        "200": {
                            "description": "The note exists.",
                            "headers": {"ETag": _ref("ETag", "headers")},
                        },
                        "304": {
                            "description": "If-None-Match matched.",
                            "headers": {"ETag": _ref("ETag", "headers")},
                        },
                        **_responses("404", "500", "503"),
                    },
                },
                "put": {
                    "operationId": "replaceNote",
                    "summary": "Replace a note (omitted optional fields take their defaults; "
                    "created_at is kept)",
                    "parameters": write_parameters,
                    "requestBody": _body("NoteInput", JSON),
                    "responses": {
                        "200": _note_response("The note as stored."),
                        **_responses(*body_errors, "404", "412", "422", "500", "503"),
                    },
                },
                "patch": {
                    "operationId": "patchNote",
                    "summary": "Change some fields (JSON Merge Patch, RFC 7396)",
                    "parameters": write_parameters,
                    "requestBody": _body("NotePatch", MERGE_PATCH, JSON),
                    "responses": {
                        "200": _note_response("The note as stored."),
                        **_responses(*body_errors, "404", "412", "422", "500", "503"),
                    },
                },
                "delete": {
                    "operationId": "deleteNote",
                    "summary": "Delete a note",
                    "parameters": write_parameters,
                    "responses": {
                        "204": {"description": "Deleted."},
                        **_responses("404", "412", "500", "503"),
                    },
                },
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": {JSON: {"schema": {"type": "object"}}},
                        },
                        **_responses("500", "503"),
                    },
                },
            },
            "/docs": {
                "get": {
                    "operationId": "docs",
                    "summary": "Interactive API docs (Swagger UI, served locally)",
                    "responses": {
                        "200": {
                            "description": "An HTML page.",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                        **_responses("500", "503"),
                    },
                },
            },
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the service can reach its database",
                    "responses": {
                        "200": {
                            "description": "Healthy.",
                            "content": {JSON: {"schema": _ref("Health")}},
                        },
                        **_responses("500", "503"),
                    },
                },
            },
        },
        "components": {
            "schemas": _schemas(),
            "parameters": {
                "NoteId": {
                    "name": "note_id",
                    "in": "path",
                    "required": True,
                    "description": "The note's id. Anything that is not a positive integer "
                    "in range is 404.",
                    "schema": {"type": "integer", "minimum": 1, "maximum": NOTE_ID_MAX},
                },
                "IfMatch": {
                    "name": "If-Match",
                    "in": "header",
                    "description": "Change only if the note's ETag is one of these "
                    "(strong comparison) or `*`; otherwise 412.",
                    "schema": {"type": "string"},
                },
                "IdempotencyKey": {
                    "name": KEY_HEADER,
                    "in": "header",
                    "description": "v1.1 (IDEM): a repeat with this key and the same body "
                    "creates nothing and gets the first answer again (marked "
                    f"{REPLAYED_HEADER}: true); another body with it is 422; a malformed "
                    "key is 400. Kept at least 24 hours. See docs/contract.md, IDEM-1..9.",
                    "schema": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": MAX_KEY_LENGTH,
                        "pattern": "^[!-~]([ -~]*[!-~])?$",
                    },
                },
                "IfNoneMatch": {
                    "name": "If-None-Match",
                    "in": "header",
                    "description": "304 with no body when the note's ETag is one of these.",
                    "schema": {"type": "string"},
                },
            },
            "headers": {
                "ETag": {
                    "description": "Strong entity tag of the note: it changes on "
                    "every change of the note and only then.",
                    "schema": {"type": "string"},
                },
                "Location": {
                    "description": "The new note's path, /notes/{id}.",
                    "schema": {"type": "string"},
                },
                "Link": {
                    "description": 'The next page, as <URL>; rel="next", when there is one.',
                    "schema": {"type": "string"},
                },
            },
            "responses": {
                **{f"Problem{code}": _problem(text) for code, text in _PROBLEMS.items()},
                "Problem503": {
                    **_problem(_UNAVAILABLE),
                    "headers": {
                        "Retry-After": {
                            "description": "Seconds to wait before retrying, when the "
                            "server is at its limit of requests in flight.",
                            "schema": {"type": "integer", "minimum": 0},
                        }
                    },
                },
                "Problem422": _problem(
                    "The request is well-formed but breaks the rules: one entry per problem "
                    "in errors.",
                    "ValidationProblem",
                ),
            },
        },
    }
