"""Token mode (contract v1.1): who a /notes request acts for, or a 401; and a 429 for
an address that keeps presenting wrong tokens.

Every request to /notes must carry ``Authorization: Bearer <token>``. A missing,
malformed, unknown or revoked token gets the same 401 (AUTH-3); only a token spelled
as this service spells them is looked up. The user a token belongs to is cached per
process for ``auth_cache_seconds`` (``TokenCache``), so that a revoked or rotated
token stops working everywhere within that bound without a lookup per request.
Failed checks are counted per client address (``FailureLimiter``); past the limit the
address gets 429 until its window ends (AUTH-5). `/health`, `/openapi.json` and
`/docs` stay public.
"""

from __future__ import annotations

import ipaddress
import math
import re
import time

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from notes.domain.users import TOKEN_PATTERN, Caller, Principal, UserDirectory, token_digest
from notes.settings import Settings
from notes.web.keys import CALLER, USERS
from notes.web.responses import problem_response

# RFC 6750 section 2.1; the scheme is case-insensitive (RFC 9110 section 11.1).
_BEARER = re.compile(rf"(?i:bearer) +({TOKEN_PATTERN})")
CHALLENGE = 'Bearer realm="notes"'
UNAUTHENTICATED = "This request needs a valid token: send Authorization: Bearer <token>."
# More users than this are looked up again on each request, but never kept.
TOKEN_CACHE_SIZE = 10_000


def caller_of(request: web.Request) -> Caller:
    """The user the request acts for; None in open mode (v1)."""
    return request.get(CALLER)


def requires_token(path: str) -> bool:
    return path == "/notes" or path.startswith("/notes/")


class TokenCache:
    """Token digest -> user, per process, each entry good for `seconds` from the moment
    its lookup began. A lookup that began before a revocation committed is the only
    one that can miss it, so `seconds` bounds how long a revoked token still works.
    Unknown tokens are never kept, so a guesser cannot fill it; and it is emptied if
    it ever holds `size` users. A plain dict: a hit costs a lookup and a clock read
    (cachetools' TTLCache cost 4 to 8 us a hit: benchmarks/README.md)."""

    def __init__(self, seconds: float, size: int = TOKEN_CACHE_SIZE) -> None:
        self._seconds = seconds
        self._size = size
        self._known: dict[str, tuple[float, Principal]] = {}

    def cached(self, digest: str) -> Principal | None:
        hit = self._known.get(digest)
        if hit is not None and time.monotonic() - hit[0] < self._seconds:
            return hit[1]
        return None

    async def principal_for(self, directory: UserDirectory, digest: str) -> Principal | None:
        started = time.monotonic()
        principal = await directory.principal_for(digest)
        if principal is not None and self._seconds > 0:
            if len(self._known) >= self._size:
                self._known.clear()
            self._known[digest] = (started, principal)
        return principal


class FailureLimiter:
    """Failed token checks per client address, in fixed windows of `window` seconds.

    An address past `limit` failures is refused until its window ends. Memory is
    bounded: at most `clients` addresses are remembered; when full, the one whose
    window began first is forgotten. IPv6 addresses count by their /64, the block one
    client usually holds. Checking an address that never failed is one dict lookup."""

    def __init__(self, limit: int, window: float, clients: int) -> None:
        self._limit = limit
        self._window = window
        self._clients = clients
        # address -> [window start, failures], in the order the windows began.
        self._counts: dict[str, list[float]] = {}

    def _current(self, address: str, now: float) -> list[float] | None:
        entry = self._counts.get(address)
        if entry is not None and now - entry[0] >= self._window:
            del self._counts[address]
            return None
        return entry

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None if it may now."""
        if address not in self._counts:
            return None
        now = time.monotonic()
        entry = self._current(address, now)
        if entry is None or entry[1] < self._limit:
            return None
        return max(1, math.ceil(entry[0] + self._window - now))

    def failed(self, address: str) -> None:
        now = time.monotonic()
        entry = self._current(address, now)
        if entry is not None:
            entry[1] += 1
            return
        if len(self._counts) >= self._clients:
            del self._counts[next(iter(self._counts))]
        self._counts[address] = [now, 1]

    def __len__(self) -> int:
        return len(self._counts)


def client_address(remote: str | None) -> str:
    """The key of a client for the limiter: its IPv4 address, or the /64 of its IPv6."""
    if remote is None or ":" not in remote:  # IPv4 (or no address): as it is, no parsing
        return remote or ""
    try:
        address = ipaddress.IPv6Address(remote.split("%")[0])
    except ValueError:
        return remote
    if address.ipv4_mapped is not None:  # an IPv4 client of a dual-stack socket
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, 64), strict=False))


def _is_preflight(request: web.Request) -> bool:
    """A browser's CORS preflight carries no credentials (Fetch standard): CORS answers it."""
    return (
        request.method == hdrs.METH_OPTIONS
        and hdrs.ORIGIN in request.headers
        and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers
    )


def authentication(settings: Settings) -> list[Middleware]:
    """The middleware of token mode; none in open mode, which costs nothing then."""
    if settings.auth != "token":
        return []
    tokens = TokenCache(settings.auth_cache_seconds)
    failures = FailureLimiter(
        settings.auth_failure_limit, settings.auth_failure_window, settings.auth_failure_clients
    )

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not requires_token(request.path) or _is_preflight(request):
            return await handler(request)
        address = client_address(request.remote)
        wait = failures.retry_after(address)
        if wait is not None:
            detail = f"Too many requests with a wrong token from this address; retry in {wait} s."
            return problem_response(429, detail, headers={hdrs.RETRY_AFTER: str(wait)})
        presented = request.headers.getall(hdrs.AUTHORIZATION, ())
        principal = None
        if len(presented) == 1:
            match = _BEARER.fullmatch(presented[0])
            if match is not None:
                digest = token_digest(match[1])
                principal = tokens.cached(digest) or await tokens.principal_for(
                    request.app[USERS], digest
                )
        if principal is None:
            # No header is no guess: only credentials that fail count against the address.
            if presented:
                failures.failed(address)
            return problem_response(
                401, UNAUTHENTICATED, headers={hdrs.WWW_AUTHENTICATE: CHALLENGE}
            )
        request[CALLER] = principal
        return await handler(request)

    return [authenticate]
