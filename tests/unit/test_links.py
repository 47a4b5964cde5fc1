"""The next page's URL: the request's query with its cursor replaced, as yarl would."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from yarl import URL

from notes.web.links import next_page_url

ORIGIN = "http://example.test:8080"
CURSOR = "AAGgRp9PqSkir93BWyJpZCIsMiwyXQ"
# Bytes a client may put in a request target's query (what aiohttp hands on, as sent),
# with the characters that matter here over-represented.
_TARGET_CHARACTERS = st.sampled_from(
    [*"abcursolimt0123456789", *"=&=&%+;-_.~!$'()*,:@/?", *'<>"\\ {}|^`', "%2", "%63", "é"]
)
RAW_QUERIES = st.lists(_TARGET_CHARACTERS, max_size=40).map("".join)
# What may stand in the URL unescaped: RFC 3986 query characters, inside a Link's <...>
# and in a JSON string as they are.
_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$'()*+,;=:@/?&%")


def request_url(raw_query: str) -> URL:
    """The relative URL aiohttp's parser makes of `GET /notes?<raw_query>`."""
    return URL.build(path="/notes", query_string=raw_query, encoded=True)


def pairs(url: URL) -> list[tuple[str, str]]:
    return list(url.query.items())


@pytest.mark.rule("LIST-13", "LIST-14", "LIST-17")
@given(RAW_QUERIES)
@example("limit=50")
@example("limit=50&cursor=old&sort=-id")
@example("cursor=a&other=x&cursor=b")
@example("c%75rsor=old&limit=2")
@example("cursor=old==&limit=2")  # a value holding "=": the name ends at the first
@example("q=a b<c>&limit=2")
@example("a=1;cursor=X")
def test_the_next_url_is_the_request_with_only_the_new_cursor(raw_query: str) -> None:
    request = request_url(raw_query)
    written = next_page_url(request, ORIGIN, CURSOR)
    assert set(written) <= _SAFE, written
    assert written.startswith(f"{ORIGIN}/notes?")
    followed = URL(written, encoded=True)
    # The same parameters in the same order but for the cursor, which is CURSOR alone:
    # what yarl's update_query gives, wherever it puts the cursor.
    expected = pairs(request.update_query({"cursor": CURSOR}))
    assert [pair for pair in pairs(followed) if pair[0] != "cursor"] == [
        pair for pair in expected if pair[0] != "cursor"
    ]
    assert followed.query.getall("cursor") == [CURSOR]


def test_a_plain_query_is_kept_as_it_was_sent() -> None:
    assert next_page_url(request_url("limit=2&sort=-id&x=a+b"), ORIGIN, CURSOR) == (
        f"{ORIGIN}/notes?limit=2&sort=-id&x=a+b&cursor={CURSOR}"
    )
    assert next_page_url(request_url(""), ORIGIN, CURSOR) == f"{ORIGIN}/notes?cursor={CURSOR}"
