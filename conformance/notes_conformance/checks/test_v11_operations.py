"""Contract v1.1, operations (OPS): request ids, liveness and readiness, headers for
browsers, CORS and forwarded links; black-box, against any server of the contract.

A server whose OpenAPI document declares no `GET /health/live` and `GET /health/ready`
(a v1 server) is not held to these rules: every check here is skipped for it. What the
kit cannot see from outside (OPS-3's log lines, OPS-4 and OPS-5 with the database down)
is carried by the implementation's own tests (docs/traceability.md).
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from notes_conformance.checks.support import Api, assert_problem, create_many, note_payload

REQUEST_ID = "X-Request-Id"
HEALTH_PATHS = ("/health/live", "/health/ready")
# OPS-1's sane ids, each at an edge of the rule: every allowed symbol, the longest.
SANE_IDS = ("abc-123", "trace:1/2+3=@x.y_z~", "a" * 128)
INSANE_IDS = ("a" * 129, "two words", "semi;colon", "<script>")
# A version number: "aiohttp/3.14", "Python/3.11", "nginx/1.25.3", "Apache 2".
VERSION = re.compile(r"\d+\.\d+|/\s*v?\d")
# An origin no server is configured for: a reserved top-level domain [RFC 2606].
STRANGER = "https://origin-not-configured.invalid"
CORS_REQUEST_HEADERS = (
    *("authorization", "if-match", "if-none-match", "content-type", "x-request-id"),
)
EXPOSED = ("etag", "location", "link", "x-request-id")
FORWARDED_HOST = "api.example:8443"
FORWARDED = (
    {"X-Forwarded-Proto": "https", "X-Forwarded-Host": FORWARDED_HOST},
    {"Forwarded": f'for=192.0.2.60;proto=https;host="{FORWARDED_HOST}"'},
)


@pytest.fixture
def ops_api(api: Api) -> Api:
    paths = api.get("/openapi.json").json().get("paths", {})
    if not all(isinstance(paths.get(path), dict) and "get" in paths[path] for path in HEALTH_PATHS):
        pytest.skip(
            "the server's OpenAPI document declares no GET /health/live and /health/ready: "
            "it does not claim the v1.1 operations rules"
        )
    return api


def assorted_answers(api: Api, owner: str) -> list[requests.Response]:
    """One answer of each kind: success, created, no content, not modified, problems
    (the server's and the framework's), the documents and the health endpoints."""
    created = api.send_json("POST", "/notes", note_payload(owner))
    assert created.status_code == 201, created.text
    location = created.headers["Location"]
    answers = [
        created,
        api.get(location),
        api.get(location, headers={"If-None-Match": created.headers["ETag"]}),
        api.head(location),
        api.get("/notes", params={"created_by": owner}),
        api.send_json("POST", "/notes", {"title": ""}),
        api.get("/notes/999999999"),
        api.get(f"/nowhere-{uuid.uuid4().hex[:8]}"),
        api.post(location),  # 405
        api.get("/openapi.json"),
        api.get("/docs"),
        api.get("/health"),
        *(api.get(path) for path in HEALTH_PATHS),
        api.delete(location),
    ]
    assert [answer.status_code for answer in answers[:4]] == [201, 200, 304, 200]
    assert answers[-1].status_code == 204
    return answers


def named(answer: requests.Response) -> str:
    return f"{answer.request.method} {answer.request.path_url} ({answer.status_code})"


def listed(value: str | None) -> set[str]:
    return {item.strip().lower() for item in (value or "").split(",") if item.strip()}


# Request ids


@pytest.mark.rule("OPS-1")
def test_every_answer_carries_a_request_id(ops_api: Api, owner: str) -> None:
    for answer in assorted_answers(ops_api, owner):
        assert answer.headers.get(REQUEST_ID, "").strip(), f"no {REQUEST_ID}: {named(answer)}"


@pytest.mark.rule("OPS-1")
@pytest.mark.parametrize("given", SANE_IDS, ids=["dash", "symbols", "128"])
def test_a_sane_request_id_is_echoed(ops_api: Api, given: str) -> None:
    for path in ("/notes?limit=1", "/notes/999999999"):
        answer = ops_api.get(path, headers={REQUEST_ID: given})
        assert answer.headers.get(REQUEST_ID) == given, named(answer)


@pytest.mark.rule("OPS-1")
@pytest.mark.parametrize("given", INSANE_IDS, ids=["129", "space", "semicolon", "angle"])
def test_an_insane_request_id_is_replaced(ops_api: Api, given: str) -> None:
    answer = ops_api.get("/notes?limit=1", headers={REQUEST_ID: given})
    made = answer.headers.get(REQUEST_ID, "")
    assert made.strip(), f"no {REQUEST_ID}"
    assert made != given


@pytest.mark.rule("OPS-1")
def test_requests_without_an_id_never_share_one(ops_api: Api) -> None:
    made = [ops_api.get("/notes?limit=1").headers.get(REQUEST_ID) for _ in range(10)]
    assert None not in made
    assert len(set(made)) == len(made), made


@pytest.mark.rule("OPS-2")
def test_every_problem_names_the_request_id(ops_api: Api, owner: str) -> None:
    problems = [
        answer
        for answer in assorted_answers(ops_api, owner)
        if answer.headers.get("Content-Type", "").startswith("application/problem+json")
    ]
    assert len(problems) >= 3, [named(answer) for answer in problems]
    given = ops_api.get("/notes/999999999", headers={REQUEST_ID: "nc-problem-1"})
    for answer in [*problems, given]:
        assert answer.json().get("request_id") == answer.headers.get(REQUEST_ID), named(answer)
    assert assert_problem(given, 404)["request_id"] == "nc-problem-1"


# Liveness and readiness


def assert_ok(api: Api, path: str) -> None:
    answer = api.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].split(";")[0].strip() == "application/json"
    assert answer.json() == {"status": "ok"}


@pytest.mark.rule("OPS-4")
def test_live_answers_ok(ops_api: Api) -> None:
    assert_ok(ops_api, "/health/live")


@pytest.mark.rule("OPS-5")
def test_ready_answers_ok(ops_api: Api) -> None:
    assert_ok(ops_api, "/health/ready")


# Browsers


@pytest.mark.rule("OPS-6")
def test_no_answer_names_a_version(ops_api: Api, owner: str) -> None:
    for answer in assorted_answers(ops_api, owner):
        server = answer.headers.get("Server")
        assert server is None or not VERSION.search(server), f"Server: {server}: {named(answer)}"


@pytest.mark.rule("OPS-7")
def test_no_answer_may_be_sniffed(ops_api: Api, owner: str) -> None:
    for answer in assorted_answers(ops_api, owner):
        assert answer.headers.get("X-Content-Type-Options", "").lower() == "nosniff", named(answer)


def content_policy(value: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for directive in value.split(";"):
        name, *sources = directive.split()
        directives.setdefault(name.lower(), [source.lower() for source in sources])
    return directives


def from_elsewhere(source: str) -> bool:
    """A CSP source that lets the page load from another origin: a host, `*`, or a
    network scheme (`https:`); `'self'`, keywords, nonces, hashes and `data:` do not."""
    return not (source.startswith("'") or source in ("data:", "blob:"))


@pytest.mark.rule("OPS-8")
def test_the_docs_page_loads_from_the_server_alone(ops_api: Api) -> None:
    page = ops_api.get("/docs")
    assert page.status_code == 200
    policy = content_policy(page.headers.get("Content-Security-Policy", ""))
    for kind in ("script-src", "style-src", "img-src"):
        sources = policy.get(kind, policy.get("default-src"))
        assert sources is not None, f"no {kind} nor default-src: {policy}"
        assert not [source for source in sources if from_elsewhere(source)], f"{kind} {sources}"
    assert "'self'" in policy.get("script-src", policy.get("default-src", []))


# CORS


def stranger(cors_origin: str | None) -> str:
    if cors_origin == "*":
        pytest.skip("--cors-origin '*': every origin is configured")
    return STRANGER


def preflight(api: Api, path: str, origin: str, method: str) -> requests.Response:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": ", ".join(CORS_REQUEST_HEADERS),
    }
    return api.request("OPTIONS", path, headers=headers)


@pytest.mark.rule("OPS-9")
def test_an_origin_that_is_not_configured_gets_no_cors(
    ops_api: Api, cors_origin: str | None
) -> None:
    origin = stranger(cors_origin)
    answer = ops_api.get("/notes?limit=1", headers={"Origin": origin})
    assert answer.status_code == 200
    assert "Access-Control-Allow-Origin" not in answer.headers
    refused = preflight(ops_api, "/notes", origin, "POST")
    assert "Access-Control-Allow-Origin" not in refused.headers
    # With origins configured a preflight from another is 403; with CORS off there is
    # no preflight to answer (ours: 405, OPTIONS is no method of the resource).
    expected = {403} if cors_origin is not None else set(range(400, 500))
    assert refused.status_code in expected, refused.status_code


def credentials_with_any_origin(answer: requests.Response) -> bool:
    credentials = answer.headers.get("Access-Control-Allow-Credentials", "").lower()
    return credentials == "true" and answer.headers.get("Access-Control-Allow-Origin") == "*"


@pytest.mark.rule("OPS-11")
def test_no_answer_allows_credentials_to_any_origin(
    ops_api: Api, cors_origin: str | None, owner: str
) -> None:
    configured = () if cors_origin in (None, "*") else (cors_origin,)
    for origin in (STRANGER, *configured):
        headers = {"Origin": origin}
        answers = [
            ops_api.get("/notes?limit=1", headers=headers),
            ops_api.send_json("POST", "/notes", note_payload(owner), headers=headers),
            *(preflight(ops_api, "/notes", origin, method) for method in ("GET", "POST")),
        ]
        for answer in answers:
            assert not credentials_with_any_origin(answer), named(answer)


@pytest.fixture
def allowed_origin(ops_api: Api, cors_origin: str | None) -> str:
    if cors_origin is None:
        pytest.skip("needs an origin the server's CORS configuration allows: --cors-origin ORIGIN")
    return STRANGER if cors_origin == "*" else cors_origin


def allows(value: str | None, origin: str) -> bool:
    return value == origin or value == "*"


@pytest.mark.rule("OPS-10")
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def test_a_preflight_from_a_configured_origin_is_allowed(
    ops_api: Api, allowed_origin: str, method: str
) -> None:
    path = "/notes" if method in ("GET", "HEAD", "POST") else "/notes/1"
    answer = preflight(ops_api, path, allowed_origin, method)
    assert 200 <= answer.status_code < 300, answer.status_code
    assert allows(answer.headers.get("Access-Control-Allow-Origin"), allowed_origin)
    methods = listed(answer.headers.get("Access-Control-Allow-Methods"))
    assert method.lower() in methods or "*" in methods, methods
    headers = listed(answer.headers.get("Access-Control-Allow-Headers"))
    assert "*" in headers or set(CORS_REQUEST_HEADERS) <= headers, headers


@pytest.mark.rule("OPS-10")
def test_answers_to_a_configured_origin_expose_what_scripts_read(
    ops_api: Api, allowed_origin: str, owner: str
) -> None:
    headers = {"Origin": allowed_origin}
    created = ops_api.send_json("POST", "/notes", note_payload(owner), headers=headers)
    for answer in (created, ops_api.get("/notes?limit=1", headers=headers)):
        allowed = answer.headers.get("Access-Control-Allow-Origin")
        assert allows(allowed, allowed_origin), f"{named(answer)}: {allowed}"
        exposed = listed(answer.headers.get("Access-Control-Expose-Headers"))
        assert "*" in exposed or set(EXPOSED) <= exposed, f"{named(answer)}: {exposed}"


@pytest.mark.rule("OPS-12")
def test_answers_that_depend_on_the_origin_say_vary_origin(
    ops_api: Api, allowed_origin: str
) -> None:
    answer = ops_api.get("/notes?limit=1", headers={"Origin": allowed_origin})
    if answer.headers.get("Access-Control-Allow-Origin") == "*":
        pytest.skip("the answer allows every origin: it does not depend on Origin")
    assert "origin" in listed(answer.headers.get("Vary")), answer.headers.get("Vary")


# Forwarded scheme and host


def forwarded_links(
    api: Api, base_url: str, owner: str, forwarded: dict[str, str]
) -> tuple[str, list[tuple[str, str]]]:
    """A listing of two pages asked for with `forwarded` headers: the URL asked, and
    its `next` and `Link` URLs, each as written and as a client resolves it."""
    on_target = Api(base_url, api.session)
    create_many(on_target, [note_payload(owner, title=f"page {n}") for n in range(2)])
    answer = on_target.get(f"/notes?created_by={owner}&limit=1", headers=forwarded)
    assert answer.status_code == 200, answer.text
    written = answer.json()["next"]
    assert written is not None, "a page with a next one"
    link = re.search(r"<([^>]*)>", answer.headers.get("Link", ""))
    assert link is not None, f"no Link: {answer.headers.get('Link')}"
    return answer.url, [(url, urljoin(answer.url, url)) for url in (written, link.group(1))]


@pytest.mark.rule("OPS-13")
@pytest.mark.parametrize("forwarded", FORWARDED, ids=["x-forwarded", "forwarded"])
def test_links_use_what_a_trusted_proxy_forwarded(
    ops_api: Api, trusting_base_url: str, owner: str, forwarded: dict[str, str]
) -> None:
    _, links = forwarded_links(ops_api, trusting_base_url, owner, forwarded)
    for written, resolved in links:
        if urlsplit(written).scheme:  # a relative reference serves the proxy's clients too
            assert resolved.startswith(f"https://{FORWARDED_HOST}/"), written


@pytest.mark.rule("OPS-14")
@pytest.mark.parametrize("forwarded", FORWARDED, ids=["x-forwarded", "forwarded"])
def test_forwarded_headers_from_anyone_else_change_nothing(
    ops_api: Api, distrusting_base_url: str, owner: str, forwarded: dict[str, str]
) -> None:
    asked, links = forwarded_links(ops_api, distrusting_base_url, owner, forwarded)
    own = urlsplit(asked)
    for written, resolved in links:
        assert urlsplit(resolved)[:2] == own[:2], written
