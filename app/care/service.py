"""Changes to a patient's care that re-plan: every change to a plan goes through `replan`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.config import Settings
from app.error_codes import ErrorCode
from app.errors import Conflict, InvalidInput, NotFound
from app.notifications.outbox import follow_plan
from app.patients.models import (
    Patient,
    PatientUpdate,
    PreferencesUpdate,
    Treatment,
    TreatmentConfirm,
    TreatmentCorrection,
    TreatmentCreate,
)
from app.patients.protocols import ProtocolSource
from app.patients.service import (
    LIVE,
    booked_treatment,
    check_booked_time,
    check_day,
    check_treatment_time,
    insert_treatment,
    treatments_of,
)
from app.protocols.loader import Protocol
from app.staff.models import StaffUser
from app.tasks.service import PlanChanges, sync_plan
from app.validation_words import field_words


def replan(
    session: Session,
    *,
    patient: Patient,
    protocols: ProtocolSource,
    now: datetime,
    redone: frozenset[int] = frozenset(),
) -> PlanChanges:
    """Recompute the plan from the patient's pinned protocol version and keep its reminders in
    step: every change to a plan comes here. `redone`: treatments just corrected or voided,
    whose pending tasks follow even where past (`sync_plan`)."""
    return replan_with(
        session, patient=patient, protocol=protocols.pinned(patient), now=now, redone=redone
    )


def replan_with(
    session: Session,
    *,
    patient: Patient,
    protocol: Protocol,
    now: datetime,
    redone: frozenset[int] = frozenset(),
) -> PlanChanges:
    changes = sync_plan(session, patient=patient, protocol=protocol, now=now, redone=redone)
    follow_plan(session, patient_id=patient.id, changes=changes, now=now)
    return changes


def _lock(session: Session, patient: Patient) -> None:
    """Lock the patient row: concurrent changes to one plan take turns (each computes from
    what the one before it saved)."""
    session.exec(select(Patient).where(Patient.id == patient.id).with_for_update()).one()


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
    """Record a (re-)treatment after the latest one and recompute the plan; or book one ahead
    (`data.booked`), which joins the plan once confirmed done (`confirm_treatment`)."""
    _lock(session, patient)  # two concurrent re-treatments cannot both pass the order check
    previous = _latest(session, patient)
    if data.booked:
        if (waiting := booked_treatment(session, patient)) is not None:
            raise Conflict(
                f"A treatment is booked already ({waiting.performed_at.isoformat()}): confirm "
                "it once done, or void it if it was cancelled, before booking another.",
                code=ErrorCode.TREATMENT_ALREADY_BOOKED,
            )
        check_booked_time(data.performed_at, previous=previous, now=now)
    else:
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
    {"name", "time_zone", "wake_time", "bed_time", "stockings_advised", "notes", "language"}
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
    _lock(session, patient)  # a concurrent re-plan must not compute from the old values
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
    _require_reason(reason, "Please say why the patient moves to another version of the protocol.")
    available = protocols.available(patient.protocol)
    if version not in available:
        listed = ", ".join(str(v) for v in available)
        raise InvalidInput(
            f"The {patient.protocol} protocol has no version {version}; "
            f"the versions available are {listed}.",
            code=ErrorCode.PROTOCOL_VERSION_UNKNOWN,
        )
    _lock(session, patient)  # a concurrent re-plan must not compute from the old version
    change = VersionChange(patient.protocol, patient.protocol_version, version)
    if not change.changed:
        return change
    patient.protocol_version = version
    patient.updated_at = now
    session.add(patient)
    session.flush()
    replan(session, patient=patient, protocols=protocols, now=now)
    return change


def _require_reason(reason: str, sentence: str) -> None:
    if not reason.strip():
        raise InvalidInput(sentence, code=ErrorCode.REASON_REQUIRED)


@dataclass(frozen=True)
class TreatmentChange:
    """What a correction or a voiding did: the fields and their values before and after."""

    treatment: Treatment
    changed: list[str]
    before: dict[str, Any]
    after: dict[str, Any]
    plan: PlanChanges | None  # None: nothing changed, nothing re-planned


def _own_treatment(session: Session, patient: Patient, treatment_id: uuid.UUID) -> Treatment:
    treatment = session.get(Treatment, treatment_id)
    if treatment is None or treatment.patient_id != patient.id:
        # The plain `not_found` of a missing patient: another patient's reads as nothing at all.
        raise NotFound("The patient has no such treatment.")
    session.refresh(treatment)  # the lock is held: read what the last change saved
    return treatment


def correct_treatment(
    session: Session,
    *,
    patient: Patient,
    treatment_id: uuid.UUID,
    data: TreatmentCorrection,
    protocols: ProtocolSource,
    staff: StaffUser,
    now: datetime,
    settings: Settings,
) -> TreatmentChange:
    """Correct a treatment's time, method or notes; the plan is recomputed at once.

    Done tasks stay done; what the treatment still owes (pending, past or not) follows the
    corrected values. The time stays between the treatments before and after it: moving it
    past another would renumber what each one's tasks belong to.
    """
    _require_reason(data.reason, "Please say why the treatment is corrected.")
    sent = data.model_dump(exclude_unset=True, exclude={"reason"})
    if nulls := sorted(name for name, value in sent.items() if value is None):
        raise InvalidInput(f"{field_words(nulls[0])} cannot be left empty.")
    _lock(session, patient)
    treatment = _own_treatment(session, patient, treatment_id)
    if treatment.voided_at is not None:
        raise Conflict(
            "This treatment was voided: it stays in the record as it was.",
            code=ErrorCode.TREATMENT_VOIDED,
        )
    changed = [name for name, value in sent.items() if getattr(treatment, name) != value]
    if "performed_at" in changed and treatment.booked:  # the booking moved
        check_booked_time(sent["performed_at"], previous=_latest(session, patient), now=now)
    elif "performed_at" in changed:
        _check_corrected_time(session, patient, treatment, sent["performed_at"], now, settings)
    before = {name: getattr(treatment, name) for name in changed}
    if not changed:
        return TreatmentChange(treatment, [], {}, {}, None)
    for name in changed:
        setattr(treatment, name, sent[name])
    treatment.corrected_at = now
    treatment.corrected_by = staff.id
    treatment.correction_reason = data.reason
    session.add(treatment)
    session.flush()
    session.refresh(treatment)  # as stored: a time sent with any offset reads back in UTC
    plan = None
    if set(changed) & {"performed_at", "method"}:  # notes are not planned from
        plan = replan(
            session, patient=patient, protocols=protocols, now=now,
            redone=frozenset({treatment.number}),
        )  # fmt: skip
    after = {name: getattr(treatment, name) for name in changed}
    return TreatmentChange(treatment, changed, before, after, plan)


def _check_corrected_time(
    session: Session,
    patient: Patient,
    treatment: Treatment,
    performed_at: datetime,
    now: datetime,
    settings: Settings,
) -> None:
    others = [
        t.performed_at
        for t in treatments_of(session, patient, planned_only=True)
        if t.id != treatment.id
    ]
    earlier = [at for at in others if at < treatment.performed_at]
    later = [at for at in others if at > treatment.performed_at]
    check_treatment_time(
        performed_at, previous=max(earlier, default=None), now=now, settings=settings
    )
    if later and performed_at >= min(later):
        raise InvalidInput(
            "The corrected time must be before the next treatment "
            f"({min(later).isoformat()}): a correction can't move one treatment past another.",
            code=ErrorCode.TREATMENT_OUT_OF_ORDER,
        )


def void_treatment(
    session: Session,
    *,
    patient: Patient,
    treatment_id: uuid.UUID,
    reason: str,
    protocols: ProtocolSource,
    staff: StaffUser,
    now: datetime,
) -> TreatmentChange:
    """Void a treatment (wrong patient, never happened, a booking cancelled): it stays in the
    record, marked, and leaves the plan. Its done tasks stay done (marked as its); what it
    still owed goes, past or not (it was never owed). Voiding one already voided changes
    nothing."""
    _require_reason(reason, "Please say why the treatment is voided.")
    _lock(session, patient)
    treatment = _own_treatment(session, patient, treatment_id)
    if treatment.voided_at is not None:
        return TreatmentChange(treatment, [], {}, {}, None)
    if not treatment.booked and len(treatments_of(session, patient, planned_only=True)) == 1:
        raise Conflict(
            "This is the patient's only treatment, and a plan needs one: correct its time or "
            "method instead (or, for the wrong patient, an admin can erase the record).",
            code=ErrorCode.TREATMENT_ONLY_ONE,
        )
    treatment.voided_at = now
    treatment.voided_by = staff.id
    treatment.void_reason = reason
    session.add(treatment)
    session.flush()
    plan = replan(
        session, patient=patient, protocols=protocols, now=now,
        redone=frozenset({treatment.number}),
    )  # fmt: skip
    return TreatmentChange(treatment, ["voided"], {"voided": False}, {"voided": True}, plan)


def _latest(session: Session, patient: Patient) -> datetime | None:
    """The time of the patient's latest treatment the plan follows."""
    latest: datetime | None = session.exec(
        select(func.max(Treatment.performed_at)).where(Treatment.patient_id == patient.id, LIVE)
    ).one()
    return latest


