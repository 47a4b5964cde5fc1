"""DOC: /openapi.json and /docs."""

from __future__ import annotations

import re
from collections.abc import Callable

from conformance.selftest.traffic import Exchange, JsonObject, Reply
from conformance.selftest.violation import Violation, rewrite_reply

CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
BUNDLE = re.compile(rb'src="[^"]*swagger-ui-bundle\.js"')


def document_edit(edit: Callable[[JsonObject], None]) -> Callable[[Exchange, Reply], Reply | None]:
    """The served OpenAPI document, changed in place by `edit`."""

    def apply(exchange: Exchange, reply: Reply) -> Reply | None:
        if exchange.path != "/openapi.json" or reply.status != 200:
            return None
        document = reply.json_object()
        if document is None:
            return None
        edit(document)
        return reply.with_json(document)

    return apply


def item(document: JsonObject) -> JsonObject:
    path = next(path for path in document["paths"] if path.startswith("/notes/{"))
    operations: JsonObject = document["paths"][path]
    return operations


def schema(document: JsonObject, name: str) -> JsonObject:
    found: JsonObject = document["components"]["schemas"][name]
    return found


def openapi_3_0(document: JsonObject) -> None:
    document["openapi"] = "3.0.3"


def no_412_on_put(document: JsonObject) -> None:
    del item(document)["put"]["responses"]["412"]


def no_link_header(document: JsonObject) -> None:
    document["paths"]["/notes"]["get"]["responses"]["200"].pop("headers", None)


def limit_up_to_100(document: JsonObject) -> None:
    for parameter in document["paths"]["/notes"]["get"]["parameters"]:
        if parameter.get("name") == "limit":
            parameter["schema"]["maximum"] = 100


def title_unbounded(document: JsonObject) -> None:
    schema(document, "NoteInput")["properties"]["title"].pop("maxLength", None)


def extra_members_allowed(document: JsonObject) -> None:
    schema(document, "NoteInput").pop("additionalProperties", None)


def note_properties_sorted(document: JsonObject) -> None:
    note = schema(document, "Note")
    note["properties"] = dict(sorted(note["properties"].items()))


def no_links(document: JsonObject) -> None:
    document["paths"]["/notes"]["post"]["responses"]["201"].pop("links", None)


def priority_64_bits(document: JsonObject) -> None:
    priority = schema(document, "NoteInput")["properties"]["priority"]
    priority["minimum"], priority["maximum"] = -(2**63), 2**63 - 1


def no_utc_words(document: JsonObject) -> None:
    created_at = schema(document, "NoteInput")["properties"]["created_at"]
    created_at["description"] = "RFC 3339, or the tutorial's YYYY-MM-DD HH:MM."


def docs_from_a_cdn(exchange: Exchange, reply: Reply) -> Reply | None:
    if exchange.path != "/docs" or reply.status != 200 or not BUNDLE.search(reply.body):
        return None
    return reply.with_body(BUNDLE.sub(f'src="{CDN}"'.encode(), reply.body))


def docs_as_text(exchange: Exchange, reply: Reply) -> Reply | None:
    if exchange.path != "/docs" or reply.status != 200:
        return None
    return reply.with_header("Content-Type", "text/plain; charset=utf-8")


VIOLATIONS = (
    Violation(
        "V-DOC-OPENAPI-3-0",
        ("DOC-2",),
        'the document says "openapi": "3.0.3"',
        rewrite_reply(document_edit(openapi_3_0)),
        fast=True,
    ),
    Violation(
        "V-DOC-NO-412",
        ("DOC-3",),
        "PUT /notes/{id} does not declare its 412",
        rewrite_reply(document_edit(no_412_on_put)),
    ),
    Violation(
        "V-DOC-NO-LINK-HEADER",
        ("DOC-4",),
        "the 200 of GET /notes does not declare the Link header",
        rewrite_reply(document_edit(no_link_header)),
    ),
    Violation(
        "V-DOC-LIMIT-MAX-100",
        ("DOC-5", "DOC-9"),
        "the document says limit is at most 100 (the server takes 1000)",
        rewrite_reply(document_edit(limit_up_to_100)),
    ),
    Violation(
        "V-DOC-TITLE-UNBOUNDED",
        ("DOC-6", "DOC-9"),
        "the create schema has no maxLength on title",
        rewrite_reply(document_edit(title_unbounded)),
    ),
    Violation(
        "V-DOC-EXTRA-MEMBERS-ALLOWED",
        ("DOC-6", "DOC-9"),
        "the create schema does not forbid other members",
        rewrite_reply(document_edit(extra_members_allowed)),
    ),
    Violation(
        "V-DOC-NOTE-SCHEMA-SORTED",
        ("DOC-7",),
        "the note schema lists its members alphabetically",
        rewrite_reply(document_edit(note_properties_sorted)),
    ),
    Violation(
        "V-DOC-NO-LINKS",
        ("DOC-8",),
        "the 201 of POST /notes has no OpenAPI links",
        rewrite_reply(document_edit(no_links)),
    ),
    Violation(
        "V-DOC-PRIORITY-64-BITS",
        ("DOC-6", "DOC-9"),
        "the document gives priority a 64-bit range",
        rewrite_reply(document_edit(priority_64_bits)),
    ),
    Violation(
        "V-DOC-NO-UTC-WORDS",
        ("DOC-10",),
        "created_at's description does not state the UTC range",
        rewrite_reply(document_edit(no_utc_words)),
    ),
    Violation(
        "V-DOC-ASSETS-FROM-A-CDN",
        ("DOC-13",),
        "/docs loads Swagger UI from a CDN",
        rewrite_reply(docs_from_a_cdn),
        fast=True,
    ),
    Violation(
        "V-DOC-DOCS-AS-TEXT",
        ("DOC-12",),
        "/docs is served as text/plain",
        rewrite_reply(docs_as_text),
    ),
)
