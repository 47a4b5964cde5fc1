"""GET /openapi.json describes the whole contract; GET /docs works with no internet access."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest
import requests
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from openapi_spec_validator import validate

from notes_conformance.checks.support import (
    INT32_MAX,
    INT32_MIN,
    NOTE_KEYS,
    Api,
    JsonObject,
    assert_problem,
    unique,
)

ITEM_PATH = re.compile(r"^/notes/\{([^}]+)\}$")
ERRORS_BY_OPERATION: dict[tuple[str, str], set[str]] = {
    ("get", "/notes"): {"200", "422"},
    ("post", "/notes"): {"201", "400", "413", "415", "422"},
    ("get", "item"): {"200", "304", "404"},
    ("head", "item"): {"200", "304", "404"},
    ("put", "item"): {"200", "400", "404", "412", "413", "415", "422"},
    ("patch", "item"): {"200", "400", "404", "412", "413", "415", "422"},
    ("delete", "item"): {"204", "404", "412"},
    ("get", "/health"): {"200", "503"},
    ("get", "/openapi.json"): {"200"},
    ("get", "/docs"): {"200"},
}


@pytest.fixture(scope="module")
def document(shared_base_url: str) -> JsonObject:
    client = Api(shared_base_url)
    client.session.trust_env = False
    with client.session:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0].strip() == "application/json"
    spec: JsonObject = response.json()
    return spec


def resolve(document: JsonObject, node: Any) -> Any:
    """Follow local ``$ref``s until ``node`` is not a reference."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        reference = node["$ref"]
        assert reference.startswith("#/"), reference
        node = document
        for part in reference[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
        assert seen < 50, "reference loop"
    return node


def item_path(document: JsonObject) -> str:
    matches: list[str] = [path for path in document["paths"] if ITEM_PATH.match(path)]
    assert len(matches) == 1, list(document["paths"])
    return matches[0]


def operation(document: JsonObject, method: str, path: str) -> JsonObject:
    real = item_path(document) if path == "item" else path
    item = document["paths"][real]
    assert method in item, f"{method.upper()} {real} is not declared"
    op: JsonObject = item[method]
    return op


def parameters(document: JsonObject, method: str, path: str) -> dict[tuple[str, str], JsonObject]:
    real = item_path(document) if path == "item" else path
    declared = list(document["paths"][real].get("parameters", []))
    declared += operation(document, method, path).get("parameters", [])
    resolved = [resolve(document, parameter) for parameter in declared]
    return {(parameter["in"], parameter["name"].lower()): parameter for parameter in resolved}


def schema_of(document: JsonObject, node: JsonObject) -> JsonObject:
    schema: JsonObject = resolve(document, node)
    return schema


@pytest.mark.rule("DOC-1", "DOC-2")
def test_the_document_is_valid_openapi_3_1(document: JsonObject) -> None:
    assert str(document["openapi"]).startswith("3.1.")
    validate(document)


@pytest.mark.rule("DOC-3")
@pytest.mark.parametrize(("method", "path"), list(ERRORS_BY_OPERATION))
def test_every_operation_declares_its_status_codes(
    document: JsonObject, method: str, path: str
) -> None:
    responses = operation(document, method, path)["responses"]
    assert ERRORS_BY_OPERATION[(method, path)] <= set(responses)


@pytest.mark.rule("DOC-7")
@pytest.mark.parametrize(("method", "path"), list(ERRORS_BY_OPERATION))
def test_error_responses_are_problem_json(document: JsonObject, method: str, path: str) -> None:
    responses = operation(document, method, path)["responses"]
    for status, response in responses.items():
        if status.startswith(("4", "5")):
            content = resolve(document, response).get("content", {})
            assert "application/problem+json" in content, (method, path, status)
            schema = schema_of(document, content["application/problem+json"]["schema"])
            assert {"type", "title", "status", "detail"} <= declared_properties(document, schema)


def declared_properties(document: JsonObject, schema: JsonObject) -> set[str]:
    """The member names a schema declares, its `allOf` parts' included (DOC-7 asks for a
    schema holding them, however it is composed)."""
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= declared_properties(document, schema_of(document, part))
    return names


@pytest.mark.rule("DOC-4")
@pytest.mark.parametrize(
    ("method", "path", "status", "header"),
    [
        ("post", "/notes", "201", "location"),
        ("post", "/notes", "201", "etag"),
        ("get", "item", "200", "etag"),
        ("get", "item", "304", "etag"),
        ("head", "item", "200", "etag"),
        ("put", "item", "200", "etag"),
        ("patch", "item", "200", "etag"),
        ("get", "/notes", "200", "link"),
    ],
)
def test_response_headers_are_declared(
    document: JsonObject, method: str, path: str, status: str, header: str
) -> None:
    response = resolve(document, operation(document, method, path)["responses"][status])
    assert header in {name.lower() for name in response.get("headers", {})}


@pytest.mark.rule("DOC-4")
@pytest.mark.parametrize(
    ("method", "header"),
    [
        ("get", "if-none-match"),
        ("head", "if-none-match"),
        ("put", "if-match"),
        ("patch", "if-match"),
        ("delete", "if-match"),
    ],
)
def test_conditional_request_headers_are_declared(
    document: JsonObject, method: str, header: str
) -> None:
    assert ("header", header) in parameters(document, method, "item")


@pytest.mark.rule("DOC-5")
def test_the_item_path_parameter_is_a_positive_integer(document: JsonObject) -> None:
    name = ITEM_PATH.match(item_path(document))
    assert name is not None
    for method in ("get", "head", "put", "patch", "delete"):
        parameter = parameters(document, method, "item")[("path", name.group(1).lower())]
        assert parameter["required"] is True
        schema = schema_of(document, parameter["schema"])
        assert schema["type"] == "integer"
        assert schema["minimum"] == 1


@pytest.mark.rule("DOC-5")
def test_listing_parameters_are_declared_with_their_bounds(document: JsonObject) -> None:
    declared = parameters(document, "get", "/notes")
    assert {
        ("query", name) for name in ("limit", "cursor", "sort", "created_by", "priority", "q")
    } <= set(declared)
    limit = schema_of(document, declared[("query", "limit")]["schema"])
    assert (limit["type"], limit["minimum"], limit["maximum"], limit["default"]) == (
        "integer",
        1,
        1000,
        100,
    )
    sort = schema_of(document, declared[("query", "sort")]["schema"])
    keys = ["id", "priority", "created_at", "updated_at", "title"]
    assert set(sort["enum"]) == {*keys, *(f"-{key}" for key in keys)}
    assert sort.get("default") == "id"
    priority = schema_of(document, declared[("query", "priority")]["schema"])
    assert priority["type"] == "integer"


def body_schema(document: JsonObject, method: str, path: str, media_type: str) -> JsonObject:
    body = resolve(document, operation(document, method, path)["requestBody"])
    assert body.get("required") is True
    assert media_type in body["content"], list(body["content"])
    return schema_of(document, body["content"][media_type]["schema"])


@pytest.mark.rule("DOC-6")
@pytest.mark.parametrize(
    ("method", "media_type"),
    [
        ("post", "application/json"),
        ("put", "application/json"),
        ("patch", "application/merge-patch+json"),
        ("patch", "application/json"),
    ],
)
def test_request_bodies_state_every_rule(
    document: JsonObject, method: str, media_type: str
) -> None:
    path = "/notes" if method == "post" else "item"
    schema = body_schema(document, method, path, media_type)
    assert schema.get("type") == "object"
    assert schema.get("additionalProperties") is False
    properties = {name: schema_of(document, value) for name, value in schema["properties"].items()}
    assert set(properties) == {"title", "description", "created_at", "created_by", "priority"}
    expected_required = set() if method == "patch" else {"title", "created_by"}
    assert set(schema.get("required", [])) == expected_required
    for name, low, high in (("title", 1, 200), ("created_by", 1, 100), ("description", 0, 10000)):
        text = flatten(document, properties[name])
        assert (text.get("minLength", 0), text.get("maxLength")) == (low, high), (name, text)
    number = flatten(document, properties["priority"])
    assert (number["minimum"], number["maximum"]) == (INT32_MIN, INT32_MAX)


def flatten(document: JsonObject, schema: JsonObject) -> JsonObject:
    """The non-null branch of a nullable schema (PATCH accepts null for some fields)."""
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [schema_of(document, branch) for branch in schema[key]]
            non_null = [branch for branch in branches if branch.get("type") != "null"]
            assert len(non_null) == 1, schema
            return {**schema, **non_null[0]}
    return schema


@pytest.mark.rule("DOC-7")
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "/notes", "201"),
        ("get", "item", "200"),
        ("put", "item", "200"),
        ("patch", "item", "200"),
    ],
)
def test_the_note_schema_lists_every_field_in_order(
    document: JsonObject, method: str, path: str, status: str
) -> None:
    response = resolve(document, operation(document, method, path)["responses"][status])
    schema = schema_of(document, response["content"]["application/json"]["schema"])
    assert list(schema["properties"]) == NOTE_KEYS
    assert set(schema["required"]) == set(NOTE_KEYS)


