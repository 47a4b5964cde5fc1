"""If-Match (strong comparison) and If-None-Match (weak comparison)."""

from __future__ import annotations

import pytest

from notes.domain.errors import PreconditionFailed
from notes.web.conditional import if_match_holds, if_none_match_matches, require_if_match

ETAG = '"7-3"'


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
    assert if_match_holds(header, ETAG) is True
    require_if_match(header, ETAG)


@pytest.mark.parametrize(
    "header",
    [
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
        # Junk around a tag must not make the list match (the parser is anchored).
        'w/"7-3"',
        'x"7-3"',
        '"7-3" junk',
        'junk, "7-3"',
    ],
)
def test_if_match_fails(header: str) -> None:
    assert if_match_holds(header, ETAG) is False
    with pytest.raises(PreconditionFailed) as caught:
        require_if_match(header, ETAG)
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
    assert if_none_match_matches(header, ETAG) is True


@pytest.mark.parametrize(
    "header",
    [
        *(None, "", '"7-2"', "7-3", "garbage", '"1-1", "2-2"', 'W/"7-2"', '"*"', "*, *"),
        *('"7-3', 'w/"7-3"', 'x"7-3"', '"7-3" junk'),
    ],
)
def test_if_none_match_does_not_match(header: str | None) -> None:
    assert if_none_match_matches(header, ETAG) is False
