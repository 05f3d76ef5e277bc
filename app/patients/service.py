"""The patient record: treatments and their checks, the consultation check, lookups."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta

from sqlalchemy import and_, bindparam, func, update
from sqlmodel import Session, col, select

from app.careplan import TreatmentSession
from app.clinics.models import Clinic
from app.config import Settings
from app.error_codes import ErrorCode
from app.errors import InvalidInput, NotFound
from app.patients.models import (
    Patient,
    Treatment,
    TreatmentCreate,
)
from app.staff.models import StaffUser

# A plan lasts 8 weeks: a treatment older than that has no aftercare left to plan.
MAX_TREATMENT_AGE = timedelta(days=56)
# Fewer waking hours than this leaves no room for the day's tasks; it is almost surely a typo.
MIN_AWAKE = timedelta(hours=8)


def check_day(wake: time, bed: time) -> None:
    """Refuse a wake/bed pair that leaves too short a waking day."""
    if wake.tzinfo is not None or bed.tzinfo is not None:  # "07:30+01:00" parses; the plan can't
        raise InvalidInput(
            "The times of getting up and going to bed are local times, without an offset."
        )
    if wake.second or bed.second or wake.microsecond or bed.microsecond:
        raise InvalidInput(
            "The times of getting up and going to bed are hours and minutes, like 07:30."
        )
    awake_minutes = ((bed.hour * 60 + bed.minute) - (wake.hour * 60 + wake.minute)) % (24 * 60)
    if timedelta(minutes=awake_minutes) < MIN_AWAKE:
        raise InvalidInput(
            f"The bedtime ({bed:%H:%M}) must be at least {MIN_AWAKE.seconds // 3600} hours "
            f"after the time of getting up ({wake:%H:%M})."
        )


def check_treatment_time(
    performed_at: datetime, *, previous: datetime | None, now: datetime, settings: Settings
) -> None:
    if performed_at > now + settings.treatment_future_tolerance:
        raise InvalidInput(
            "The treatment time can't be in the future: record a treatment once it has been "
            "performed.",
            code=ErrorCode.TREATMENT_IN_FUTURE,
        )
    if performed_at < now - MAX_TREATMENT_AGE:
        raise InvalidInput(
            "The treatment time is more than 8 weeks ago: there is no aftercare left to plan.",
            code=ErrorCode.TREATMENT_TOO_OLD,
        )
    _check_after(performed_at, previous)


def _check_after(performed_at: datetime, previous: datetime | None) -> None:
    if previous is not None and performed_at <= previous:
        raise InvalidInput(
            f"The treatment time must be after the previous treatment ({previous.isoformat()}).",
            code=ErrorCode.TREATMENT_OUT_OF_ORDER,
        )


# Further ahead than this is a typo (a wrong year), not a booking.
MAX_BOOKING_AHEAD = timedelta(days=365)


def check_booked_time(performed_at: datetime, *, previous: datetime | None, now: datetime) -> None:
    """A treatment booked ahead: its time is still to come, within a year, after the last."""
    if performed_at <= now:
        raise InvalidInput(
            "A booked treatment's time must be ahead: a treatment already performed is "
            "recorded as done.",
            code=ErrorCode.TREATMENT_BOOKED_IN_PAST,
        )
    if performed_at > now + MAX_BOOKING_AHEAD:
        raise InvalidInput(
            "The booked treatment time is more than a year ahead: please check the year.",
            code=ErrorCode.TREATMENT_BOOKED_TOO_FAR,
        )
    _check_after(performed_at, previous)


# The treatments the plan follows: a voided one stays in the record, outside the plan, and a
# booked one joins it once confirmed done.
LIVE = and_(col(Treatment.voided_at).is_(None), col(Treatment.booked).is_(False))
# Booked ahead and still waiting: neither confirmed done nor voided (cancelled).
BOOKED = and_(col(Treatment.booked).is_(True), col(Treatment.voided_at).is_(None))


def insert_treatment(
    session: Session,
    *,
    patient: Patient,
    data: TreatmentCreate,
    staff: StaffUser | None,
    now: datetime,
) -> Treatment:
    """Add the treatment with the patient's next number (voided ones keep theirs: never
    reused, so no task of a voided treatment is ever taken for a new one's)."""
    last = session.exec(
        select(func.max(Treatment.number)).where(Treatment.patient_id == patient.id)
    ).one()
    treatment = Treatment(
        patient_id=patient.id,
        number=(last or 0) + 1,
        performed_at=data.performed_at,
        method=data.method,
        notes=data.notes,
        booked=data.booked,
        recorded_by=staff.id if staff else None,
        created_at=now,
    )
    session.add(treatment)
    session.flush()
    return treatment


def treatments_of(
    session: Session, patient: Patient, *, planned_only: bool = False
) -> Sequence[Treatment]:
    """The patient's treatments in time order; `planned_only`: those the plan follows (not
    voided, not booked ahead)."""
    query = select(Treatment).where(Treatment.patient_id == patient.id)
    if planned_only:
        query = query.where(LIVE)
    return session.exec(query.order_by(col(Treatment.performed_at), col(Treatment.number))).all()


def sessions_of(treatments: Iterable[Treatment]) -> list[TreatmentSession]:
    """What the planner reads of the treatments it follows (voided and booked ones left out)."""
    return [
        TreatmentSession(performed_at=t.performed_at, method=t.method, number=t.number)
        for t in treatments
        if planned(t)
    ]


def planned(treatment: Treatment) -> bool:
    """Whether the plan follows this treatment (LIVE, for one row already read)."""
    return treatment.voided_at is None and not treatment.booked


# Built once, with a bound parameter: a phone's profile asks on every visit, and composing a
# statement and its cache key costs more CPU than running it (bench/request_cost.py).
_BOOKED_OF_PATIENT = select(Treatment).where(
    col(Treatment.patient_id) == bindparam("patient_id"), BOOKED
)


def booked_treatment(session: Session, patient: Patient) -> Treatment | None:
    """The patient's treatment booked ahead and not yet confirmed done (at most one)."""
    return session.exec(_BOOKED_OF_PATIENT, params={"patient_id": patient.id}).first()


def record_doppler_check(
    session: Session, *, patient: Patient, staff: StaffUser, now: datetime
) -> bool:
    """Record the consultation check now, by `staff`; True if this call recorded it.

    The first record stands: a repeat (or a concurrent second click) changes nothing.
    """
    result = session.execute(
        update(Patient)
        .where(col(Patient.id) == patient.id, col(Patient.doppler_checked_at).is_(None))
        .values(doppler_checked_at=now, doppler_checked_by=staff.id, updated_at=now)
    )
    session.refresh(patient)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def staff_name(session: Session, staff_id: uuid.UUID | None) -> str | None:
    """A staff user's name for display (their e-mail if unnamed); None if unknown or gone."""
    user = session.get(StaffUser, staff_id) if staff_id else None
    if user is None:
        return None
    return user.name or user.email


def get_for_clinic(session: Session, *, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> Patient:
    """The clinic's patient, or NotFound (also when the patient belongs to another clinic)."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.clinic_id != clinic_id:
        raise NotFound("No such patient.")
    return patient


# --- enrolment links and device sessions ---------------------------------------------------


def clinic_of_patient(session: Session, patient: Patient) -> Clinic:
    clinic = session.get(Clinic, patient.clinic_id)
    assert clinic is not None  # foreign key
    return clinic
