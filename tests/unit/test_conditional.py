"""If-Match (strong comparison) and If-None-Match (weak comparison), as the web layer
reads them from a request through aiohttp's parser and the domain checks them."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from notes.domain.conditions import IfMatch, require
from notes.domain.errors import PreconditionFailed
from notes.web.conditional import if_match, not_modified

ETAG = '"7-3"'


def _condition(header: str | None) -> IfMatch | None:
    return if_match(make_mocked_request("PUT", "/", headers=_headers("If-Match", header)))


def _headers(name: str, header: str | None) -> dict[str, str]:
    # As aiohttp's HTTP parser hands a field value over: without surrounding whitespace.
    return {} if header is None else {name: header.strip(" \t")}


def _not_modified(header: str | None) -> bool:
    return not_modified(
        make_mocked_request("GET", "/", headers=_headers("If-None-Match", header)), ETAG
    )


@pytest.mark.parametrize(
    "header",
    [
        None,
        '"7-3"',
        "*",
        " * ",
        '  "7-3"  ',
        '"1-1", "7-3"',
        '"7-3","1-1"',
        '"1-1" , "7-3" , "2-2"',
        'W/"7-3", "7-3"',
    ],
)
def test_if_match_holds(header: str | None) -> None:
    require(_condition(header), ETAG)


@pytest.mark.parametrize(
    "header",
    [
        # Present but naming no tag: a condition nothing meets, not the absence of one.
        "",
        '"7-2"',
        '"7-3 "',
        "7-3",
        'W/"7-3"',
        '"1-1", W/"7-3"',
        '"1-1", "2-2"',
        "*, *",
        '"*"',
        "garbage",
        '"7-3',
        '"7-"3"',
        # Junk around a tag must not make it match.
        'w/"7-3"',
        'x"7-3"',
        '"7-3" junk',
        'junk, "7-3"',
    ],
)
def test_if_match_fails(header: str) -> None:
    with pytest.raises(PreconditionFailed) as caught:
        require(_condition(header), ETAG)
    assert caught.value.status == 412
    assert caught.value.detail == (
        "If-Match does not match the note's current ETag; nothing was changed."
    )


@pytest.mark.parametrize(
    "header",
    [
        '"7-3"',
        'W/"7-3"',
        "*",
        "  *  ",
        '"1-1", "7-3"',
        '"1-1", W/"7-3"',
        'W/"1-1",W/"7-3"',
        ' "7-3" ',
    ],
)
def test_if_none_match_matches(header: str) -> None:
    assert _not_modified(header) is True


@pytest.mark.parametrize(
    "header",
    [
        *(None, "", '"7-2"', "7-3", "garbage", '"1-1", "2-2"', 'W/"7-2"', '"*"', "*, *"),
        *('"7-3', 'w/"7-3"', 'x"7-3"', '"7-3" junk'),
    ],
)
def test_if_none_match_does_not_match(header: str | None) -> None:
    assert _not_modified(header) is False
