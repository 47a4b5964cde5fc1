"""Where the listing's absolute links point: the request's scheme, host and port.

The host is the client's own Host header. One that is not a host and port (RFC 9110
section 7.2: `uri-host [ ":" port ]`) is refused with a 400, as RFC 9112 asks, rather
than turned into a link to nowhere (or, as yarl did with a port past 65535, a 500).
HTTP/1.0 may send no Host; then the address the request arrived on stands in.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from aiohttp import hdrs, web

from notes.domain.errors import MalformedRequest

# RFC 3986: a reg-name (which covers IPv4 addresses) or a bracketed IPv6 address,
# then an optional port. An empty host is no http host (RFC 9110 section 4.2.1).
_HOST = re.compile(
    r"(?P<name>(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])"
    r"(?::(?P<port>[0-9]{0,5}))?"
)
_PORT_MAX = 65535
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@functools.lru_cache(maxsize=256)  # a server sees few distinct Host values
def origin_of(scheme: str, host: str) -> str | None:
    """`scheme://host[:port]`, in lower case and without an empty or default port
    (as yarl writes it); None when `host` is not a host and port."""
    match = _HOST.fullmatch(host)
    if match is None:
        return None
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            return None
    name, port = match["name"].lower(), match["port"]
    if port and int(port) > _PORT_MAX:
        return None
    if not port or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{name}"
    return f"{scheme}://{name}:{port}"


def _local_address(request: web.BaseRequest) -> str:
    """host:port of the socket the request arrived on (a Unix socket has none)."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if not isinstance(sockname, tuple):
        return "localhost"
    address, port = str(sockname[0]), sockname[1]
    if ":" in address:  # IPv6, maybe with a zone, whose % a URL must escape
        return f"[{address.replace('%', '%25')}]:{port}"
    return f"{address}:{port}"


def request_origin(request: web.BaseRequest) -> str:
    """`scheme://host[:port]` of the request, for links that must be absolute."""
    host = request.headers.get(hdrs.HOST)
    if host is None:
        return f"{request.scheme}://{_local_address(request)}"
    origin = origin_of(request.scheme, host)
    if origin is None:
        raise MalformedRequest("The Host header is not a valid host and port.")
    return origin
