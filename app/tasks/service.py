"""Occurrence use cases: keep stored rows in step with the care plan, list them, tick them off."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, and_, bindparam, delete, false, or_, update
from sqlmodel import Session, col, select

from app.bulk import insert_new
from app.careplan import (
    OccurrenceKind,
    PlannedOccurrence,
    Preferences,
    compute_plan,
    treatment_number_of,
)
from app.careplan.daytime import ends_at_midnight, last_day, zone_for
from app.careplan.progress import Span, active
from app.clinics.models import Clinic
from app.error_codes import ErrorCode
from app.errors import Conflict, InvalidInput, NotFound
from app.i18n.languages import DEFAULT_LANGUAGE
from app.patients.carers import carer_names
from app.patients.models import AppointmentBooking, Patient, Treatment
from app.patients.service import planned, sessions_of, treatments_of
from app.protocols.loader import Protocol
from app.protocols.translations import translate
from app.tasks.models import Occurrence, OccurrencePublic, OccurrenceStatus
from app.tasks.treatment_day import TreatmentDays
from app.timezones import local_day_bounds

SPAN_KINDS = (OccurrenceKind.INFO, OccurrenceKind.RESTRICTION)
TIME_ORDER = (col(Occurrence.due_at), col(Occurrence.rank), col(Occurrence.key))
# A patient may tick a task off a little before it is due (e.g. the evening dose before dinner).
EARLY_COMPLETION = timedelta(hours=2)

_PLANNED_FIELDS = (
    "task",
    "kind",
    "title",
    "instructions",
    "due_at",
    "window_end",
    "notifies",
    "remind_at",
    "rank",
    "tentative",
)


@dataclass
class PlanChanges:
    """What one sync did, by occurrence id (the notification outbox follows these)."""

    created: list[uuid.UUID] = field(default_factory=list)
    updated: list[uuid.UUID] = field(default_factory=list)
    removed: list[uuid.UUID] = field(default_factory=list)
    # What each created or updated occurrence now is: the reminders follow without reading
    # the occurrences back (created ones are bulk-inserted, so not in the session).
    planned: dict[uuid.UUID, PlannedOccurrence] = field(default_factory=dict)


def counts_of(plan: PlanChanges | None) -> dict[str, int]:
    """What a change did to the plan's tasks, as the console shows it ("12 tasks moved")."""
    return {
        "tasks_moved": len(plan.updated) if plan else 0,
        "tasks_added": len(plan.created) if plan else 0,
        "tasks_removed": len(plan.removed) if plan else 0,
    }


def preferences_of(patient: Patient) -> Preferences:
    return Preferences(
        time_zone=patient.time_zone,
        wake_time=patient.wake_time,
        bed_time=patient.bed_time,
        stockings_advised=patient.stockings_advised,
    )


def clinic_zone_of(session: Session, patient: Patient) -> str:
    """The zone of the patient's clinic: visits not booked yet are planned on its clock."""
    clinic = session.get(Clinic, patient.clinic_id)
    assert clinic is not None  # foreign key
    return clinic.time_zone


def plan_for(
    session: Session, *, patient: Patient, protocol: Protocol, treated: Sequence[Treatment]
) -> list[PlannedOccurrence]:
    """The patient's full plan from their `treated` sessions (voided ones left out) and the
    bookings stored now.

    Visits not booked are planned on the clinic's wall clock, so they stay put when the
    patient changes time zone; booked ones are the instants the clinic booked.
    """
    bookings = session.exec(
        select(AppointmentBooking).where(AppointmentBooking.patient_id == patient.id)
    ).all()
    return compute_plan(
        protocol,
        sessions_of(treated),
        preferences_of(patient),
        {b.key: b.booked_at for b in bookings},
        visit_time_zone=clinic_zone_of(session, patient),
    )


def _replaceable(row: Occurrence, now: datetime, redone: frozenset[int]) -> bool:
    """Rows a new plan may rewrite: pending ones still ahead, spans not yet over, and what a
    treatment in `redone` (corrected or voided) still owes, past or not.

    Done rows and rows already past are history: a new plan never touches them. The pending
    past rows of a corrected treatment are the exception: they were computed from a time or
    method that was wrong, so they follow the correction (a voided one's are never owed).
    """
    if row.status != OccurrenceStatus.PENDING:
        return False
    if redone and treatment_number_of(row.key) in redone:
        return True
    if row.kind in SPAN_KINDS:
        return row.window_end > now
    return row.due_at > now


