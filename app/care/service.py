"""Changes to a patient's care that re-plan: every change to a plan goes through `replan`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.config import Settings
from app.error_codes import ErrorCode
from app.errors import InvalidInput
from app.notifications.outbox import follow_plan
from app.patients.models import (
    Patient,
    PatientUpdate,
    PreferencesUpdate,
    Treatment,
    TreatmentCreate,
)
from app.patients.protocols import ProtocolSource
from app.patients.service import check_day, check_treatment_time, insert_treatment
from app.protocols.loader import Protocol
from app.staff.models import StaffUser
from app.tasks.service import PlanChanges, sync_plan
from app.validation_words import field_words


def replan(
    session: Session, *, patient: Patient, protocols: ProtocolSource, now: datetime
) -> PlanChanges:
    """Recompute the plan from the patient's pinned protocol version and keep its reminders in
    step: every change to a plan comes here."""
    return replan_with(session, patient=patient, protocol=protocols.pinned(patient), now=now)


def replan_with(
    session: Session, *, patient: Patient, protocol: Protocol, now: datetime
) -> PlanChanges:
    changes = sync_plan(session, patient=patient, protocol=protocol, now=now)
    follow_plan(session, patient_id=patient.id, changes=changes, now=now)
    return changes


def add_treatment(
    session: Session,
    *,
    patient: Patient,
    data: TreatmentCreate,
    protocols: ProtocolSource,
    staff: StaffUser | None,
    now: datetime,
    settings: Settings,
) -> tuple[Treatment, PlanChanges]:
    """Record a (re-)treatment after the latest one and recompute the plan."""
    # Lock the patient row so two concurrent re-treatments cannot both pass the order check.
    session.exec(select(Patient).where(Patient.id == patient.id).with_for_update()).one()
    previous = session.exec(
        select(func.max(Treatment.performed_at)).where(Treatment.patient_id == patient.id)
    ).one()
    check_treatment_time(data.performed_at, previous=previous, now=now, settings=settings)
    treatment = insert_treatment(session, patient=patient, data=data, staff=staff, now=now)
    changes = replan(session, patient=patient, protocols=protocols, now=now)
    return treatment, changes


def update_preferences(
    session: Session,
    *,
    patient: Patient,
    data: PreferencesUpdate,
    protocols: ProtocolSource,
    now: datetime,
) -> PlanChanges:
    """Apply the patient's changes and recompute what is still ahead in their plan."""
    _apply(
        session,
        patient=patient,
        sent=data.model_dump(exclude_unset=True, exclude_none=True),
        now=now,
    )
    return replan(session, patient=patient, protocols=protocols, now=now)


def _apply(session: Session, *, patient: Patient, sent: dict[str, Any], now: datetime) -> list[str]:
    """Check the day the values would give, set those that differ; the names of those."""
    check_day(sent.get("wake_time", patient.wake_time), sent.get("bed_time", patient.bed_time))
    changed = [name for name, value in sent.items() if getattr(patient, name) != value]
    if changed:
        for name in changed:
            setattr(patient, name, sent[name])
        patient.updated_at = now
        session.add(patient)
        session.flush()
    return changed


# What the plan is computed from: a change to any of these re-plans.
PLAN_FIELDS = frozenset({"time_zone", "wake_time", "bed_time", "stockings_advised"})
# Fields a record must keep: null is refused for these, accepted (removed) for phone and e-mail.
REQUIRED_FIELDS = frozenset(
    {"name", "time_zone", "wake_time", "bed_time", "stockings_advised", "notes"}
)


@dataclass(frozen=True)
class PatientEdit:
    """What a correction of the record changed: its fields, and the plan's tasks ahead."""

    changed: list[str]
    plan: PlanChanges | None  # None: nothing the plan is computed from changed


def update_patient(
    session: Session,
    *,
    patient: Patient,
    data: PatientUpdate,
    protocols: ProtocolSource,
    now: datetime,
) -> PatientEdit:
    """Apply staff's corrections; a change to the time zone, the day or stockings re-plans at
    once by the rules a patient's own preferences follow (done tasks and the past untouched)."""
    sent = data.model_dump(exclude_unset=True)
    if nulls := sorted(
        name for name, value in sent.items() if value is None and name in REQUIRED_FIELDS
    ):
        raise InvalidInput(f"{field_words(nulls[0])} cannot be left empty.")
    # Lock the patient row: a concurrent re-plan must not compute from the old values.
    session.exec(select(Patient).where(Patient.id == patient.id).with_for_update()).one()
    session.refresh(patient)
    if sent.get("email") is not None:
        sent["email"] = str(sent["email"]).lower()
    changed = _apply(session, patient=patient, sent=sent, now=now)
    replans = PLAN_FIELDS.intersection(changed)
    plan = replan(session, patient=patient, protocols=protocols, now=now) if replans else None
    return PatientEdit(changed=changed, plan=plan)


@dataclass(frozen=True)
class VersionChange:
    """What a move to another protocol version did (the audit's before and after)."""

    protocol: str
    before: int
    after: int

    @property
    def changed(self) -> bool:
        return self.before != self.after


def change_protocol_version(
    session: Session,
    *,
    patient: Patient,
    version: int,
    reason: str,
    protocols: ProtocolSource,
    now: datetime,
) -> VersionChange:
    """Move the patient to `version` of their protocol and re-plan at once.

    As for any re-plan, done tasks and everything already past stay as they were. The same
    version again changes nothing (a repeated or double-clicked request is not an error).
    """
    if not reason.strip():
        raise InvalidInput(
            "Please say why the patient moves to another version of the protocol.",
            code=ErrorCode.REASON_REQUIRED,
        )
    available = protocols.available(patient.protocol)
    if version not in available:
        listed = ", ".join(str(v) for v in available)
        raise InvalidInput(
            f"The {patient.protocol} protocol has no version {version}; "
            f"the versions available are {listed}.",
            code=ErrorCode.PROTOCOL_VERSION_UNKNOWN,
        )
    # Lock the patient row: a concurrent re-plan must not compute from the old version.
    session.exec(select(Patient).where(Patient.id == patient.id).with_for_update()).one()
    change = VersionChange(patient.protocol, patient.protocol_version, version)
    if not change.changed:
        return change
    patient.protocol_version = version
    patient.updated_at = now
    session.add(patient)
    session.flush()
    replan(session, patient=patient, protocols=protocols, now=now)
    return change
