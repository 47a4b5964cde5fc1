"""The route a request matched, as its template: the label of its metrics and log lines.

Never the raw path: `/notes/1`, `/notes/2`, ... would make one series per note, and a
client could make as many as it likes. A request that matched no route (404, 405)
gets one fixed label.
"""

from __future__ import annotations

from aiohttp import web

UNMATCHED = "unmatched"


def route_template(request: web.BaseRequest) -> str:
    match_info = getattr(request, "match_info", None)  # a BaseRequest has none
    resource = match_info.route.resource if match_info is not None else None
    return resource.canonical if resource is not None else UNMATCHED
