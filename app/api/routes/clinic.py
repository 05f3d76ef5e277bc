"""Staff routes for the clinic's own settings: anyone reads them, admins change them."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.api.deps import ClockDep, ProtocolsDep, SessionDep, SettingsDep
from app.api.staff_auth import AdminStaff, CurrentStaff
from app.clinics import service
from app.clinics.models import ClinicSettings, ClinicSettingsUpdate
from app.error_codes import ErrorCode
from app.errors import errors
from app.shared.client_address import client_ip
from app.staff import audit
from app.staff.service import clinic_of

router = APIRouter(prefix="/api/clinic", tags=["clinic (staff)"])


@router.get("", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def read_settings(
    staff: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> ClinicSettings:
    """The signed-in user's clinic: numbers, time zone, opening hours, escalation minutes,
    and the languages patients may be enrolled in."""
    return service.to_settings(clinic_of(session, staff), pseudo_locales=settings.pseudo_locales)


@router.patch(
    "",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.ADMIN_ONLY,
        ErrorCode.NAME_TAKEN,
        ErrorCode.INVALID_INPUT,
    ),
)
def change_settings(
    body: ClinicSettingsUpdate,
    request: Request,
    staff: AdminStaff,
    session: SessionDep,
    clock: ClockDep,
    protocols: ProtocolsDep,
    settings: SettingsDep,
) -> ClinicSettings:
    """Change some settings (admins). Alerts already open keep their escalation time.

    `fallback_tasks` names tasks by their protocol code (422 for one the protocol lacks).
    """
    clinic = clinic_of(session, staff)
    changes = service.update(session, clinic=clinic, data=body, task_codes=protocols.task_codes())
    if changes:
        # Names and phones are text: the trail says they changed, not what they became.
        audit.record(
            session, staff=staff, action="clinic.update", now=clock.now(),
            ip=client_ip(request), detail={"changed": audit.without_text(changes)},
        )  # fmt: skip
    return service.to_settings(clinic, pseudo_locales=settings.pseudo_locales)