@pytest.mark.rule("DOC-7")
def test_the_listing_schema(document: JsonObject) -> None:
    response = resolve(document, operation(document, "get", "/notes")["responses"]["200"])
    schema = schema_of(document, response["content"]["application/json"]["schema"])
    assert set(schema["required"]) == {"notes", "next"}
    assert schema_of(document, schema["properties"]["notes"])["type"] == "array"


@pytest.mark.rule("DOC-8")
def test_links_lead_from_post_to_every_item_operation(document: JsonObject) -> None:
    response = resolve(document, operation(document, "post", "/notes")["responses"]["201"])
    links = [resolve(document, link) for link in response.get("links", {}).values()]
    operation_ids = {
        method: operation(document, method, "item").get("operationId")
        for method in ("get", "put", "patch", "delete")
    }
    name = ITEM_PATH.match(item_path(document))
    assert name is not None
    for method, operation_id in operation_ids.items():
        assert operation_id, f"{method.upper()} item has no operationId"
        matching = [link for link in links if link.get("operationId") == operation_id]
        assert matching, f"no link from POST /notes to {method.upper()} item"
        assert matching[0]["parameters"][name.group(1)] == "$response.body#/id"


@pytest.mark.rule("DOC-2")
def test_operation_ids_are_unique(document: JsonObject) -> None:
    ids = [
        op["operationId"]
        for item in document["paths"].values()
        for method, op in item.items()
        if method in {"get", "head", "post", "put", "patch", "delete"} and "operationId" in op
    ]
    assert len(ids) == len(set(ids))


class AssetCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in {"script", "img"} and values.get("src"):
            self.assets.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.assets.append(values["href"] or "")
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_scripts.append(data)


def docs_page(api: Api) -> tuple[requests.Response, AssetCollector]:
    """GET /docs, and what its HTML loads."""
    response = api.get("/docs")
    assert response.status_code == 200
    collector = AssetCollector()
    collector.feed(response.text)
    return response, collector


@pytest.mark.rule("DOC-12", "DOC-13")
def test_docs_are_served_with_every_asset_from_the_service_itself(api: Api) -> None:
    response, collector = docs_page(api)
    assert response.headers["Content-Type"].split(";")[0].strip() == "text/html"
    assert any(asset.endswith(".js") or "js" in asset for asset in collector.assets), (
        collector.assets
    )
    origin = urlsplit(api.base_url).netloc
    for asset in collector.assets:
        url = urljoin(response.url, asset)
        assert urlsplit(url).netloc == origin, f"/docs loads {asset} from elsewhere"
        fetched = api.get(url)
        assert fetched.status_code == 200, url
        assert fetched.content, url


@pytest.mark.rule("DOC-14")
def test_the_docs_page_loads_the_services_own_document(api: Api) -> None:
    response, collector = docs_page(api)
    texts = [response.text, *collector.inline_scripts]
    for asset in collector.assets:
        url = urljoin(response.url, asset)
        if url.endswith(".js") and urlsplit(url).netloc == urlsplit(api.base_url).netloc:
            texts.append(api.get(url).text)
    assert any("openapi.json" in text for text in texts), "the docs do not load /openapi.json"


