"""Clinic bookings of planned visits: list them, book a time, go back to the computed time,
and the clinic's visits still to book, each with a time to offer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.appointments import booking_rules
from app.appointments.booking_rules import PlannedVisit
from app.appointments.models import PatientAppointment, VisitToBook
from app.appointments.slots import suggest_slot
from app.care.service import replan
from app.careplan import OccurrenceKind, compute_plan
from app.careplan.daytime import Rhythm
from app.clinics.models import Clinic
from app.error_codes import ErrorCode
from app.errors import Conflict, InvalidInput, NotFound
from app.notifications.models import OutboxKind
from app.notifications.outbox import queue_visit_notice
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


@dataclass(frozen=True)
class BookingChange:
    """What a booking or its removal changed, for the audit: the visit's time before and after,
    whether it was booked before, and the warnings "book anyway" went past (codes)."""

    before_due_at: datetime
    before_booked_at: datetime | None
    after_due_at: datetime
    overridden: tuple[ErrorCode, ...] = ()
    notice: OutboxKind | None = None  # what the patient is told, if anything


def _clinic_of(session: Session, patient: Patient) -> Clinic:
    clinic = session.get(Clinic, patient.clinic_id)
    assert clinic is not None  # foreign key
    return clinic


def _visits_in_order(
    session: Session, patient: Patient, protocols: ProtocolSource
) -> list[PlannedVisit]:
    """The patient's visits where they stand now, in the order the protocol alone puts them."""
    computed = _computed_times(session, patient, protocols)
    rows = [row for row in _appointment_rows(session, patient) if row.key in computed]
    rows.sort(key=lambda row: (computed[row.key], row.key))
    return [PlannedVisit(key=row.key, title=row.title, at=row.due_at) for row in rows]


def _check(
    session: Session,
    *,
    patient: Patient,
    key: str,
    booked_at: datetime,
    book_anyway: bool,
    protocols: ProtocolSource,
) -> tuple[ErrorCode, ...]:
    """Refuse a time that breaks the visits' order (always), or that needs "book anyway" and
    was not sent with it; the warnings it overrode."""
    clinic = _clinic_of(session, patient)
    clinic_zone = ZoneInfo(clinic.time_zone)
    visits = _visits_in_order(session, patient, protocols)
    disorder = booking_rules.out_of_order(key, booked_at, visits, clinic_zone)
    if disorder is not None:
        raise Conflict(disorder, code=ErrorCode.BOOKING_OUT_OF_ORDER)
    found = booking_rules.warnings(
        booked_at,
        clinic_name=clinic.name,
        hours=clinic.opening_hours,
        clinic_zone=clinic_zone,
        rhythm=Rhythm.from_preferences(preferences_of(patient)),
    )
    if found and not book_anyway:
        raise Conflict(" ".join(w.sentence for w in found), code=found[0].code)
    return tuple(w.code for w in found)


def book(
    session: Session,
    *,
    patient: Patient,
    key: str,
    booked_at: datetime,
    staff: StaffUser,
    protocols: ProtocolSource,
    now: datetime,
    book_anyway: bool = False,
) -> BookingChange:
    """Book visit `key` at `booked_at` (any offset; stored UTC); the plan and reminders follow,
    and the patient is told (booked, or moved when it was booked already).

    Refused, in this order, with nothing changed: a time already past (the plan never
    rewrites the past, so a booking there could not move the visit, and no reminder could go
    out for it) or more than a year ahead; a visit unknown or already past; a time that puts
    the course's visits out of order (never overridable); then, unless `book_anyway`, a time
    when the clinic is closed or in the patient's night (both named in one sentence).
    """
    if booked_at <= now:
        raise InvalidInput("booked_at is in the past.", code=ErrorCode.BOOKING_IN_PAST)
    if booked_at > now + BOOKING_HORIZON:
        raise InvalidInput("booked_at is more than a year ahead.", code=ErrorCode.BOOKING_TOO_FAR)
    _lock(session, patient)
    row = _bookable(session, patient=patient, key=key, now=now)
    overridden = _check(
        session,
        patient=patient,
        key=key,
        booked_at=booked_at,
        book_anyway=book_anyway,
        protocols=protocols,
    )
    before_due_at = row.due_at
    booking = session.get(AppointmentBooking, (patient.id, key))
    before_booked_at = None if booking is None else booking.booked_at
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
    notice = None
    if before_booked_at != booked_at:
        change = OutboxKind.VISIT_BOOKED if before_booked_at is None else OutboxKind.VISIT_MOVED
        notice = queue_visit_notice(session, occurrence=row, change=change, now=now)
    return BookingChange(
        before_due_at=before_due_at,
        before_booked_at=before_booked_at,
        after_due_at=row.due_at,
        overridden=overridden,
        notice=notice,
    )


def unbook(
    session: Session, *, patient: Patient, key: str, protocols: ProtocolSource, now: datetime
) -> BookingChange:
    """Drop the booking of visit `key`: it goes back to the protocol's day, tentative (no
    reminder) until it is booked again, and the patient is told it is no longer booked."""
    _lock(session, patient)
    booking = session.get(AppointmentBooking, (patient.id, key))
    if booking is None:
        raise NotFound("This visit has no booking.", code=ErrorCode.BOOKING_UNKNOWN)
    row = _bookable(session, patient=patient, key=key, now=now)
    before_due_at, before_booked_at = row.due_at, booking.booked_at
    session.delete(booking)
    session.flush()
    replan(session, patient=patient, protocols=protocols, now=now)
    notice = queue_visit_notice(session, occurrence=row, change=OutboxKind.VISIT_UNBOOKED, now=now)
    return BookingChange(
        before_due_at=before_due_at,
        before_booked_at=before_booked_at,
        after_due_at=row.due_at,
        notice=notice,
    )


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