def sync_plan(
    session: Session,
    *,
    patient: Patient,
    protocol: Protocol,
    now: datetime,
    redone: frozenset[int] = frozenset(),
) -> PlanChanges:
    """Make the stored occurrences match the patient's current plan, as of `now`.

    Idempotent: a second call with the same inputs changes nothing. New occurrences whose
    window has already closed are not created (no instant "missed" tasks for past events).
    `redone`: the numbers of treatments just corrected or voided (see `_replaceable`).
    """
    treated = treatments_of(session, patient)
    voided = frozenset(t.number for t in treated if t.voided_at is not None)
    plan = plan_for(session, patient=patient, protocol=protocol, treated=treated)
    days = TreatmentDays(
        [t.performed_at for t in treated if planned(t)], zone_for(patient.time_zone)
    )
    existing: Mapping[str, Occurrence] = {
        row.key: row
        for row in session.exec(select(Occurrence).where(Occurrence.patient_id == patient.id))
    }
    changes = PlanChanges()
    planned_keys = set()
    new_rows = []
    for item in plan:
        planned_keys.add(item.key)
        row = existing.get(item.key)
        if row is None:
            if item.window_end > now:
                values = _new_row(patient.id, item, now, treatment_day=days.of(item.due_at))
                new_rows.append(values)
                changes.created.append(values["id"])
                changes.planned[values["id"]] = item
        elif _replaceable(row, now, redone) and _apply(row, item, now):
            session.add(row)
            changes.updated.append(row.id)
            changes.planned[row.id] = item
    stale = [
        row.id
        for key, row in existing.items()
        if key not in planned_keys and _replaceable(row, now, redone)
    ]
    if stale:
        session.execute(delete(Occurrence).where(col(Occurrence.id).in_(stale)))
        changes.removed.extend(stale)
    _count_days(existing.values(), days, skip=set(stale), voided=voided)
    insert_new(session, Occurrence, new_rows)
    session.flush()
    return changes


def _new_row(
    patient_id: uuid.UUID, item: PlannedOccurrence, now: datetime, *, treatment_day: int | None
) -> dict[str, Any]:
    """A new occurrence's column values (inserted in bulk: see app/bulk.py)."""
    return {
        "id": uuid.uuid4(),
        "patient_id": patient_id,
        "key": item.key,
        "treatment_day": treatment_day,
        "created_at": now,
        "updated_at": now,
        **{name: getattr(item, name) for name in _PLANNED_FIELDS},
    }


def _apply(row: Occurrence, item: PlannedOccurrence, now: datetime) -> bool:
    """Copy the planned fields onto `row`; True if anything changed."""
    changed = False
    for name in _PLANNED_FIELDS:
        value = getattr(item, name)
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed:
        row.updated_at = now
    return changed


def _count_days(
    rows: Iterable[Occurrence],
    days: TreatmentDays,
    *,
    skip: set[uuid.UUID],
    voided: frozenset[int],
) -> None:
    """Re-derive each stored row's day after treatment and whether its treatment was voided,
    done and past rows too.

    A treatment recorded later can claim instants already past (it is recorded after it was
    performed), so history moves to the new day 0. These are statistics, not the plan: not a
    change the patient or the reminders hear about, and updated_at stays.
    """
    for row in rows:
        if row.id in skip:
            continue
        day = days.of(row.due_at)
        if row.treatment_day != day:
            row.treatment_day = day
        void = bool(voided) and treatment_number_of(row.key) in voided
        if row.voided != void:
            row.voided = void


def status_of(row: Occurrence, now: datetime) -> str:
    """pending, done, missed (a task whose window closed undone) or ended (anything else over)."""
    if row.status == OccurrenceStatus.DONE:
        return "done"
    if now < row.window_end:
        return "pending"
    return "missed" if row.kind == OccurrenceKind.TASK else "ended"


def span_last_day(row: Occurrence, zone: ZoneInfo) -> date | None:
    """The last whole day of advice or a restriction that ends at a local midnight; else None."""
    if row.kind not in SPAN_KINDS:
        return None
    if not ends_at_midnight(row.window_end, zone):
        return None
    return last_day(row.window_end, zone)


