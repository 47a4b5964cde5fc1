"""A violation: one plausible server bug, as data and a small function over the traffic.

A violation's `make()` returns a fresh handler for each run, so that what a stateful
one remembers (notes it altered, tags it handed out) starts empty on every server.
The handler gets each request and a `Context` through which it reaches the real
server; it calls `context.hit()` whenever it alters what the kit sees, so that a
survivor the kit never provoked can be told from one it provoked and missed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from multidict import CIMultiDict

from conformance.selftest.traffic import Exchange, Reply

Forward = Callable[[Exchange], Awaitable[Reply]]


class Context:
    """What a handler may do besides rewriting: reach the real server, and count."""

    def __init__(self, forward: Forward) -> None:
        self._forward = forward
        self.hits = 0

    async def forward(self, exchange: Exchange) -> Reply:
        return await self._forward(exchange)

    async def fetch(self, method: str, raw_path: str, body: bytes = b"") -> Reply:
        """A request of the proxy's own to the server (to read a note before a write,
        or walk a listing): never seen by the kit."""
        headers = CIMultiDict({"Content-Type": "application/json"} if body else {})
        return await self._forward(Exchange(method, raw_path, headers, body))

    def hit(self) -> None:
        self.hits += 1


Handler = Callable[[Exchange, Context], Awaitable[Reply]]


@dataclass(frozen=True)
class Violation:
    """One contract violation: `rules` are ids of docs/contract.md that it breaks.

    A `control` breaks none: it is a variation the contract allows, which the kit
    must pass (a failure there is the kit being stricter than the contract).
    """

    id: str
    rules: tuple[str, ...]
    description: str
    make: Callable[[], Handler]
    fast: bool = False
    control: bool = False


def transparent() -> Handler:
    async def handle(exchange: Exchange, context: Context) -> Reply:
        return await context.forward(exchange)

    return handle


def rewrite_request(edit: Callable[[Exchange], Exchange | None]) -> Callable[[], Handler]:
    """A server that reads some requests wrongly: `edit` returns what it understood,
    or None for a request it reads right."""

    def make() -> Handler:
        async def handle(exchange: Exchange, context: Context) -> Reply:
            edited = edit(exchange)
            if edited is None:
                return await context.forward(exchange)
            context.hit()
            return await context.forward(edited)

        return handle

    return make


def rewrite_reply(edit: Callable[[Exchange, Reply], Reply | None]) -> Callable[[], Handler]:
    """A server that answers some requests wrongly: `edit` returns the wrong answer,
    or None to leave the answer as it is."""

    def make() -> Handler:
        async def handle(exchange: Exchange, context: Context) -> Reply:
            reply = await context.forward(exchange)
            edited = edit(exchange, reply)
            if edited is None:
                return reply
            context.hit()
            return edited

        return handle

    return make


def answer_instead(answer: Callable[[Exchange], Reply | None]) -> Callable[[], Handler]:
    """A server that answers some requests without doing them: `answer` returns that
    answer, or None to let the request through."""

    def make() -> Handler:
        async def handle(exchange: Exchange, context: Context) -> Reply:
            made_up = answer(exchange)
            if made_up is None:
                return await context.forward(exchange)
            context.hit()
            return made_up

        return handle

    return make
