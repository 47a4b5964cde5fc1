"""Behind a reverse proxy: the scheme, host and client address it forwards, believed
only when the connection comes from an address in NOTES_TRUSTED_PROXIES.

Anyone can send `X-Forwarded-Host: evil.example`; only a proxy we run overwrites it.
So the headers are read only from a trusted peer, and then only the value its own
proxy added (the last): RFC 7239 `Forwarded` first, else `X-Forwarded-Proto`,
`X-Forwarded-Host` and `X-Forwarded-For`. The request is handed on as a clone with
that scheme and a `Host` header of that host, so that the listing's links
(`origin.py`) point where the client called and not at the proxy's upstream.

aiohttp-remotes' XForwardedStrict was the candidate: it answers 400 to a request
from an untrusted address, where we serve it and ignore its headers, and it wants
exactly one X-Forwarded-For entry per trusted hop.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Mapping

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from multidict import CIMultiDict

from notes.settings import Network

_SCHEMES = frozenset({"http", "https"})


def _last(value: str | None) -> str | None:
    """The last of a comma-separated list: the entry the nearest proxy added."""
    if value is None:
        return None
    item = value.rsplit(",", 1)[-1].strip()
    return item or None


def _address(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def forwarded_values(request: web.BaseRequest) -> tuple[str | None, str | None, str | None]:
    """(scheme, host, client address) that the nearest proxy forwarded; None for each
    it did not (or whose value makes no sense)."""
    if hdrs.FORWARDED in request.headers:
        last: Mapping[str, str] = request.forwarded[-1] if request.forwarded else {}
        scheme, host, remote = last.get("proto"), last.get("host"), _address(last.get("for"))
    else:
        headers = request.headers
        scheme = _last(headers.get(hdrs.X_FORWARDED_PROTO))
        host = _last(headers.get(hdrs.X_FORWARDED_HOST))
        remote = _address(_last(headers.get(hdrs.X_FORWARDED_FOR)))
    if scheme is not None:
        scheme = scheme.lower()
        if scheme not in _SCHEMES:
            scheme = None
    return scheme, host, remote


def trust_check(trusted: tuple[Network, ...]) -> Callable[[str | None], bool]:
    @functools.lru_cache(maxsize=1024)  # few distinct peers talk to a server behind a proxy
    def is_trusted(peer: str | None) -> bool:
        if peer is None:
            return False
        try:
            address = ipaddress.ip_address(peer.split("%", 1)[0])
        except ValueError:
            return False
        return any(address in network for network in trusted)

    return is_trusted


def _peer(request: web.BaseRequest) -> str | None:
    transport = request.transport
    peername = transport.get_extra_info("peername") if transport is not None else None
    return str(peername[0]) if isinstance(peername, tuple) else None


def _encodable(value: str) -> str:
    """A header value as `Request.clone` can encode it again: bytes that were not UTF-8
    (legal in HTTP, kept by aiohttp as surrogates) become U+FFFD. Without this a request
    with such a header, forwarded by a trusted proxy with a host, was a 500."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def forwarded_middleware(trusted: tuple[Network, ...]) -> Middleware:
    is_trusted = trust_check(trusted)

    @web.middleware
    async def believe_trusted_proxies(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_trusted(_peer(request)):
            return await handler(request)
        scheme, host, remote = forwarded_values(request)
        changes: dict[str, object] = {}
        if scheme is not None:
            changes["scheme"] = scheme
        if remote is not None:
            changes["remote"] = remote
        if host is not None:
            headers = CIMultiDict(
                (name, _encodable(value)) for name, value in request.headers.items()
            )
            headers[hdrs.HOST] = host
            changes["headers"] = headers
        if not changes:
            return await handler(request)
        return await handler(request.clone(**changes))  # type: ignore[arg-type]

    return believe_trusted_proxies
