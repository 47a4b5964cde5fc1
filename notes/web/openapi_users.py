"""The OpenAPI document of token mode (contract v1.1): v1's, plus what users change.

Every /notes operation requires the bearer scheme and may answer 401 and 429; a
`created_by` may be left out of a body (it is the caller's name); another user's
note is a 404. Swagger UI at /docs shows an "Authorize" button for the scheme, where
a user pastes their token.
"""

from __future__ import annotations

import copy
from typing import Any

SCHEME = "bearerAuth"
PROBLEM = "application/problem+json"
NOTE_PATHS = ("/notes", "/notes/{note_id}")
_CREATED_BY = (
    "In token mode, the owner's user name: left out, it is the caller's own name on a "
    "create and kept on a write; any other name is 422. A note's owner never changes."
)


def _problem(description: str, header: str, header_description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {header: {"description": header_description, "schema": {"type": "string"}}},
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def with_users(v1: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(v1)
    document["info"]["version"] = "1.1.0"
    document["info"]["description"] += (
        " Token mode: every /notes request carries a user's bearer token, and each user "
        "reaches only their own notes (an admin reaches every note)."
    )
    components = document["components"]
    components["securitySchemes"] = {
        SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "A user's token, as `notes users add NAME` printed it.",
        }
    }
    responses = components["responses"]
    responses["Problem401"] = _problem(
        "No valid token: missing, malformed, unknown or revoked (the same answer for each).",
        "WWW-Authenticate",
        'The scheme to use: Bearer realm="notes".',
    )
    responses["Problem429"] = _problem(
        "Too many requests with a wrong token from this client address.",
        "Retry-After",
        "Seconds until this address may try again.",
    )
    responses["Problem404"]["description"] = (
        "No such note, or a note of another user: the two answers are the same."
    )
    for path in NOTE_PATHS:
        for operation in document["paths"][path].values():
            operation["security"] = [{SCHEME: []}]
            operation["responses"]["401"] = {"$ref": "#/components/responses/Problem401"}
            operation["responses"]["429"] = {"$ref": "#/components/responses/Problem429"}
    schemas = components["schemas"]
    schemas["NoteInput"]["required"].remove("created_by")
    for model in ("NoteInput", "NotePatch"):
        schemas[model]["properties"]["created_by"]["description"] = _CREATED_BY
    return document
