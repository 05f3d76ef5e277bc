"""Staff routes for the clinic's patient list: a page as JSON, or all of it as CSV."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response

from app.api.deps import ClockDep, ProtocolDep, SessionDep
from app.api.staff_auth import CurrentStaff
from app.error_codes import ErrorCode
from app.errors import errors
from app.notifications.vapid import VapidKeys
from app.patient_list import listing
from app.patient_list.listing import (
    AlertsFilter,
    PatientFilter,
    PatientListPage,
    RemindersFilter,
    SortOrder,
)
from app.patient_list.listing_csv import patients_csv, task_columns
from app.shared.client_address import client_ip
from app.staff import audit
from app.staff.models import StaffUser
from app.staff.service import clinic_of
from app.timezones import local_date

router = APIRouter(prefix="/api/patients", tags=["patients (staff)"])

_CSV_BODY: dict[int | str, dict[str, object]] = {200: {"content": {"text/csv": {}}}}

QueryText = Annotated[str | None, Query(max_length=100, description="part of the name")]
SortParam = Annotated[
    SortOrder, Query(description="a column, with '-' in front for descending; NULLs go last")
]
RemindersParam = Annotated[
    RemindersFilter | None,
    Query(
        description=(
            "on: a device can get reminders; off: none can; not_getting_through: none "
            "subscribed, or a reminder sent in the last 48 h and none shown since"
        )
    ),
]
AlertsParam = Annotated[AlertsFilter | None, Query(description="open: has an open alert")]


def _filters(
    request: Request,
    staff: StaffUser,
    q: str | None,
    sort: SortOrder,
    reminders: RemindersFilter | None,
    alerts: AlertsFilter | None,
) -> PatientFilter:
    # Only subscriptions made with the current key can be delivered to (see the dispatcher).
    keys: VapidKeys = request.app.state.vapid_keys
    return PatientFilter(
        clinic_id=staff.clinic_id,
        key_id=keys.key_id,
        query=q,
        reminders=reminders,
        alerts=alerts,
        sort=sort,
    )


def _audited_filters(
    q: str | None, sort: SortOrder, reminders: RemindersFilter | None, alerts: AlertsFilter | None
) -> dict[str, object]:
    # The search is a name: the trail outlives an erasure, so it keeps how long it was only.
    return {
        "search_length": len(q) if q else 0,
        "sort": sort,
        "reminders": reminders,
        "alerts": alerts,
    }


@router.get("", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def list_patients(
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    q: QueryText = None,
    sort: SortParam = "name",
    reminders: RemindersParam = None,
    alerts: AlertsParam = None,
) -> PatientListPage:
    """The clinic's patients a page at a time, with adherence, devices, alerts, next visit."""
    now = clock.now()
    filters = _filters(request, staff, q, sort, reminders, alerts)
    page = listing.list_page(session, filters=filters, now=now, limit=limit, offset=offset)
    # Every patient's name on the page is shown: audited, the search by its length only.
    audit.record(
        session,
        staff=staff,
        action="patients.list",
        now=now,
        ip=client_ip(request),
        detail=_audited_filters(q, sort, reminders, alerts)
        | {"rows": len(page.items), "total": page.total, "offset": offset},
    )
    return page


@router.get(
    ".csv",
    response_class=Response,
    responses=_CSV_BODY | errors(ErrorCode.NOT_AUTHENTICATED),
)
def export_patients_csv(
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    protocol: ProtocolDep,
    q: QueryText = None,
    sort: SortParam = "name",
    reminders: RemindersParam = None,
    alerts: AlertsParam = None,
) -> Response:
    """The filtered list, every row, as a CSV download with adherence by task type (audited)."""
    now = clock.now()
    filters = _filters(request, staff, q, sort, reminders, alerts)
    rows = listing.list_all(session, filters=filters, now=now)
    known = [task.code for task in protocol.tasks if task.kind == "task"]
    zone = ZoneInfo(clinic_of(session, staff).time_zone)
    body = patients_csv(rows, tasks=task_columns(rows, known), zone=zone)
    audit.record(
        session,
        staff=staff,
        action="patients.export_csv",
        now=now,
        ip=client_ip(request),
        detail=_audited_filters(q, sort, reminders, alerts) | {"rows": len(rows)},
    )
    day = local_date(now, zone)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="patients-{day.isoformat()}.csv"',
            "Cache-Control": "no-store",
        },
    )
