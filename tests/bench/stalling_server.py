"""A server that stops the world: every Nth request blocks its event loop for a second.

Like a garbage-collector pause or a synchronous call on the loop, the whole process
stalls, so a closed-loop client stops sending too. Any GET answers a small JSON body.

    python tests/bench/stalling_server.py --port 8081 --every 1000 --stall 1.0
"""

from __future__ import annotations

import argparse
import time

from aiohttp import web

BODY = b'{"notes":[]}'
COUNT: web.AppKey[list[int]] = web.AppKey("count", list[int])


def create_app(every: int, stall_s: float) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        count = request.app[COUNT]
        count[0] += 1
        if count[0] % every == 0:
            time.sleep(stall_s)  # noqa: ASYNC251 - the stall this server exists for
        return web.Response(body=BODY, content_type="application/json")

    async def health(request: web.Request) -> web.Response:
        return web.Response(body=b"{}", content_type="application/json")

    app = web.Application()
    app[COUNT] = [0]
    app.router.add_get("/health", health)
    app.router.add_get("/{tail:.*}", handle)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--every", type=int, required=True)
    parser.add_argument("--stall", type=float, default=1.0)
    args = parser.parse_args()
    web.run_app(
        create_app(args.every, args.stall),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
