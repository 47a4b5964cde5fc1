"""What v1.1's operations add to the OpenAPI document: the liveness and readiness
endpoints, X-Request-Id on every answer, and /docs' Content-Security-Policy.

Added to the document that `openapi.build_openapi` makes, in one pass, so that every
answer declares the header without each of them being written out again. (The
problem bodies' request_id is a field of the Problem model.)
"""

from __future__ import annotations

from typing import Any

from notes.web.request_ids import REQUEST_ID_HEADER as _HEADER
from notes.web.security import DOCS_CONTENT_SECURITY_POLICY

REQUEST_ID_HEADER = str(_HEADER)  # a plain str: orjson writes no subclass as a key

_REQUEST_ID_REF = {"$ref": f"#/components/headers/{REQUEST_ID_HEADER}"}
_METHODS = ("get", "head", "post", "put", "patch", "delete")


def _health(operation_id: str, summary: str, *codes: str) -> dict[str, Any]:
    problems = {code: {"$ref": f"#/components/responses/Problem{code}"} for code in codes}
    healthy = {
        "description": "Yes.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
    }
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "responses": {"200": healthy, **problems},
        }
    }


def add_operations(document: dict[str, Any]) -> dict[str, Any]:
    paths, components = document["paths"], document["components"]
    paths["/health/live"] = _health(
        "healthLive", "Whether the process answers (never asks the database)", "500"
    )
    paths["/health/ready"] = _health(
        "healthReady",
        "Whether the database answers and its schema is at this server's revision",
        "500",
        "503",
    )
    components["headers"][REQUEST_ID_HEADER] = {
        "description": "The request's id: the client's X-Request-Id when it was a sane "
        "token (1 to 128 of A-Z a-z 0-9 . _ ~ : / + = @ -), one the server made otherwise. "
        "Log lines and problem bodies (request_id) name the same id. A client may send "
        "its own X-Request-Id with any request. (Not declared as a parameter of each "
        "operation: schemathesis would guess that a note's id goes there.)",
        "schema": {"type": "string"},
    }
    for item in paths.values():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            for response in operation["responses"].values():
                if "$ref" not in response:
                    response.setdefault("headers", {})[REQUEST_ID_HEADER] = _REQUEST_ID_REF
    for response in components["responses"].values():
        response.setdefault("headers", {})[REQUEST_ID_HEADER] = _REQUEST_ID_REF
    docs_page = paths["/docs"]["get"]["responses"]["200"]
    docs_page["headers"]["Content-Security-Policy"] = {
        "description": "Scripts, styles and images from this server alone.",
        "schema": {"type": "string", "const": DOCS_CONTENT_SECURITY_POLICY},
    }
    return document
