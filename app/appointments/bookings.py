"""Clinic bookings of planned visits: list them, book a time, go back to the computed time,
and the clinic's visits still to book, each with a time to offer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.appointments.models import PatientAppointment, VisitToBook
from app.appointments.slots import suggest_slot
from app.care.service import replan
from app.careplan import OccurrenceKind, compute_plan
from app.clinics.models import Clinic
from app.error_codes import ErrorCode
from app.errors import Conflict, InvalidInput, NotFound
from app.patients.models import AppointmentBooking, Patient
from app.patients.protocols import ProtocolSource
from app.patients.service import sessions_of, treatments_of
from app.staff.models import StaffUser
from app.tasks.models import Occurrence, OccurrenceStatus
from app.tasks.service import clinic_zone_of, preferences_of

# Further ahead than this is a typo (a wrong year), not a plan.
BOOKING_HORIZON = timedelta(days=365)


def _appointment_rows(session: Session, patient: Patient) -> Sequence[Occurrence]:
    return session.exec(
        select(Occurrence)
        .where(Occurrence.patient_id == patient.id, Occurrence.kind == OccurrenceKind.APPOINTMENT)
        .order_by(col(Occurrence.due_at), col(Occurrence.key))
    ).all()


def _computed_times(
    session: Session, patient: Patient, protocols: ProtocolSource
) -> dict[str, datetime]:
    """When each visit falls by the patient's protocol alone, as if nothing had been booked."""
    plan = compute_plan(
        protocols.pinned(patient),
        sessions_of(treatments_of(session, patient)),
        preferences_of(patient),
        visit_time_zone=clinic_zone_of(session, patient),
    )
    return {item.key: item.due_at for item in plan if item.kind == OccurrenceKind.APPOINTMENT}


def list_appointments(
    session: Session, *, patient: Patient, protocols: ProtocolSource
) -> list[PatientAppointment]:
    """The patient's planned visits in time order, with the computed time beside the booked."""
    zone = ZoneInfo(patient.time_zone)
    computed = _computed_times(session, patient, protocols)
    booked = set(
        session.exec(
            select(AppointmentBooking.key).where(AppointmentBooking.patient_id == patient.id)
        ).all()
    )
    return [
        PatientAppointment(
            key=row.key,
            title=row.title,
            due_at=row.due_at,
            local_due=row.due_at.astimezone(zone),
            computed_at=computed.get(row.key),
            booked=row.key in booked,
            tentative=row.tentative,
        )
        for row in _appointment_rows(session, patient)
    ]


def _bookable(session: Session, *, patient: Patient, key: str, now: datetime) -> Occurrence:
    """The patient's visit `key`, still ahead; NotFound for an unknown key."""
    row = session.exec(
        select(Occurrence).where(
            Occurrence.patient_id == patient.id,
            Occurrence.key == key,
            Occurrence.kind == OccurrenceKind.APPOINTMENT,
        )
    ).first()
    if row is None:
        raise NotFound("The patient's plan has no such visit.", code=ErrorCode.APPOINTMENT_UNKNOWN)
    # A past visit is history: the plan never rewrites it, so a booking could not move it.
    if row.due_at <= now:
        raise Conflict(
            "This visit's time has passed; it can no longer be moved.",
            code=ErrorCode.APPOINTMENT_PAST,
        )
    return row


def _lock(session: Session, patient: Patient) -> None:
    # Two concurrent bookings of one patient would both insert the same booking row.
    session.exec(select(Patient).where(Patient.id == patient.id).with_for_update()).one()


def book(
    session: Session,
    *,
    patient: Patient,
    key: str,
    booked_at: datetime,
    staff: StaffUser,
    protocols: ProtocolSource,
    now: datetime,
) -> None:
    """Book visit `key` at `booked_at` (any offset; stored UTC); the plan and reminders follow.

    A time already past is refused: the plan never rewrites the past, so a booking there
    could not move the visit, and no reminder could go out for it.
    """
    if booked_at <= now:
        raise InvalidInput("booked_at is in the past.", code=ErrorCode.BOOKING_IN_PAST)
    if booked_at > now + BOOKING_HORIZON:
        raise InvalidInput("booked_at is more than a year ahead.", code=ErrorCode.BOOKING_TOO_FAR)
    _lock(session, patient)
    _bookable(session, patient=patient, key=key, now=now)
    booking = session.get(AppointmentBooking, (patient.id, key))
    if booking is None:
        booking = AppointmentBooking(
            patient_id=patient.id, key=key, booked_at=booked_at, updated_at=now
        )
    booking.booked_at = booked_at
    booking.booked_by = staff.id
    booking.updated_at = now
    session.add(booking)
    session.flush()
    replan(session, patient=patient, protocols=protocols, now=now)


def unbook(
    session: Session, *, patient: Patient, key: str, protocols: ProtocolSource, now: datetime
) -> None:
    """Drop the booking of visit `key`: it goes back to the protocol's day, tentative (no
    reminder) until it is booked again."""
    _lock(session, patient)
    booking = session.get(AppointmentBooking, (patient.id, key))
    if booking is None:
        raise NotFound("This visit has no booking.", code=ErrorCode.BOOKING_UNKNOWN)
    _bookable(session, patient=patient, key=key, now=now)
    session.delete(booking)
    session.flush()
    replan(session, patient=patient, protocols=protocols, now=now)


TO_BOOK_DAYS = 28
MAX_TO_BOOK_DAYS = 120


def visits_to_book(
    session: Session, *, clinic: Clinic, now: datetime, days: int = TO_BOOK_DAYS
) -> list[VisitToBook]:
    """The clinic's visits not booked yet, due in the next `days` days, soonest first.

    Each comes with its target day on the clinic's clock and a time to offer: the planned
    time of day if the clinic is open then, else its first opening from that day on.
    """
    zone = ZoneInfo(clinic.time_zone)
    rows = session.exec(
        select(Occurrence, Patient.name)
        .join(Patient, col(Patient.id) == Occurrence.patient_id)
        .where(
            Patient.clinic_id == clinic.id,
            Occurrence.kind == OccurrenceKind.APPOINTMENT,
            col(Occurrence.tentative).is_(True),
            Occurrence.status == OccurrenceStatus.PENDING,
            col(Occurrence.due_at) > now,
            col(Occurrence.due_at) < now + timedelta(days=days),
        )
        .order_by(col(Occurrence.due_at), col(Patient.name), col(Occurrence.key))
    ).all()
    visits = []
    for row, name in rows:
        local = row.due_at.astimezone(zone)
        slot = suggest_slot(local.date(), local.time(), clinic.opening_hours, zone)
        visits.append(
            VisitToBook(
                patient_id=row.patient_id,
                patient_name=name,
                key=row.key,
                title=row.title,
                target_day=local.date(),
                due_at=row.due_at,
                suggested_at=slot.astimezone(zone),
            )
        )
    return visits
