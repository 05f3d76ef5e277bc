"""Loading what each claimed row needs to be decided and sent: its occurrence or alert, devices.

Plain values, not ORM objects: building entities was a fifth of the time per message.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Mapped
from sqlmodel import Session, SQLModel, col

from app.careplan.daytime import Rhythm
from app.careplan.types import Preferences
from app.clinics.models import Clinic
from app.notifications.models import (
    REPORT_NOTICES,
    VISIT_NOTICES,
    Channel,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    PushSubscription,
)
from app.notifications.receipts import shown_after
from app.notifications.sender import Device
from app.patients.carers import CarerLink
from app.patients.models import Patient
from app.shared.phone import sms_number
from app.staff.models import StaffUser
from app.tasks.models import Occurrence, OccurrenceStatus

ALERT_KINDS = frozenset({OutboxKind.ALERT.value, OutboxKind.ALERT_ESCALATION.value})

Devices = list[tuple[uuid.UUID, Device]]


@dataclass(frozen=True)
class Fallback:
    """Where a push reminder falls back to if it is not shown within `wait` (or cannot go)."""

    channel: str  # Channel.EMAIL or Channel.SMS
    wait: timedelta


@dataclass
class Claim:
    """A claimed reminder with just the columns it takes to decide and send.

    `occurrence_id` or `rhythm` is None when the occurrence or the patient is gone.
    """

    row_id: int
    due_at: datetime
    expires_at: datetime
    attempts: int
    occurrence_id: uuid.UUID | None
    task: str
    kind: str
    title: str
    done: bool
    show_title: bool
    rhythm: Rhythm | None
    patient_id: uuid.UUID | None
    devices: Devices = field(default_factory=list)
    # A visit notice (OutboxKind.VISIT_*) rather than a reminder: its kind, and the visit's
    # time as it stands now (the words are built from it at send time).
    notice: str = ""
    visit_at: datetime | None = None
    # A push reminder the patient also wants by e-mail or SMS (None: push only).
    fallback: Fallback | None = None
    # An e-mail or SMS row (channel other than push): where it goes ("" if the record has no
    # address or textable number), the clinic's name for its words, and the day's allowance.
    channel: str = Channel.PUSH
    address: str = ""
    clinic_name: str = ""
    sent_today: int = 0
    daily_limit: int = 0
    # A push for this reminder was shown on one of the patient's devices at or after due_at.
    shown: bool = False
    # A report's "seen" push (OutboxKind.REPORT_SEEN*): the report, the kind, the words.
    report_id: uuid.UUID | None = None
    report_notice: str = ""
    report_text: str = ""
    # The patient's language: the words are built in it at send time.
    language: str = "en"


@dataclass
class AlertClaim:
    """A claimed alert push: the alert's state now, and the staff devices it goes to.

    `level` is None when the alert is gone (the patient was erased meanwhile).
    """

    row_id: int
    due_at: datetime
    expires_at: datetime
    attempts: int
    kind: str
    alert_id: uuid.UUID | None
    level: str | None
    still_open: bool
    devices: Devices = field(default_factory=list)
    # An e-mail or text to one on-call staff member (channel other than push): where it goes
    # ("" if their account has no address or textable number), whether they are still the one
    # to alert (enabled, on call, this channel still their choice), the clinic's name.
    channel: str = Channel.PUSH
    staff_id: uuid.UUID | None = None
    address: str = ""
    still_chosen: bool = False
    clinic_name: str = ""
    rhythm: None = None  # a staff alert has no night rule


@dataclass(frozen=True)
class AlertSource:
    """The alert table's columns an alert push reads, handed in by the domain that owns alerts.

    Notifications sits below reports (reports queue alert pushes), so it never imports the
    alert table; app/scheduler.py wires the reports domain's columns in.
    """

    table: type[SQLModel]
    id: Mapped[uuid.UUID]
    level: Mapped[str]
    status: Mapped[str]
    clinic_id: Mapped[uuid.UUID]
    open_status: str  # the status of an alert nobody has acknowledged yet


class Loader:
    """Loads claimed rows, within the claim's transaction, for the current VAPID key."""

    def __init__(
        self, *, key_id: str, alerts: AlertSource, channels: frozenset[str] = frozenset()
    ) -> None:
        self._key_id = key_id
        self._alerts = alerts
        self._channels = channels  # the channels this server can send besides push

    def load(
        self, session: Session, claimed: Sequence[tuple[int, str]], now: datetime
    ) -> list[Claim | AlertClaim]:
        """Reminders and visit notices first, then alerts, each in claim order."""
        reminders = [row_id for row_id, kind in claimed if kind not in ALERT_KINDS]
        alerts = [row_id for row_id, kind in claimed if kind in ALERT_KINDS]
        claims: list[Claim | AlertClaim] = []
        claims.extend(self.reminders(session, reminders, now))
        claims.extend(self.alerts(session, alerts))
        return claims

    def reminders(self, session: Session, ids: Sequence[int], now: datetime) -> list[Claim]:
        if not ids:
            return []
        # SQLAlchemy's select: SQLModel's typed one stops at four columns.
        rows = session.execute(
            sa_select(
                col(OutboxMessage.id),
                col(OutboxMessage.due_at),
                col(OutboxMessage.expires_at),
                col(OutboxMessage.attempts),
                col(OutboxMessage.kind),
                col(Occurrence.id),
                col(Occurrence.due_at),
                col(Occurrence.task),
                col(Occurrence.kind),
                col(Occurrence.title),
                col(Occurrence.status),
                col(Patient.id),
                col(Patient.time_zone),
                col(Patient.wake_time),
                col(Patient.bed_time),
                col(Patient.show_task_titles),
                col(OutboxMessage.channel),
                col(Patient.reminder_channel),
                col(Patient.email),
                col(Patient.phone),
                col(Clinic.name),
                col(Clinic.fallback_tasks),
                col(Clinic.fallback_after_minutes),
                col(Clinic.sms_per_day),
                col(Clinic.emails_per_day),
                col(OutboxMessage.report_id),
                col(OutboxMessage.text),
                col(Patient.language),
            )
            .join(Occurrence, col(Occurrence.id) == OutboxMessage.occurrence_id, isouter=True)
            .join(Patient, col(Patient.id) == OutboxMessage.patient_id, isouter=True)
            .join(Clinic, col(Clinic.id) == Patient.clinic_id, isouter=True)
            .where(col(OutboxMessage.id).in_(ids))
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))  # claim order
        ).all()
        rhythms: dict[uuid.UUID, Rhythm] = {}
        claims = []
        for (
            row_id, due_at, expires_at, attempts, outbox_kind, occurrence_id, visit_at, task,
            kind, title, status, patient_id, zone, wake, bed, show_title,
            channel, chosen, email, phone, clinic_name, fallback_tasks, fallback_after,
            sms_per_day, emails_per_day, report_id, text, language,
        ) in rows:  # fmt: skip
            rhythm = None
            if patient_id is not None:
                rhythm = rhythms.get(patient_id)
                if rhythm is None:
                    rhythm = Rhythm.from_preferences(Preferences(zone, wake, bed))
                    rhythms[patient_id] = rhythm
            claims.append(
                Claim(
                    row_id=row_id,
                    due_at=due_at,
                    expires_at=expires_at,
                    attempts=attempts,
                    occurrence_id=occurrence_id,
                    task=task or "",
                    kind=kind or "",
                    title=title or "",
                    done=status == OccurrenceStatus.DONE,
                    show_title=bool(show_title),
                    rhythm=rhythm,
                    patient_id=patient_id,
                    notice=outbox_kind if outbox_kind in VISIT_NOTICES else "",
                    visit_at=visit_at,
                    channel=channel,
                    clinic_name=clinic_name or "",
                    report_id=report_id,
                    report_notice=outbox_kind if outbox_kind in REPORT_NOTICES else "",
                    report_text=text or "",
                    language=language or "en",
                )
            )
            claim = claims[-1]
            if channel == Channel.PUSH:
                if (
                    chosen in self._channels
                    and outbox_kind == OutboxKind.REMINDER
                    and task in (fallback_tasks or ())
                ):
                    claim.fallback = Fallback(chosen, timedelta(minutes=fallback_after))
            else:
                claim.address = (email if channel == Channel.EMAIL else sms_number(phone)) or ""
                claim.daily_limit = emails_per_day if channel == Channel.EMAIL else sms_per_day
        letters = [c for c in claims if c.channel != Channel.PUSH]
        self._count_sent_today(session, letters, now)
        for claim in letters:
            if claim.occurrence_id is not None:
                # Since the push's own due time: a push shown for it means the patient saw it.
                claim.shown = shown_after(session, claim.occurrence_id, claim.due_at)
        devices = self._devices(session, set(rhythms))
        for claim in claims:
            if claim.patient_id is not None:
                claim.devices = devices.get(claim.patient_id, [])
        return claims

    def _count_sent_today(self, session: Session, claims: list[Claim], now: datetime) -> None:
        """How many e-mails or texts each claim's patient was sent since their local midnight."""
        patients = {c.patient_id for c in claims if c.patient_id is not None and c.rhythm}
        if not patients:
            return
        sent = session.execute(
            sa_select(
                col(OutboxMessage.patient_id),
                col(OutboxMessage.channel),
                col(OutboxMessage.sent_at),
            ).where(
                col(OutboxMessage.patient_id).in_(patients),
                col(OutboxMessage.channel) != Channel.PUSH,
                col(OutboxMessage.staff_id).is_(None),  # an alert's text to staff is not theirs
                col(OutboxMessage.status) == OutboxStatus.SENT,
                col(OutboxMessage.sent_at) >= now - timedelta(days=1, hours=14),  # any zone
            )
        ).all()
        for claim in claims:
            if claim.rhythm is None:
                continue
            midnight = claim.rhythm.start_of(now.astimezone(claim.rhythm.zone).date())
            claim.sent_today = sum(
                1
                for patient_id, channel, at in sent
                if patient_id == claim.patient_id and channel == claim.channel and at >= midnight
            )

    def _devices(self, session: Session, patient_ids: set[uuid.UUID]) -> dict[uuid.UUID, Devices]:
        """The patients' devices subscribed with the current key, and their carers' with
        reminders on (a removed carer's are not); older keys' rows are forgotten."""
        columns = (
            col(PushSubscription.id),
            col(PushSubscription.patient_id),
            col(PushSubscription.endpoint),
            col(PushSubscription.p256dh),
            col(PushSubscription.auth),
            col(PushSubscription.vapid_key_id),
        )
        own = session.execute(
            sa_select(*columns).where(col(PushSubscription.patient_id).in_(patient_ids))
        ).all()
        carers = session.execute(
            sa_select(col(PushSubscription.id), col(CarerLink.patient_id), *columns[2:])
            .join(CarerLink, col(CarerLink.carer_id) == PushSubscription.carer_id)
            .where(
                col(CarerLink.patient_id).in_(patient_ids),
                col(CarerLink.removed_at).is_(None),
                col(CarerLink.reminders).is_(True),
            )
        ).all()
        subscriptions = [*own, *carers]
        self._forget_stale(session, subscriptions)
        devices: dict[uuid.UUID, Devices] = {}
        for sub_id, patient_id, endpoint, p256dh, auth, key_id in subscriptions:
            if key_id == self._key_id and patient_id is not None:
                devices.setdefault(patient_id, []).append((sub_id, Device(endpoint, p256dh, auth)))
        return devices

    def _forget_stale(self, session: Session, subscriptions: Sequence[Sequence[Any]]) -> None:
        """Delete the rows (id first, key id last) made with an older server key.

        Push services would refuse them; the app or the console subscribes again when it next
        opens.
        """
        stale = [sub_id for sub_id, *_, key_id in subscriptions if key_id != self._key_id]
        if stale:
            session.execute(delete(PushSubscription).where(col(PushSubscription.id).in_(stale)))

    def alerts(self, session: Session, ids: Sequence[int]) -> list[AlertClaim]:
        """Alert pushes with their alert's state and the devices of the staff to reach."""
        if not ids:
            return []
        alert = self._alerts
        rows = session.execute(
            sa_select(
                col(OutboxMessage.id),
                col(OutboxMessage.due_at),
                col(OutboxMessage.expires_at),
                col(OutboxMessage.attempts),
                col(OutboxMessage.kind),
                alert.id,
                alert.level,
                alert.status,
                alert.clinic_id,
                col(OutboxMessage.channel),
                col(OutboxMessage.staff_id),
                col(StaffUser.email),
                col(StaffUser.phone),
                col(StaffUser.on_call),
                col(StaffUser.disabled_at),
                col(StaffUser.alert_channel),
                col(Clinic.name),
            )
            .join(alert.table, alert.id == OutboxMessage.alert_id, isouter=True)
            .join(StaffUser, col(StaffUser.id) == OutboxMessage.staff_id, isouter=True)
            .join(Clinic, col(Clinic.id) == alert.clinic_id, isouter=True)
            .where(col(OutboxMessage.id).in_(ids))
            # Sends start in claim order: an alert's first push goes before its escalation, so
            # the escalation (same Topic) is the one the push service keeps.
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        ).all()
        claims = []
        clinics: dict[uuid.UUID, Devices] = {}
        everyone: dict[uuid.UUID, Devices] = {}
        for (
            row_id, due_at, expires_at, attempts, kind, alert_id, level, status, clinic,
            channel, staff_id, email, phone, on_call, disabled_at, chosen, clinic_name,
        ) in rows:  # fmt: skip
            claim = AlertClaim(
                row_id=row_id,
                due_at=due_at,
                expires_at=expires_at,
                attempts=attempts,
                kind=kind,
                alert_id=alert_id,
                level=level,
                still_open=status == alert.open_status,
                channel=channel,
                staff_id=staff_id,
                clinic_name=clinic_name or "",
            )
            if channel != Channel.PUSH:
                # Read now, not when queued: a number corrected meanwhile is the one used.
                claim.address = (email if channel == Channel.EMAIL else sms_number(phone)) or ""
                claim.still_chosen = bool(
                    staff_id is not None and on_call and disabled_at is None and chosen == channel
                )
            elif clinic is not None and claim.still_open:
                if kind == OutboxKind.ALERT:
                    if clinic not in clinics:
                        clinics[clinic] = self._staff_devices(session, clinic, on_call_only=True)
                    claim.devices = clinics[clinic]
                if not claim.devices:  # an escalation, or nobody on call can be reached
                    if clinic not in everyone:
                        everyone[clinic] = self._staff_devices(session, clinic, on_call_only=False)
                    claim.devices = everyone[clinic]
            claims.append(claim)
        return claims

    def _staff_devices(
        self, session: Session, clinic_id: uuid.UUID, *, on_call_only: bool
    ) -> Devices:
        """Devices (current key) of the clinic's enabled staff, or of those on call only."""
        query = (
            sa_select(
                col(PushSubscription.id),
                col(PushSubscription.endpoint),
                col(PushSubscription.p256dh),
                col(PushSubscription.auth),
                col(PushSubscription.vapid_key_id),
            )
            .join(StaffUser, col(StaffUser.id) == PushSubscription.staff_id)
            .where(col(StaffUser.clinic_id) == clinic_id, col(StaffUser.disabled_at).is_(None))
            .order_by(col(PushSubscription.created_at), col(PushSubscription.id))
        )
        if on_call_only:
            query = query.where(col(StaffUser.on_call).is_(True))
        subscriptions = session.execute(query).all()
        self._forget_stale(session, subscriptions)
        return [
            (sub_id, Device(endpoint, p256dh, auth))
            for sub_id, endpoint, p256dh, auth, key_id in subscriptions
            if key_id == self._key_id
        ]
