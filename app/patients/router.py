"""Staff routes for a patient: enrol, view, consultation check, treatments, plan, links, erase."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Query, Request, status
from sqlmodel import Session

from app.deps import ClockDep, ProtocolDep, SessionDep, SettingsDep
from app.errors import error_responses
from app.patients import erasure, service
from app.patients.models import (
    EnrolmentPublic,
    EraseRequest,
    PatientCreate,
    PatientCreated,
    PatientDetail,
    TreatmentCreate,
    TreatmentPublic,
)
from app.staff import audit
from app.staff.auth import AdminStaff, CurrentStaff, client_ip
from app.staff.models import StaffUser
from app.staff.service import clinic_of
from app.tasks import service as tasks
from app.tasks.models import OccurrencePublic
from app.timezones import local_date

router = APIRouter(prefix="/api/patients", tags=["patients (staff)"])


def audit_patient(
    session: Session,
    staff: StaffUser,
    request: Request,
    action: str,
    patient_id: uuid.UUID,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        staff=staff,
        action=action,
        patient_id=patient_id,
        now=now,
        ip=client_ip(request),
        detail=detail,
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(401, 409, 413, 422))
def enrol_patient(
    body: PatientCreate,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    protocol: ProtocolDep,
    settings: SettingsDep,
) -> PatientCreated:
    """Enrol a patient with their first treatment; returns a one-time enrolment link.

    422 `doppler_not_confirmed` unless the consultation check is recorded
    (`doppler_checked`) or knowingly skipped (`confirm_without_doppler`).
    """
    now = clock.now()
    patient, link = service.create_patient(
        session,
        clinic=clinic_of(session, staff),
        data=body,
        protocol=protocol,
        staff=staff,
        now=now,
        settings=settings,
    )
    audit_patient(
        session,
        staff,
        request,
        "patient.create",
        patient.id,
        now,
        detail={"doppler_checked": body.doppler_checked},
    )
    return PatientCreated(id=patient.id, enrolment=link.public())


@router.get("/{patient_id}", responses=error_responses(401, 404, 422))
def get_patient(
    patient_id: uuid.UUID,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
) -> PatientDetail:
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    audit_patient(session, staff, request, "patient.read", patient.id, now)
    return service.detail_of(session, patient=patient, now=now)


@router.post("/{patient_id}/doppler", responses=error_responses(401, 404, 422))
def record_doppler_check(
    patient_id: uuid.UUID,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
) -> PatientDetail:
    """Record the consultation check (ultrasound Doppler done, no reflux) now, by this user.

    The first record stands: repeating it changes nothing (`recorded` false in the audit).
    """
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    recorded = service.record_doppler_check(session, patient=patient, staff=staff, now=now)
    audit_patient(
        session, staff, request, "patient.doppler", patient.id, now, detail={"recorded": recorded}
    )
    return service.detail_of(session, patient=patient, now=now)


@router.post(
    "/{patient_id}/treatments",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 404, 422),
)
def record_treatment(
    patient_id: uuid.UUID,
    body: TreatmentCreate,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    protocol: ProtocolDep,
    settings: SettingsDep,
) -> TreatmentPublic:
    """Record a re-treatment (after the latest one); the plan is recomputed from it."""
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    treatment, _ = service.add_treatment(
        session,
        patient=patient,
        data=body,
        protocol=protocol,
        staff=staff,
        now=now,
        settings=settings,
    )
    audit_patient(
        session,
        staff,
        request,
        "treatment.create",
        patient.id,
        now,
        detail={"treatment_id": str(treatment.id)},
    )
    return TreatmentPublic.model_validate(treatment, from_attributes=True)


@router.get("/{patient_id}/tasks", responses=error_responses(401, 404, 422))
def list_patient_tasks(
    patient_id: uuid.UUID,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    from_: Annotated[date | None, Query(alias="from", description="first local day")] = None,
    to: Annotated[date | None, Query(description="last local day, inclusive")] = None,
) -> list[OccurrencePublic]:
    """The plan between two of the patient's local days (default: from the first treatment on)."""
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    zone = ZoneInfo(patient.time_zone)
    treatments = service.treatments_of(session, patient)
    first = from_ or (
        local_date(treatments[0].performed_at, zone) if treatments else local_date(now, zone)
    )
    first, last = tasks.check_range(first, to or first + timedelta(days=tasks.MAX_RANGE_DAYS - 1))
    audit_patient(session, staff, request, "plan.read", patient.id, now)
    rows = tasks.list_local_days(session, patient=patient, first=first, last=last)
    return [tasks.to_public(row, zone, now) for row in rows]


@router.post(
    "/{patient_id}/enrolment",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 404, 422),
)
def reissue_enrolment(
    patient_id: uuid.UUID,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> EnrolmentPublic:
    """Issue a new one-time enrolment link; any unused earlier link stops working."""
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    link = service.issue_enrolment_link(session, patient=patient, now=now, settings=settings)
    audit_patient(session, staff, request, "enrolment.issue", patient.id, now)
    return link.public()


@router.post(
    "/{patient_id}/enrolment/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 404, 422),
)
def revoke_enrolment(
    patient_id: uuid.UUID,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
) -> None:
    """Stop the patient's unused link from working (a used link's phone stays signed in)."""
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    revoked = service.revoke_enrolment_links(session, patient=patient, now=now)
    audit_patient(
        session, staff, request, "enrolment.revoke", patient.id, now, detail={"revoked": revoked}
    )


@router.delete(
    "/{patient_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 422),
)
def erase_patient(
    patient_id: uuid.UUID,
    body: Annotated[EraseRequest, Body()],
    request: Request,
    staff: AdminStaff,
    session: SessionDep,
    clock: ClockDep,
) -> None:
    """Erase the patient and every row of theirs; the audit trail stays. Admins only.

    `confirm_name` must be exactly the patient's name, else 422 `confirmation_mismatch` and
    nothing is erased. Clinicians get 403 `admin_only`.
    """
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    erasure.check_confirmation(patient, body.confirm_name)
    counts = erasure.erase_patient(session, patient=patient)
    # Row counts only: the trail must not keep what the erasure removed.
    audit_patient(session, staff, request, "patient.erase", patient_id, now, detail=counts)
