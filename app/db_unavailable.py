"""503 `database_unavailable` while the database is away or full, remembered for /api/health."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from app.clock import Clock
from app.db_outage import Outage, driver_message, outage
from app.error_codes import ErrorCode
from app.errors import ErrorBody

log = logging.getLogger("aftercare.database")

# How long a client should wait before trying again: a restart or failover takes seconds;
# a full disk needs someone to free space, so asking again every few seconds only adds load.
RETRY_AFTER_SECONDS = {Outage.UNREACHABLE: 5, Outage.FULL: 60}
DETAIL = {
    Outage.UNREACHABLE: "The service cannot reach its database just now; try again shortly.",
    Outage.FULL: "The service has no room to store anything just now; try again later.",
}
# The health check reports an outage for this long after the last request that met it: a full
# disk still lets reads through, so only a refused write shows it, and the check must not write.
REMEMBERED_FOR = timedelta(minutes=2)


class DatabaseHealth:
    """The last outage a request met, and when (from the app's clock)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last: tuple[Outage, datetime] | None = None

    def noticed(self, kind: Outage) -> None:
        self._last = (kind, self._clock.now())  # one assignment: safe across worker threads

    def current(self) -> Outage | None:
        """The outage met within REMEMBERED_FOR, or None."""
        last = self._last
        if last is None or self._clock.now() - last[1] >= REMEMBERED_FOR:
            return None
        return last[0]


def install_database_unavailable(app: FastAPI, health: DatabaseHealth) -> None:
    """Answer an outage with 503 and Retry-After; any other database error stays a 500."""

    async def handle(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DBAPIError)
        kind = outage(exc)
        if kind is None:
            raise exc  # a bug, not an outage: the last-resort 500, logged with its traceback
        health.noticed(kind)
        log.warning("database %s, request refused: %s", kind, driver_message(exc))
        body = ErrorBody(code=ErrorCode.DATABASE_UNAVAILABLE, detail=DETAIL[kind])
        return JSONResponse(
            body.model_dump(mode="json"),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS[kind])},
        )

    # DataError keeps its own handler (a value the database refuses, 422): the most specific
    # class wins.
    app.add_exception_handler(DBAPIError, handle)