@pytest.mark.rule("DOC-11")
def test_the_document_is_the_same_on_every_request(api: Api, document: JsonObject) -> None:
    assert api.get("/openapi.json").json() == document


# Values at the edges of every rule, where a document and a server most often disagree.
# (Lone surrogates are left out: I-JSON, RFC 7493, rules them out of interoperable JSON, and
# test_requests checks that they never make the server fail.)
EDGE_VALUES: list[tuple[str, object]] = [
    ("title", ""),
    ("title", "x" * 200),
    ("title", "x" * 201),
    ("title", "\U0001d11e" * 200),
    ("title", "a\u0000"),
    ("title", 5),
    ("description", "d" * 10_000),
    ("description", "d" * 10_001),
    ("description", None),
    ("created_by", "c" * 100),
    ("created_by", "c" * 101),
    ("priority", INT32_MAX),
    ("priority", INT32_MAX + 1),
    ("priority", INT32_MIN - 1),
    ("priority", 4.0),
    ("priority", 4.5),
    ("priority", 1e2),
    ("priority", True),
    ("priority", "4"),
    ("priority", None),
    ("created_at", None),
    ("created_at", "2017-08-23 00:00"),
    ("created_at", "2016-02-29 00:00"),
    ("created_at", "2017-02-29 00:00"),
    ("created_at", "2017-02-29T00:00:00Z"),
    ("created_at", "2017-04-31 00:00"),
    ("created_at", "2017-08-23 24:00"),
    ("created_at", "2017-08-23T00:00:00"),
    ("created_at", "2017-08-23t00:00:00z"),
    ("created_at", "2017-08-23T00:00:00.1234567Z"),
    ("created_at", "2016-12-31T23:59:60Z"),
    # A leap second with an offset: a date-time to some validators (found in review).
    ("created_at", "2016-12-31T15:59:60-08:00"),
    ("created_at", "2016-12-31T15:59:59-08:00"),
    ("created_at", "0001-01-01T00:00:00Z"),
    ("created_at", "0001-01-01T01:00:00+01:00"),
    ("created_at", "9999-12-31T23:59:59Z"),
    ("created_at", "9999-12-31T22:59:59-01:00"),
    ("created_at", "0000-01-01 00:00"),
    ("id", 1),
]


# Well-formed RFC 3339 times that leave years 1-9999 once converted to UTC. JSON Schema
# cannot say so (`format: date-time` knows no range, and a pattern would have to compare
# the time with the offset), so the document says it in words; the contract says 422.
OUT_OF_UTC_RANGE = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00")


@pytest.mark.rule("DOC-10", "VAL-15")
@pytest.mark.parametrize("value", OUT_OF_UTC_RANGE)
def test_times_outside_utc_years_1_to_9999_are_refused_as_documented(
    api: Api, owner: str, document: JsonObject, value: str
) -> None:
    body_schema = document["paths"]["/notes"]["post"]["requestBody"]["content"]["application/json"]
    body = body_schema["schema"]
    if "$ref" in body:  # any implementation's naming: follow the reference
        for part in body["$ref"].removeprefix("#/").split("/"):
            document = document[part]
        body = document
    description = body["properties"]["created_at"].get("description", "")
    assert "UTC" in description, "the document must state the UTC range rule in words"
    response = api.send_json(
        "POST", "/notes", {"title": "t", "created_by": owner, "created_at": value}
    )
    assert_problem(response, 422, field="created_at")


def may_refuse_in_words(field: str, value: object) -> bool:
    """VAL-10 lets a server refuse a whole-number float priority (`4.0`), and JSON Schema
    cannot: it reads 4.0 as the integer 4. Such a server says so in words (DOC-10), which
    DOC-9 holds it to; no check can read words, so its refusal passes here."""
    return field == "priority" and isinstance(value, float) and value.is_integer()


