"""ASGI middleware letting only so many API requests in at once; the rest wait their turn."""

from __future__ import annotations

import asyncio
import weakref

from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

# Below the 40 worker threads of AnyIO's default limiter, which sync routes, sync dependencies
# and response validation all share. A request holds its database transaction (on SQLite the
# one write lock) from its first query until the commit, across several of those thread hops;
# if every thread were taken by requests waiting for that lock or for a pooled connection,
# the holder could never get the thread it needs to finish, and all would wait until a
# timeout turned them into 500s ("database is locked", "QueuePool limit reached").
MAX_API_REQUESTS_IN_FLIGHT = 32
# SQLite runs one write transaction at a time (every transaction here takes the write lock):
# more requests in at once only adds lock waiters, and a waiter polls for the lock rather than
# queueing for it, so with many of them an unlucky one can wait out the busy timeout.
SQLITE_API_REQUESTS_IN_FLIGHT = 8


def in_flight_limit(engine: Engine) -> int:
    """How many API requests to let in at once on this database."""
    if engine.dialect.name == "sqlite":
        return SQLITE_API_REQUESTS_IN_FLIGHT
    return MAX_API_REQUESTS_IN_FLIGHT


class InFlightLimit:
    """At most `limit` /api requests run at a time; others queue (first come, first served)
    without holding a thread. Other paths (static files) are not counted."""

    def __init__(self, app: ASGIApp, *, limit: int = MAX_API_REQUESTS_IN_FLIGHT) -> None:
        self.app = app
        self.limit = limit
        # One semaphore per event loop: asyncio primitives belong to the loop that first waits
        # on them, and tests drive one app from several loops.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.limit)
        async with slots:
            await self.app(scope, receive, send)
