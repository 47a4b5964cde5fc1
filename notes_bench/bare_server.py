"""The ceiling: a trivial aiohttp server that answers every GET with a fixed small JSON body.

uvloop (where available), no access log, no database: whatever a real service on
this machine reaches is a fraction of this. Run it alone to measure it with wrk::

    python -m notes_bench.bare_server --port 8081
    wrk -t1 -c64 -d10s http://127.0.0.1:8081/
"""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

BODY = b'{"status":"ok"}'


async def handle(request: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="application/json")


def create_app() -> web.Application:
    app = web.Application()
    # Any path, so that the same client scenarios can be pointed at it.
    app.router.add_get("/{tail:.*}", handle)
    return app


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m notes_bench.bare_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args(argv)
    serve(create_app(), host=args.host, port=args.port)


def serve(app: web.Application, *, host: str, port: int) -> None:
    """Run a floor: uvloop, no access log, no banner."""
    web.run_app(app, host=host, port=port, access_log=None, print=None, loop=new_event_loop())


if __name__ == "__main__":
    main()