def validator_for(document: JsonObject, pointer: str) -> OAS31Validator:
    return OAS31Validator({**document, "$ref": pointer}, format_checker=oas31_format_checker)


@pytest.mark.rule("DOC-9")
@pytest.mark.parametrize(("field", "value"), EDGE_VALUES, ids=lambda value: repr(value)[:24])
def test_the_server_accepts_exactly_what_the_document_declares_valid(
    api: Api, owner: str, document: JsonObject, field: str, value: object
) -> None:
    body = {"title": "edge", "created_by": owner, field: value}
    pointer = "#/paths/~1notes/post/requestBody/content/application~1json/schema"
    declared_valid = validator_for(document, pointer).is_valid(body)
    response = api.send_json("POST", "/notes", body)
    _assert_answer_agrees(response, 201, body, declared_valid, field, value)


@pytest.mark.rule("DOC-9")
@pytest.mark.parametrize(("field", "value"), EDGE_VALUES, ids=lambda value: repr(value)[:24])
def test_patch_accepts_exactly_what_the_document_declares_valid(
    api: Api, owner: str, document: JsonObject, field: str, value: object
) -> None:
    note = api.create({"title": "edge", "created_by": owner})
    path = item_path(document).replace("~", "~0").replace("/", "~1")
    media_type = "application~1merge-patch+json"
    pointer = f"#/paths/{quote(path)}/patch/requestBody/content/{media_type}/schema"
    body = {field: value}
    declared_valid = validator_for(document, pointer).is_valid(body)
    response = api.send_json(
        "PATCH", f"/notes/{note['id']}", body, content_type="application/merge-patch+json"
    )
    _assert_answer_agrees(response, 200, body, declared_valid, field, value)


def _assert_answer_agrees(
    response: requests.Response,
    success: int,
    body: JsonObject,
    declared_valid: bool,
    field: str,
    value: object,
) -> None:
    """The server accepted (`success`) exactly what the document declares valid and
    refused (422) the rest, except the refusals `may_refuse_in_words` lets stand."""
    assert response.status_code in {success, 422}, response.text
    accepted = response.status_code == success
    if may_refuse_in_words(field, value) and not accepted:
        return
    assert accepted == declared_valid, (
        f"the document says {body!r} is {'valid' if declared_valid else 'invalid'}, "
        f"the server answered {response.status_code}: {response.text[:300]}"
    )


QUERY_EDGES: list[tuple[str, str]] = [
    ("limit", "0"),
    ("limit", "1"),
    ("limit", "1000"),
    ("limit", "1001"),
    ("limit", "-1"),
    ("limit", "abc"),
    ("priority", str(INT32_MIN)),
    ("priority", str(INT32_MIN - 1)),
    ("priority", str(INT32_MAX)),
    ("priority", str(INT32_MAX + 1)),
    ("priority", "1.5"),
    ("sort", "-updated_at"),
    ("sort", "updated"),
    ("sort", "-"),
    ("created_by", "x" * 101),
    ("q", "%_\\"),
]


def query_value(schema: JsonObject, raw: str) -> object:
    """A query string value as the schema's type reads it (OpenAPI's form style)."""
    if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]+", raw):
        return int(raw)
    return raw


@pytest.mark.rule("DOC-9")
@pytest.mark.parametrize(("name", "raw"), QUERY_EDGES)
def test_listing_accepts_exactly_the_parameters_the_document_declares_valid(
    api: Api, document: JsonObject, name: str, raw: str
) -> None:
    parameter = parameters(document, "get", "/notes")[("query", name)]
    schema = schema_of(document, parameter["schema"])
    declared_valid = OAS31Validator(
        {**document, **schema}, format_checker=oas31_format_checker
    ).is_valid(query_value(schema, raw))
    # A created_by no note has keeps the answer small on a big shared database.
    response = api.get("/notes", params={"created_by": unique("nobody"), name: raw})
    assert response.status_code in {200, 422}, response.text
    assert (response.status_code == 200) == declared_valid, (
        f"the document says {name}={raw!r} is {'valid' if declared_valid else 'invalid'}, "
        f"the server answered {response.status_code}"
    )
