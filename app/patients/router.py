"""Staff routes for patients: enrol, list, view, record treatments, re-issue links, view plans."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, status
from sqlmodel import Session

from app.deps import ClockDep, ProtocolDep, SessionDep, SettingsDep
from app.errors import error_responses
from app.patients import service
from app.patients.models import (
    EnrolmentPublic,
    PatientCreate,
    PatientCreated,
    PatientDetail,
    TreatmentCreate,
    TreatmentPublic,
)
from app.staff import audit
from app.staff.auth import CurrentStaff, client_ip
from app.staff.models import StaffUser
from app.staff.service import clinic_of
from app.tasks import service as tasks
from app.tasks.models import OccurrencePublic
from app.timezones import local_date

router = APIRouter(prefix="/api/patients", tags=["patients (staff)"])


def _audit(
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
    """Enrol a patient with their first treatment; returns a one-time enrolment link."""
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
    _audit(session, staff, request, "patient.create", patient.id, now)
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
    _audit(session, staff, request, "patient.read", patient.id, now)
    return PatientDetail(
        **patient.model_dump(exclude={"clinic_id", "updated_at"}),
        treatments=[
            TreatmentPublic.model_validate(t, from_attributes=True)
            for t in service.treatments_of(session, patient)
        ],
        enrolment_status=service.enrolment_status(session, patient=patient, now=now),
        active_devices=service.active_device_count(session, patient=patient, now=now),
    )


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
    _audit(
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
    _audit(session, staff, request, "plan.read", patient.id, now)
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
    _audit(session, staff, request, "enrolment.issue", patient.id, now)
    return link.public()
