"""The URL of a listing's next page: the request's own, its cursor replaced (LIST-13).

Every other parameter the client sent stays, unknown ones included. A query of plain
characters (no percent-escape, nothing a Link header's `<...>` or a JSON string would
need escaped) is edited as text: yarl's `update_query`, which parses and writes the
whole query again, cost a page 8% of its throughput (benchmarks/README.md). Any other
query goes through yarl, which escapes what needs it.
"""

from __future__ import annotations

import re

from yarl import URL

CURSOR = "cursor"
# RFC 3986 query characters but `%` (an escape may spell "cursor" in disguise) and
# nothing that ends a Link target or needs escaping in JSON.
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9\-._~!$'()*+,;=:@/?&]*")


def next_page_url(url: URL, origin: str, cursor: str) -> str:
    """`origin` + the path and query of `url` (a request's, relative), with `cursor` as
    its only cursor."""
    query = url.raw_query_string
    if not _PLAIN_QUERY.fullmatch(query):
        return origin + str(url.update_query({CURSOR: cursor}))
    kept = [part for part in query.split("&") if part and part.partition("=")[0] != CURSOR]
    kept.append(f"{CURSOR}={cursor}")
    return f"{origin}{url.raw_path}?{'&'.join(kept)}"