def to_public(
    row: Occurrence,
    zone: ZoneInfo,
    now: datetime,
    done_by: Mapping[uuid.UUID, str] | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> OccurrencePublic:
    """`done_by`: carers' names by link id (carer_names), for tasks a carer ticked; the title
    and instructions in `language` (rows keep the protocol's English)."""
    return OccurrencePublic(
        id=row.id,
        key=row.key,
        task=row.task,
        kind=row.kind,
        title=translate(language, row.title),
        instructions=translate(language, row.instructions),
        due_at=row.due_at,
        local_due=row.due_at.astimezone(zone),
        window_end=row.window_end,
        last_day=span_last_day(row, zone),
        notifies=row.notifies,
        tentative=row.tentative,
        status=status_of(row, now),
        completed_at=row.completed_at,
        completed_by=(done_by or {}).get(row.completed_by_carer)
        if row.completed_by_carer
        else None,
        voided=row.voided,
    )


def public_rows(
    session: Session,
    rows: Sequence[Occurrence],
    zone: ZoneInfo,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> list[OccurrencePublic]:
    """Rows as clients see them, done-by-carer names included, texts in `language`."""
    names = carer_names(session, (row.completed_by_carer for row in rows))
    return [to_public(row, zone, now, names, language) for row in rows]


# The statements a phone runs on every visit are built once, with bound parameters: composing
# a statement and its cache key costs more CPU than running it (bench/request_cost.py).
# Their types come from the columns they are compared with.
_PATIENT: BindParameter[uuid.UUID] = bindparam("patient_id")
_START: BindParameter[datetime] = bindparam("start")
_END: BindParameter[datetime] = bindparam("end")
_NOW: BindParameter[datetime] = bindparam("now")
_BETWEEN = (
    select(Occurrence)
    .where(
        col(Occurrence.patient_id) == _PATIENT,
        or_(
            and_(col(Occurrence.due_at) >= _START, col(Occurrence.due_at) < _END),
            and_(
                col(Occurrence.kind).in_([k.value for k in SPAN_KINDS]),
                col(Occurrence.due_at) < _END,
                col(Occurrence.window_end) > _START,
            ),
        ),
    )
    .order_by(*TIME_ORDER)
)


def list_between(
    session: Session, *, patient: Patient, start: datetime, end: datetime
) -> Sequence[Occurrence]:
    """Occurrences due in [start, end), plus spans (info, restrictions) overlapping it."""
    params = {"patient_id": patient.id, "start": start, "end": end}
    return session.exec(_BETWEEN, params=params).all()


def list_all(session: Session, *, patient: Patient) -> Sequence[Occurrence]:
    """Every stored occurrence of the patient, in time order."""
    return session.exec(
        select(Occurrence).where(Occurrence.patient_id == patient.id).order_by(*TIME_ORDER)
    ).all()


MAX_RANGE_DAYS = 120
# Days at the calendar's very ends have local bounds outside what datetime can hold (in some
# zones); no plan comes near them, so asking about them is refused rather than computed.
EARLIEST_DAY = date.min + timedelta(days=1)
LATEST_DAY = date.max - timedelta(days=1)


def check_range(first: date | None, last: date | None) -> tuple[date, date]:
    """A valid inclusive range of local days: ordered and at most MAX_RANGE_DAYS long."""
    if first is None or last is None:
        raise InvalidInput("a range needs both 'from' and 'to'")
    if first < EARLIEST_DAY or last > LATEST_DAY:
        raise InvalidInput(f"ask for days from {EARLIEST_DAY} to {LATEST_DAY}")
    if last < first:
        raise InvalidInput("'to' must not be before 'from'")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(f"ask for at most {MAX_RANGE_DAYS} days at a time")
    return first, last


def range_from(first: date, last: date | None) -> tuple[date, date]:
    """check_range(first, last); without `last`, the longest range from `first` allowed."""
    if last is None:
        room = max(0, (LATEST_DAY - first).days)  # first + MAX_RANGE_DAYS could overflow
        last = first + timedelta(days=min(MAX_RANGE_DAYS - 1, room))
    return check_range(first, last)


def list_local_days(
    session: Session, *, patient: Patient, first: date, last: date
) -> Sequence[Occurrence]:
    """Occurrences of the patient's local days `first`..`last` inclusive."""
    zone = ZoneInfo(patient.time_zone)
    start, _ = local_day_bounds(first, zone)
    _, end = local_day_bounds(last, zone)
    return list_between(session, patient=patient, start=start, end=end)


def get_own(session: Session, *, patient: Patient, occurrence_id: uuid.UUID) -> Occurrence:
    """The patient's occurrence, or NotFound (also for another patient's id)."""
    row = session.get(Occurrence, occurrence_id)
    if row is None or row.patient_id != patient.id:
        raise NotFound("No such task.")
    return row


def _own_task(session: Session, *, patient: Patient, occurrence_id: uuid.UUID) -> Occurrence:
    row = get_own(session, patient=patient, occurrence_id=occurrence_id)
    if row.kind != OccurrenceKind.TASK:
        raise Conflict("Only tasks can be ticked off.", code=ErrorCode.NOT_A_TASK)
    return row


_MOVE = (
    update(Occurrence)
    .where(
        col(Occurrence.id) == bindparam("occurrence_id"),
        col(Occurrence.status) == bindparam("source"),
    )
    .values(
        status=bindparam("target"),
        completed_at=bindparam("completed"),
        completed_by_carer=bindparam("by_carer"),
        updated_at=_NOW,
    )
    # The row is refreshed from the database right after, so the ORM need not work out in
    # Python which loaded objects the UPDATE changed (its default, and most of its cost).
    .execution_options(synchronize_session=False)
)


def _move(
    session: Session,
    row: Occurrence,
    *,
    source: OccurrenceStatus,
    target: OccurrenceStatus,
    completed_at: datetime | None,
    now: datetime,
    by_carer: uuid.UUID | None = None,
) -> Occurrence:
    """Change status only if it is still `source`: of two racing requests one changes it, and
    the other reads the winner's result, so a repeat never makes a second completion."""
    params = {
        "occurrence_id": row.id,
        "source": source,
        "target": target,
        "completed": completed_at,
        "by_carer": by_carer,
        "now": now,
    }
    session.execute(_MOVE, params)
    session.refresh(row)
    return row


def complete(
    session: Session,
    *,
    patient: Patient,
    occurrence_id: uuid.UUID,
    now: datetime,
    by_carer: uuid.UUID | None = None,
) -> Occurrence:
    """Mark a task done (`by_carer`: the carer link it was done through, None: the patient).
    Idempotent: repeating returns the first completion unchanged, whoever repeats it."""
    row = _own_task(session, patient=patient, occurrence_id=occurrence_id)
    if row.status == OccurrenceStatus.DONE:
        return row
    if now < row.due_at - EARLY_COMPLETION:
        raise Conflict("This task is not due yet.", code=ErrorCode.NOT_DUE_YET)
    return _move(
        session,
        row,
        source=OccurrenceStatus.PENDING,
        target=OccurrenceStatus.DONE,
        completed_at=now,
        now=now,
        by_carer=by_carer,
    )


def undo(
    session: Session, *, patient: Patient, occurrence_id: uuid.UUID, now: datetime
) -> Occurrence:
    """Undo a completion. Idempotent: undoing a pending task returns it unchanged."""
    row = _own_task(session, patient=patient, occurrence_id=occurrence_id)
    return _move(
        session,
        row,
        source=OccurrenceStatus.DONE,
        target=OccurrenceStatus.PENDING,
        completed_at=None,
        now=now,
    )


# A profile and a progress page both want the patient's restrictions and coming visits: one
# statement reads both (a few rows each), one fewer per GET /api/me (bench/request_cost.py).
_RESTRICTIONS_AND_VISITS = (
    select(Occurrence)
    .where(
        col(Occurrence.patient_id) == _PATIENT,
        or_(
            and_(
                col(Occurrence.kind) == OccurrenceKind.RESTRICTION,
                col(Occurrence.voided) == false(),
            ),
            and_(
                col(Occurrence.kind) == OccurrenceKind.APPOINTMENT,
                col(Occurrence.window_end) > _NOW,
            ),
        ),
    )
    .order_by(*TIME_ORDER)
)


@dataclass(frozen=True)
class Outlook:
    """What lies ahead of a patient at a moment (`at`): every restriction row as a span (a few: one
    per task and treatment; voided ones left out) and the clinic visits not over yet, each in
    time order."""

    at: datetime
    restrictions: list[Span]
    appointments: list[Occurrence]

    @property
    def active_restrictions(self) -> list[Span]:
        """One span per restricted task going on at `at`: the union of its rows (a
        re-treatment extends it), so its end is the end of the last row that joins it."""
        return active(self.restrictions, self.at)


def outlook(session: Session, *, patient: Patient, now: datetime) -> Outlook:
    """The patient's Outlook at `now`, in one statement."""
    rows = session.exec(
        _RESTRICTIONS_AND_VISITS, params={"patient_id": patient.id, "now": now}
    ).all()
    return Outlook(
        at=now,
        restrictions=[
            Span(
                task=row.task,
                title=row.title,
                start=row.due_at,
                end=row.window_end,
                instructions=row.instructions,
            )
            for row in rows
            if row.kind == OccurrenceKind.RESTRICTION
        ],
        appointments=[row for row in rows if row.kind == OccurrenceKind.APPOINTMENT],
    )