def confirm_treatment(
    session: Session,
    *,
    patient: Patient,
    treatment_id: uuid.UUID,
    data: TreatmentConfirm,
    protocols: ProtocolSource,
    staff: StaffUser,
    now: datetime,
    settings: Settings,
) -> TreatmentChange:
    """A booked treatment was done: at its booked time, or at `data.performed_at` if it moved.
    It joins the plan, which starts from it (its reminders were held until now). Confirming
    one already confirmed changes nothing."""
    _lock(session, patient)
    treatment = _own_treatment(session, patient, treatment_id)
    if treatment.voided_at is not None:
        raise Conflict(
            "This treatment was voided (cancelled): book a new one instead.",
            code=ErrorCode.TREATMENT_VOIDED,
        )
    if not treatment.booked:
        if treatment.confirmed_at is not None:
            return TreatmentChange(treatment, [], {}, {}, None)  # a repeat, or a second click
        raise Conflict(
            "This treatment was recorded as done, not booked ahead: there is nothing to confirm.",
            code=ErrorCode.TREATMENT_NOT_BOOKED,
        )
    performed_at = data.performed_at or treatment.performed_at
    if performed_at > now + settings.treatment_future_tolerance:
        raise InvalidInput(
            "The treatment time is still ahead: confirm it once the treatment has been "
            "performed, with the time it was done.",
            code=ErrorCode.TREATMENT_IN_FUTURE,
        )
    check_treatment_time(
        performed_at, previous=_latest(session, patient), now=now, settings=settings
    )
    before = {"performed_at": treatment.performed_at, "booked": True}
    treatment.performed_at = performed_at
    treatment.booked = False
    treatment.confirmed_at = now
    treatment.confirmed_by = staff.id
    session.add(treatment)
    session.flush()
    session.refresh(treatment)
    plan = replan(session, patient=patient, protocols=protocols, now=now)
    after = {"performed_at": treatment.performed_at, "booked": False}
    return TreatmentChange(treatment, ["booked"], before, after, plan)
