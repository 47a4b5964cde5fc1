"""The proxy: forwards every request to the real server and applies one violation.

With no violation it is transparent: the method, the raw path and query, the headers
(the client's Host among them, so that the server's links point back at the proxy)
and the body go through unchanged, and so do the status, headers and body of the
answer. Only hop-by-hop headers are left to each connection.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from conformance.selftest.traffic import WRITES, Exchange, Reply
from conformance.selftest.violation import Context, Handler, Violation, transparent

# RFC 9110 §7.6.1, and the framing each connection sets for itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
# Bodies up to 1 MiB and a little over are the contract's business (REQ-8): the
# proxy itself must take anything the kit sends.
MAX_BODY = 64 * 1024 * 1024
UPSTREAM_TIMEOUT = aiohttp.ClientTimeout(total=60)
# The kit's own concurrency tests send 200 requests at once.
UPSTREAM_CONNECTIONS = 256

UPSTREAM = web.AppKey("upstream", URL)
SESSION = web.AppKey("session", aiohttp.ClientSession)


@dataclass(frozen=True)
class Wiring:
    """The violation's handler for this run, and the context it reaches the server by."""

    handler: Handler
    context: Context


WIRING = web.AppKey("wiring", Wiring)


def end_to_end(headers: CIMultiDict[str] | CIMultiDictProxy[str]) -> CIMultiDict[str]:
    return CIMultiDict(
        (name, value) for name, value in headers.items() if name.lower() not in HOP_BY_HOP
    )


async def forward(session: aiohttp.ClientSession, upstream: URL, exchange: Exchange) -> Reply:
    """Send `exchange` to the server as it is; its answer as it came."""
    url = URL(str(upstream) + exchange.raw_path, encoded=True)
    async with session.request(
        exchange.method,
        url,
        headers=exchange.headers,
        # A stream, not bytes: aiohttp warns that bytes over 1 MiB may block the loop.
        data=io.BytesIO(exchange.body) if exchange.body or exchange.method in WRITES else None,
        # Nothing the client did not send: no User-Agent, Accept or Content-Type of aiohttp's.
        skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
        allow_redirects=False,
    ) as response:
        body = await response.read()
        headers = CIMultiDict(response.headers)
    if exchange.method == "HEAD":
        # A HEAD answer's Content-Length is the GET body's: keep it (aiohttp would say 0).
        kept = end_to_end(headers)
        if "Content-Length" in headers:
            kept["Content-Length"] = headers["Content-Length"]
        return Reply(response.status, kept, b"")
    return Reply(response.status, end_to_end(headers), body)


async def _relay(request: web.Request) -> web.StreamResponse:
    app = request.app
    exchange = Exchange(
        method=request.method,
        raw_path=request.raw_path,
        headers=end_to_end(request.headers),
        body=await request.read(),
        chunked="chunked" in request.headers.get("Transfer-Encoding", "").lower(),
    )
    wiring = app[WIRING]
    reply = await wiring.handler(exchange, wiring.context)
    return web.Response(status=reply.status, headers=reply.headers, body=reply.body or None)


async def _client(app: web.Application) -> AsyncIterator[None]:
    connector = aiohttp.TCPConnector(limit=UPSTREAM_CONNECTIONS)
    async with aiohttp.ClientSession(
        connector=connector, timeout=UPSTREAM_TIMEOUT, auto_decompress=False
    ) as session:
        app[SESSION] = session
        yield


def proxy_app(upstream: str, violation: Violation | None = None) -> web.Application:
    """The proxy in front of `upstream` (scheme://host:port), breaking `violation`."""
    app = web.Application(client_max_size=MAX_BODY)
    app[UPSTREAM] = URL(upstream.rstrip("/"))

    async def to_server(exchange: Exchange) -> Reply:
        return await forward(app[SESSION], app[UPSTREAM], exchange)

    handler = transparent() if violation is None else violation.make()
    app[WIRING] = Wiring(handler, Context(to_server))
    app.cleanup_ctx.append(_client)
    # Any path at all: one with a newline in it (%0A) included, which `.*` would miss.
    app.router.add_route("*", r"/{tail:[\s\S]*}", _relay)
    return app


@dataclass
class RunningProxy:
    base_url: str
    context: Context

    @property
    def hits(self) -> int:
        return self.context.hits


@contextlib.asynccontextmanager
async def running_proxy(
    upstream: str, violation: Violation | None = None
) -> AsyncIterator[RunningProxy]:
    """The proxy served on a free loopback port of this event loop, until the block ends."""
    app = proxy_app(upstream, violation)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield RunningProxy(f"http://{host}:{port}", app[WIRING].context)
    finally:
        await runner.cleanup()
