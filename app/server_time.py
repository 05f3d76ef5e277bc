"""`X-Server-Time` on API answers, so a phone whose clock is wrong can correct for it."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.clock import Clock

HEADER = "X-Server-Time"


class ServerTime:
    """Adds the clock's now (Unix milliseconds) to every /api/ response.

    A phone whose own clock is hours off would otherwise show tasks as missed or not yet due,
    and "today" as the wrong day; the PWA measures its offset from this header. It is the
    app's clock (pinned in tests), not the HTTP `Date` header, which has one-second resolution
    and comes from the server process, not from the clock the service computes with.
    """

    def __init__(self, app: ASGIApp, *, clock: Clock) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def with_time(message: Message) -> None:
            if message["type"] == "http.response.start":
                millis = int(self.clock.now().timestamp() * 1000)
                MutableHeaders(scope=message)[HEADER] = str(millis)
            await send(message)

        await self.app(scope, receive, with_time)
