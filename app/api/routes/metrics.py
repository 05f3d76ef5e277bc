"""GET /metrics for Prometheus: open in development, behind a bearer token in production."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func
from sqlmodel import col, select

from app.api.deps import ClockDep, SessionDep, SettingsDep
from app.errors import NotFound
from app.notifications import metrics
from app.notifications.models import OutboxMessage, OutboxStatus

router = APIRouter(tags=["service"])


async def scraper_allowed(request: Request, settings: SettingsDep) -> None:
    """404, like a path that does not exist, unless production's bearer token matches.

    Queue depth and send outcomes tell an outsider how busy the clinic is and when its
    reminders go out; the answer does not even admit that the page exists. No token set in
    production turns the page off.
    """
    if settings.env != "production":
        return
    expected = settings.metrics_token
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if (
        expected is None
        or scheme.lower() != "bearer"
        # Constant time: the comparison must not tell how many leading characters were right.
        or not hmac.compare_digest(given.strip().encode(), expected.get_secret_value().encode())
    ):
        raise NotFound("Not Found")


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(
    session: SessionDep, clock: ClockDep, _: Annotated[None, Depends(scraper_allowed)]
) -> Response:
    """Prometheus text format: sends by outcome, queue depth, lateness histogram."""
    due = session.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.next_attempt_at) <= clock.now(),
        )
    ).one()
    metrics.queue_depth.set(due)
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
