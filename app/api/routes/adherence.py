"""Staff routes for the clinic's adherence overview: the figures as JSON, or as SVG charts."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.adherence import charts, service
from app.adherence.service import AdherenceOverview
from app.api.deps import ClockDep, ProtocolDep, SessionDep
from app.api.staff_auth import CurrentStaff
from app.error_codes import ErrorCode
from app.errors import errors

router = APIRouter(prefix="/api/adherence", tags=["adherence (staff)"])

SVG = "image/svg+xml"
_SVG_BODY: dict[int | str, dict[str, object]] = {200: {"content": {SVG: {}}}}


def _svg(markup: str) -> Response:
    return Response(markup, media_type=SVG)


@router.get("", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def adherence(
    staff: CurrentStaff, session: SessionDep, clock: ClockDep, protocol: ProtocolDep
) -> AdherenceOverview:
    """Tasks due by now across the clinic and how many were ticked, by task type and by day."""
    return service.overview(session, clinic_id=staff.clinic_id, protocol=protocol, now=clock.now())


@router.get(
    "/by-task.svg",
    response_class=Response,
    responses=_SVG_BODY | errors(ErrorCode.NOT_AUTHENTICATED),
)
def by_task_chart(
    staff: CurrentStaff, session: SessionDep, clock: ClockDep, protocol: ProtocolDep
) -> Response:
    """The by-task figures as a bar chart."""
    rows = service.by_task(session, clinic_id=staff.clinic_id, protocol=protocol, now=clock.now())
    return _svg(charts.by_task_svg(rows))


@router.get(
    "/by-day.svg",
    response_class=Response,
    responses=_SVG_BODY | errors(ErrorCode.NOT_AUTHENTICATED),
)
def by_day_chart(staff: CurrentStaff, session: SessionDep, clock: ClockDep) -> Response:
    """The by-day figures as a column chart (day 0 is the treatment day)."""
    rows = service.by_day(session, clinic_id=staff.clinic_id, now=clock.now())
    return _svg(charts.by_day_svg(rows))
