"""At most so many API requests run at once; the rest wait their turn and then run."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from starlette.types import Message, Receive, Scope, Send

from app.db import make_engine
from app.inflight import (
    MAX_API_REQUESTS_IN_FLIGHT,
    SQLITE_API_REQUESTS_IN_FLIGHT,
    InFlightLimit,
    in_flight_limit,
)


class SlowApp:
    """An ASGI app that records how many requests it is serving at the same time."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.served = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        await asyncio.sleep(0.01)
        self.running -= 1
        self.served += 1
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def storm(app: InFlightLimit, path: str, count: int) -> list[int]:
    async def one() -> int:
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        async def send(message: Message) -> None:
            sent.append(message)

        await app({"type": "http", "path": path, "method": "GET"}, receive, send)
        return int(sent[0]["status"])

    return list(await asyncio.gather(*(one() for _ in range(count))))


def test_api_requests_over_the_limit_wait_then_all_run() -> None:
    inner = SlowApp()
    statuses = asyncio.run(storm(InFlightLimit(inner, limit=3), "/api/me/tasks", 20))
    assert statuses == [204] * 20
    assert inner.served == 20
    assert inner.most == 3


def test_other_paths_are_not_held_back() -> None:
    inner = SlowApp()
    asyncio.run(storm(InFlightLimit(inner, limit=3), "/sw.js", 20))
    assert inner.most == 20


def test_the_same_middleware_serves_several_event_loops() -> None:
    inner = SlowApp()
    limited = InFlightLimit(inner, limit=2)
    for _ in range(2):  # each TestClient runs its own loop; a semaphore must not be shared
        assert asyncio.run(storm(limited, "/api/health", 5)) == [204] * 5
    assert inner.most == 2


def test_sqlite_lets_fewer_in_than_postgresql(engine: Engine) -> None:
    sqlite = make_engine("sqlite://")
    try:
        assert in_flight_limit(sqlite) == SQLITE_API_REQUESTS_IN_FLIGHT
    finally:
        sqlite.dispose()
    assert SQLITE_API_REQUESTS_IN_FLIGHT < MAX_API_REQUESTS_IN_FLIGHT < 40  # AnyIO's threads
    expected = {"sqlite": SQLITE_API_REQUESTS_IN_FLIGHT, "postgresql": MAX_API_REQUESTS_IN_FLIGHT}
    assert in_flight_limit(engine) == expected[engine.dialect.name]
