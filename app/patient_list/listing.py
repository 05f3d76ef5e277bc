"""The clinic's patient list: filters, sort orders, and each row's adherence, devices, alerts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    ColumnElement,
    Label,
    Row,
    Select,
    SQLColumnExpression,
    Subquery,
    exists,
    func,
    nulls_last,
    or_,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.adherence.counting import done_count, due_task, percent
from app.notifications import receipts
from app.notifications.models import PushSubscription
from app.patients.models import Patient, Treatment
from app.patients.service import BOOKED, LIVE
from app.reports.alerts import OPEN
from app.reports.models import Alert
from app.reports.triage import Level
from app.shared import search
from app.tasks.models import Occurrence

APPOINTMENT = "appointment"

SortOrder = Literal[
    "name",
    "-name",
    "last_treatment",
    "-last_treatment",
    "next_follow_up",
    "-next_follow_up",
    "last_active",
    "-last_active",
    "adherence",
    "-adherence",
    "open_alerts",
    "-open_alerts",
]
SORT_ORDERS: tuple[str, ...] = get_args(SortOrder)
RemindersFilter = Literal["on", "off", "not_getting_through"]
AlertsFilter = Literal["open"]

# Worst first, for open_alert_level.
_LEVELS = (Level.EMERGENCY, Level.URGENT)


class TaskCount(SQLModel):
    done: int
    due: int


class AdherenceSummary(SQLModel):
    """Tasks due by now (`due`) and how many of them were ticked (`done`)."""

    done: int
    due: int
    percent: int | None  # None while nothing is due yet
    by_task: dict[str, TaskCount]


class PatientRow(SQLModel):
    id: uuid.UUID
    name: str
    time_zone: str
    first_treatment_at: datetime | None
    last_treatment_at: datetime | None
    treatment_count: int
    adherence: AdherenceSummary
    last_active_at: datetime | None
    push_devices: int  # live subscriptions: current VAPID key, not past their expiry
    reminders_on: bool  # at least one live subscription: reminders can reach the patient
    open_alerts: int
    open_alert_level: str | None  # the worst open alert: emergency or urgent
    next_follow_up_at: datetime | None
    # A treatment booked ahead and not yet confirmed done; past its time it needs attention
    # (its reminders are held until staff confirm it).
    booked_treatment_at: datetime | None = None
    doppler_checked: bool
    created_at: datetime


class PatientListPage(SQLModel):
    items: list[PatientRow]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class PatientFilter:
    """Which of the clinic's patients, in which order; `key_id` is the current VAPID key's id."""

    clinic_id: uuid.UUID
    key_id: str
    query: str | None = None
    reminders: RemindersFilter | None = None
    alerts: AlertsFilter | None = None
    sort: SortOrder = "name"


def list_page(
    session: Session, *, filters: PatientFilter, now: datetime, limit: int, offset: int
) -> PatientListPage:
    """One page of the list in eight queries, whatever the page size (no query per row).

    The page's patients first (one ordered query), then each figure for just those ids.
    """
    conditions = _conditions(filters, now)
    total = session.exec(select(func.count()).select_from(Patient).where(*conditions)).one()
    people = session.execute(_ordered(filters, conditions, now).limit(limit).offset(offset)).all()
    items = _rows(session, people, [person[0] for person in people], filters, now)
    return PatientListPage(items=items, total=total, limit=limit, offset=offset)


def list_all(session: Session, *, filters: PatientFilter, now: datetime) -> list[PatientRow]:
    """Every patient the filters select, in order (the CSV export)."""
    conditions = _conditions(filters, now)
    people = session.execute(_ordered(filters, conditions, now)).all()
    # The same filter as a subquery: an IN list of 100,000 ids would exceed SQLite's limit.
    scope = select(Patient.id).where(*conditions)
    return _rows(session, people, scope, filters, now)


# --- selecting and ordering patients ---------------------------------------------------------


def _live_subscription(key_id: str, now: datetime) -> list[ColumnElement[bool]]:
    """A subscription a reminder can reach: the current key (as the dispatcher) and unexpired."""
    return [
        col(PushSubscription.vapid_key_id) == key_id,
        or_(
            col(PushSubscription.expiration_at).is_(None),
            col(PushSubscription.expiration_at) > now,
        ),
    ]


def _conditions(filters: PatientFilter, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [col(Patient.clinic_id) == filters.clinic_id]
    if filters.query:
        conditions.append(
            col(Patient.name).ilike(search.contains(filters.query), escape=search.ESCAPE)
        )
    if filters.reminders == "not_getting_through":
        conditions.append(receipts.not_getting_through(col(Patient.id), now))
    elif filters.reminders is not None:
        live = exists().where(
            col(PushSubscription.patient_id) == Patient.id,
            *_live_subscription(filters.key_id, now),
        )
        conditions.append(live if filters.reminders == "on" else ~live)
    if filters.alerts == "open":
        conditions.append(col(Patient.id).in_(_open_alerts(filters.clinic_id, [Alert.patient_id])))
    return conditions


def _open_alerts(clinic_id: uuid.UUID, columns: list[Any]) -> Select[Any]:
    """The clinic's open alerts, found by clinic and status: correlated per patient instead,
    SQLite (without statistics) scans every open alert of every clinic once per patient."""
    return sa_select(*columns).where(col(Alert.clinic_id) == clinic_id, col(Alert.status) == OPEN)


def _sort_figure(
    key: str, filters: PatientFilter, scope: SelectOfScalar[uuid.UUID], now: datetime
) -> Subquery:
    """(patient_id, value) for the patients in `scope` that have a value for this sort order.

    One grouped query joined in, rather than a subquery per patient: PostgreSQL hashes it in
    one pass (10,000 correlated subqueries also pushed its cost estimate past the JIT
    threshold, which alone took a third of a second).
    """
    query: Select[Any, Any]
    patient_id: Label[uuid.UUID] = col(Occurrence.patient_id).label("patient_id")
    if key == "last_treatment":
        query = (
            sa_select(
                col(Treatment.patient_id).label("patient_id"),
                func.max(Treatment.performed_at).label("value"),
            )
            .where(col(Treatment.patient_id).in_(scope), LIVE)
            .group_by(col(Treatment.patient_id))
        )
    elif key == "next_follow_up":
        query = (
            sa_select(patient_id, func.min(Occurrence.due_at).label("value"))
            .where(
                col(Occurrence.patient_id).in_(scope),
                col(Occurrence.kind) == APPOINTMENT,
                col(Occurrence.due_at) > now,
            )
            .group_by(col(Occurrence.patient_id))
        )
    elif key == "adherence":
        # The exact ratio (a group has at least one row: no division by zero); patients with
        # nothing due have no group and sort as NULL.
        query = (
            sa_select(patient_id, (done_count() * 1.0 / func.count()).label("value"))
            .where(col(Occurrence.patient_id).in_(scope), *due_task(now))
            .group_by(col(Occurrence.patient_id))
        )
    elif key == "open_alerts":
        query = _open_alerts(
            filters.clinic_id,
            [col(Alert.patient_id).label("patient_id"), func.count().label("value")],
        ).group_by(col(Alert.patient_id))
    else:
        raise ValueError(f"unknown sort order {key!r}")
    return query.subquery("sort_figure")


# id, name, time_zone, last_active_at, doppler_checked_at, created_at
_Person = Row[uuid.UUID, str, str, datetime | None, datetime | None, datetime]


def _ordered(
    filters: PatientFilter, conditions: Sequence[ColumnElement[bool]], now: datetime
) -> Select[uuid.UUID, str, str, datetime | None, datetime | None, datetime]:
    """The filtered patients in the asked order, NULLs last both ways, ties by name then id.

    Names compare case-blind (SQLite's binary order would put "de Vries" after "Zoe"), so
    both databases give the same order for ASCII names; the id makes every order total.
    """
    key = filters.sort.removeprefix("-")
    descending = filters.sort.startswith("-")
    # SQLAlchemy's select: SQLModel's is typed for at most four columns.
    query = sa_select(
        col(Patient.id),
        col(Patient.name),
        col(Patient.time_zone),
        col(Patient.last_active_at),
        col(Patient.doppler_checked_at),
        col(Patient.created_at),
    ).where(*conditions)
    folded = func.lower(col(Patient.name))
    tiebreak = (folded, col(Patient.name), col(Patient.id))
    if key == "name":
        if descending:
            return query.order_by(folded.desc(), col(Patient.name).desc(), col(Patient.id))
        return query.order_by(*tiebreak)
    value: SQLColumnExpression[Any]
    if key == "last_active":
        value = col(Patient.last_active_at)
    else:
        scope = select(Patient.id).where(*conditions)
        figure = _sort_figure(key, filters, scope, now)
        query = query.outerjoin(figure, figure.c.patient_id == Patient.id)
        # No open alert is 0 open alerts; no due task or no visit ahead stays NULL.
        value = func.coalesce(figure.c.value, 0) if key == "open_alerts" else figure.c.value
    return query.order_by(nulls_last(value.desc() if descending else value.asc()), *tiebreak)


# --- the figures of each row -----------------------------------------------------------------


def _rows(
    session: Session,
    people: Sequence[_Person],
    scope: Sequence[uuid.UUID] | SelectOfScalar[uuid.UUID],
    filters: PatientFilter,
    now: datetime,
) -> list[PatientRow]:
    """Rows for these patients: six grouped queries, however many patients there are."""
    if not people:
        return []
    treatments = {
        patient_id: (first, last, count)
        for patient_id, first, last, count in session.exec(
            select(
                Treatment.patient_id,
                func.min(Treatment.performed_at),
                func.max(Treatment.performed_at),
                func.count(),
            )
            .where(col(Treatment.patient_id).in_(scope), LIVE)
            .group_by(col(Treatment.patient_id))
        ).all()
    }
    by_task: dict[uuid.UUID, dict[str, TaskCount]] = defaultdict(dict)
    for patient_id, task, due, done in session.exec(
        select(Occurrence.patient_id, Occurrence.task, func.count(), done_count())
        .where(col(Occurrence.patient_id).in_(scope), *due_task(now))
        .group_by(col(Occurrence.patient_id), col(Occurrence.task))
    ).all():
        by_task[patient_id][task] = TaskCount(done=done, due=due)
    devices = dict(
        session.exec(
            select(PushSubscription.patient_id, func.count())
            .where(
                col(PushSubscription.patient_id).in_(scope),
                *_live_subscription(filters.key_id, now),
            )
            .group_by(col(PushSubscription.patient_id))
        ).all()
    )
    alerts: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for patient_id, level, count in session.exec(
        select(Alert.patient_id, Alert.level, func.count())
        .where(col(Alert.patient_id).in_(scope), col(Alert.status) == OPEN)
        .group_by(col(Alert.patient_id), col(Alert.level))
    ).all():
        alerts[patient_id][level] = count
    follow_ups = dict(
        session.exec(
            select(Occurrence.patient_id, func.min(Occurrence.due_at))
            .where(
                col(Occurrence.patient_id).in_(scope),
                col(Occurrence.kind) == APPOINTMENT,
                col(Occurrence.due_at) > now,
            )
            .group_by(col(Occurrence.patient_id))
        ).all()
    )
    booked = dict(
        session.exec(
            select(Treatment.patient_id, func.min(Treatment.performed_at))
            .where(col(Treatment.patient_id).in_(scope), BOOKED)
            .group_by(col(Treatment.patient_id))
        ).all()
    )
    rows = []
    for patient_id, name, zone, last_active, doppler_at, created_at in people:
        first, last, count = treatments.get(patient_id, (None, None, 0))
        tasks = by_task.get(patient_id, {})
        open_by_level = alerts.get(patient_id, {})
        device_count = devices.get(patient_id, 0)
        rows.append(
            PatientRow(
                id=patient_id,
                name=name,
                time_zone=zone,
                first_treatment_at=first,
                last_treatment_at=last,
                treatment_count=count,
                adherence=_summary(tasks),
                last_active_at=last_active,
                push_devices=device_count,
                reminders_on=device_count > 0,
                open_alerts=sum(open_by_level.values()),
                open_alert_level=next((lv for lv in _LEVELS if lv in open_by_level), None),
                next_follow_up_at=follow_ups.get(patient_id),
                booked_treatment_at=booked.get(patient_id),
                doppler_checked=doppler_at is not None,
                created_at=created_at,
            )
        )
    return rows


def _summary(tasks: dict[str, TaskCount]) -> AdherenceSummary:
    done = sum(count.done for count in tasks.values())
    due = sum(count.due for count in tasks.values())
    return AdherenceSummary(
        done=done, due=due, percent=percent(done, due), by_task=dict(sorted(tasks.items()))
    )
