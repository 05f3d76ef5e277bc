"""Patient use cases: enrol, record treatments, enrolment links, device sessions, preferences."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import bindparam, case, func, update
from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.config import Settings
from app.errors import Conflict, Gone, InvalidInput, NotFound
from app.notifications.outbox import sync_reminders
from app.patients.models import (
    DeviceSession,
    EnrolmentLink,
    EnrolmentPublic,
    Patient,
    PatientCreate,
    PatientDetail,
    PreferencesUpdate,
    Treatment,
    TreatmentCreate,
    TreatmentPublic,
)
from app.patients.protocols import ProtocolSource
from app.protocols.loader import Protocol
from app.shared.qr import qr_svg
from app.shared.tokens import hash_token, new_token
from app.staff.models import StaffUser
from app.tasks.service import PlanChanges, sync_plan

# A plan lasts 8 weeks: a treatment older than that has no aftercare left to plan.
MAX_TREATMENT_AGE = timedelta(days=56)
# Fewer waking hours than this leaves no room for the day's tasks; it is almost surely a typo.
MIN_AWAKE = timedelta(hours=8)
ENROL_AGAIN = "Please ask your clinic for a new link."
# How stale "last activity" may be: fine for a clinic, and spares a write on every request.
ACTIVITY_RESOLUTION = timedelta(minutes=5)
DOPPLER_NOT_CONFIRMED = (
    "The consultation check (ultrasound Doppler done, no reflux) is not recorded. "
    "Confirm to enrol without it."
)


@dataclass(frozen=True)
class IssuedLink:
    """A freshly issued enrolment link; `code` exists only here, the database keeps its hash."""

    code: str
    url: str
    expires_at: datetime

    def public(self) -> EnrolmentPublic:
        return EnrolmentPublic(
            code=self.code,
            url=self.url,
            expires_at=self.expires_at,
            qr_svg=qr_svg(self.url, title="Enrolment link"),
        )


def check_day(wake: time, bed: time) -> None:
    """Refuse a wake/bed pair that leaves too short a waking day."""
    if wake.tzinfo is not None or bed.tzinfo is not None:  # "07:30+01:00" parses; the plan can't
        raise InvalidInput("wake_time and bed_time are local wall-clock times, without an offset")
    if wake.second or bed.second or wake.microsecond or bed.microsecond:
        raise InvalidInput("wake_time and bed_time are given in hours and minutes (HH:MM)")
    awake_minutes = ((bed.hour * 60 + bed.minute) - (wake.hour * 60 + wake.minute)) % (24 * 60)
    if timedelta(minutes=awake_minutes) < MIN_AWAKE:
        raise InvalidInput(
            f"bed_time {bed:%H:%M} must be at least {MIN_AWAKE.seconds // 3600} hours "
            f"after wake_time {wake:%H:%M}"
        )


def _check_treatment_time(
    performed_at: datetime, *, previous: datetime | None, now: datetime, settings: Settings
) -> None:
    if performed_at > now + settings.treatment_future_tolerance:
        raise InvalidInput(
            "performed_at is in the future: record a treatment once it has been performed"
        )
    if performed_at < now - MAX_TREATMENT_AGE:
        raise InvalidInput("performed_at is more than 8 weeks ago: there is no aftercare to plan")
    if previous is not None and performed_at <= previous:
        raise InvalidInput(
            f"performed_at must be after the previous treatment ({previous.isoformat()})"
        )


CLINIC_PHONE_MISSING = (
    "The clinic has no phone number yet, so patients would have no one to call with an urgent "
    "problem. An admin can add it in the console under Settings, then enrol again."
)
OUT_OF_HOURS_MISSING = (
    "The clinic has no out-of-hours phone number yet, so patients would have no one to call "
    "when the clinic is closed. An admin can add it in the console under Settings, then "
    "enrol again."
)


def check_numbers_to_call(clinic: Clinic) -> None:
    """A patient is enrolled only when urgent advice always has a number: the clinic's phone
    while it is open, the out-of-hours phone while it is closed (409 otherwise)."""
    if not clinic.phone.strip():
        raise Conflict(CLINIC_PHONE_MISSING, code="clinic_phone_missing")
    if not clinic.out_of_hours_phone.strip():
        raise Conflict(OUT_OF_HOURS_MISSING, code="out_of_hours_missing")


def create_patient(
    session: Session,
    *,
    clinic: Clinic,
    data: PatientCreate,
    protocol: Protocol,
    staff: StaffUser | None,
    now: datetime,
    settings: Settings,
) -> tuple[Patient, IssuedLink]:
    """Enrol a patient with their first treatment; computes the plan and issues a link.

    The patient is pinned to `protocol` (its name and version): every later re-plan uses it,
    until staff move them to another version (change_protocol_version).
    The consultation check must be recorded (`doppler_checked`) or knowingly skipped
    (`confirm_without_doppler`): sclerotherapy without a duplex scan is a clinical risk.
    The clinic must have its phone and an out-of-hours phone (`check_numbers_to_call`).
    """
    check_numbers_to_call(clinic)
    if not (data.doppler_checked or data.confirm_without_doppler):
        raise InvalidInput(DOPPLER_NOT_CONFIRMED, code="doppler_not_confirmed")
    check_day(data.wake_time, data.bed_time)
    _check_treatment_time(data.treatment.performed_at, previous=None, now=now, settings=settings)
    patient = Patient(
        clinic_id=clinic.id,
        name=data.name,
        phone=data.phone,
        time_zone=data.time_zone,
        wake_time=data.wake_time,
        bed_time=data.bed_time,
        stockings_advised=data.stockings_advised,
        protocol=protocol.name,
        protocol_version=protocol.version,
        doppler_checked_at=now if data.doppler_checked else None,
        doppler_checked_by=staff.id if data.doppler_checked and staff else None,
        created_at=now,
        updated_at=now,
    )
    session.add(patient)
    session.flush()
    _insert_treatment(session, patient=patient, data=data.treatment, staff=staff, now=now)
    _replan_with(session, patient=patient, protocol=protocol, now=now)
    link = issue_enrolment_link(session, patient=patient, now=now, settings=settings)
    return patient, link


def replan(
    session: Session, *, patient: Patient, protocols: ProtocolSource, now: datetime
) -> PlanChanges:
    """Recompute the plan from the patient's pinned protocol version and keep its reminders in
    step: every change to a plan comes here."""
    return _replan_with(session, patient=patient, protocol=protocols.pinned(patient), now=now)


def _replan_with(
    session: Session, *, patient: Patient, protocol: Protocol, now: datetime
) -> PlanChanges:
    changes = sync_plan(session, patient=patient, protocol=protocol, now=now)
    sync_reminders(session, patient_id=patient.id, now=now)
    return changes


def _insert_treatment(
    session: Session,
    *,
    patient: Patient,
    data: TreatmentCreate,
    staff: StaffUser | None,
    now: datetime,
) -> Treatment:
    treatment = Treatment(
        patient_id=patient.id,
        performed_at=data.performed_at,
        method=data.method,
        notes=data.notes,
        recorded_by=staff.id if staff else None,
        created_at=now,
    )
    session.add(treatment)
    session.flush()
    return treatment


def treatments_of(session: Session, patient: Patient) -> Sequence[Treatment]:
    return session.exec(
        select(Treatment)
        .where(Treatment.patient_id == patient.id)
        .order_by(col(Treatment.performed_at))
    ).all()


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
    _check_treatment_time(data.performed_at, previous=previous, now=now, settings=settings)
    treatment = _insert_treatment(session, patient=patient, data=data, staff=staff, now=now)
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
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    wake = changes.get("wake_time", patient.wake_time)
    bed = changes.get("bed_time", patient.bed_time)
    check_day(wake, bed)
    for name, value in changes.items():
        setattr(patient, name, value)
    patient.updated_at = now
    session.add(patient)
    session.flush()
    return replan(session, patient=patient, protocols=protocols, now=now)


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
            code="reason_required",
        )
    available = protocols.available(patient.protocol)
    if version not in available:
        listed = ", ".join(str(v) for v in available)
        raise InvalidInput(
            f"The {patient.protocol} protocol has no version {version}; "
            f"the versions available are {listed}.",
            code="protocol_version_unknown",
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


def detail_of(
    session: Session, *, patient: Patient, protocols: ProtocolSource, now: datetime
) -> PatientDetail:
    """The patient page's header: profile, treatments, enrolment and device state, checks,
    and the protocol version the plan follows beside the versions available."""
    link = newest_link(session, patient=patient)
    versions = protocols.available(patient.protocol)
    state = link_state(link, now) if link else "none"
    return PatientDetail(
        id=patient.id,
        name=patient.name,
        phone=patient.phone,
        time_zone=patient.time_zone,
        wake_time=patient.wake_time,
        bed_time=patient.bed_time,
        stockings_advised=patient.stockings_advised,
        show_task_titles=patient.show_task_titles,
        protocol=patient.protocol,
        protocol_version=patient.protocol_version,
        protocol_versions=versions,
        protocol_newest_version=versions[-1],
        treatments=[
            TreatmentPublic.model_validate(t, from_attributes=True)
            for t in treatments_of(session, patient)
        ],
        enrolment_status=state,
        enrolment_expires_at=link.expires_at if link and state == "active" else None,
        active_devices=active_device_count(session, patient=patient, now=now),
        doppler_checked_at=patient.doppler_checked_at,
        doppler_checked_by_name=staff_name(session, patient.doppler_checked_by),
        last_active_at=patient.last_active_at,
        created_at=patient.created_at,
    )


def get_for_clinic(session: Session, *, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> Patient:
    """The clinic's patient, or NotFound (also when the patient belongs to another clinic)."""
    patient = session.get(Patient, patient_id)
    if patient is None or patient.clinic_id != clinic_id:
        raise NotFound("No such patient.")
    return patient


# --- enrolment links and device sessions ---------------------------------------------------


def issue_enrolment_link(
    session: Session, *, patient: Patient, now: datetime, settings: Settings
) -> IssuedLink:
    """Revoke any unused link of the patient and issue a new one-time link."""
    revoke_enrolment_links(session, patient=patient, now=now)
    code, code_hash = new_token()
    expires_at = now + settings.enrolment_link_lifetime
    session.add(
        EnrolmentLink(
            patient_id=patient.id, code_hash=code_hash, created_at=now, expires_at=expires_at
        )
    )
    session.flush()
    # The code travels in the fragment: browsers never send it to the server in a GET.
    return IssuedLink(code=code, url=f"{settings.public_url}/enrol#{code}", expires_at=expires_at)


def revoke_enrolment_links(session: Session, *, patient: Patient, now: datetime) -> int:
    """Stop every unused link of the patient from working; how many were stopped (0 is fine)."""
    result = session.execute(
        update(EnrolmentLink)
        .where(
            col(EnrolmentLink.patient_id) == patient.id,
            col(EnrolmentLink.used_at).is_(None),
            col(EnrolmentLink.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def newest_link(session: Session, *, patient: Patient) -> EnrolmentLink | None:
    return session.exec(
        select(EnrolmentLink)
        .where(EnrolmentLink.patient_id == patient.id)
        # Issued in the same instant as the link it replaced: the one not revoked is newer.
        .order_by(
            col(EnrolmentLink.created_at).desc(),
            case((col(EnrolmentLink.revoked_at).is_(None), 0), else_=1),
        )
    ).first()


def enrolment_status(session: Session, *, patient: Patient, now: datetime) -> str:
    """State of the newest link: none, active, used, expired or revoked."""
    link = newest_link(session, patient=patient)
    if link is None:
        return "none"
    return link_state(link, now)


def link_state(link: EnrolmentLink, now: datetime) -> str:
    if link.used_at is not None:
        return "used"
    if link.revoked_at is not None:
        return "revoked"
    if now >= link.expires_at:
        return "expired"
    return "active"


def redeem_enrolment_link(
    session: Session, *, code: str, label: str, now: datetime, settings: Settings
) -> tuple[Patient, str]:
    """Use a one-time code: (patient, device session token). Exactly one redemption wins."""
    code_hash = hash_token(code)
    # The conditional UPDATE is the single-use guarantee, also under concurrent redemptions.
    claimed = session.execute(
        update(EnrolmentLink)
        .where(
            col(EnrolmentLink.code_hash) == code_hash,
            col(EnrolmentLink.used_at).is_(None),
            col(EnrolmentLink.revoked_at).is_(None),
            col(EnrolmentLink.expires_at) > now,
        )
        .values(used_at=now)
    )
    link = session.exec(select(EnrolmentLink).where(EnrolmentLink.code_hash == code_hash)).first()
    if link is None:
        raise NotFound(f"This link is not valid. {ENROL_AGAIN}", code="link_unknown")
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        state = link_state(link, now)
        raise Gone(
            f"This link has already been used or has expired. {ENROL_AGAIN}", code=f"link_{state}"
        )
    patient = session.get(Patient, link.patient_id)
    assert patient is not None  # foreign key
    token, token_hash = new_token()
    session.add(
        DeviceSession(
            patient_id=patient.id,
            token_hash=token_hash,
            label=label[:120],
            created_at=now,
            last_seen_at=now,
            expires_at=now + settings.device_session_lifetime,
        )
    )
    session.flush()
    return patient, token


# Built once, not per request: composing a statement and its cache key costs more CPU than
# running this one, and every request from a phone runs it.
_DEVICE_BY_TOKEN_HASH = (
    select(DeviceSession, Patient)
    .join(Patient, col(Patient.id) == DeviceSession.patient_id)
    .where(col(DeviceSession.token_hash) == bindparam("token_hash"))
)


def device_for_token(
    session: Session, *, token: str, now: datetime
) -> tuple[DeviceSession, Patient] | None:
    """The live device session behind a token and its patient, else None."""
    row = session.exec(_DEVICE_BY_TOKEN_HASH, params={"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    device, patient = row
    if device.revoked_at is not None or now >= device.expires_at:
        return None
    # The device's last use (for "revoke device"), at most one write per device per hour.
    if now - device.last_seen_at >= timedelta(hours=1):
        device.last_seen_at = now
        session.add(device)
    # The patient's last activity for the clinic's list, at most one write per few minutes.
    if patient.last_active_at is None or now - patient.last_active_at >= ACTIVITY_RESOLUTION:
        patient.last_active_at = now
        session.add(patient)
    return device, patient


def end_device_session(session: Session, *, token: str, now: datetime) -> None:
    session.execute(
        update(DeviceSession)
        .where(
            col(DeviceSession.token_hash) == hash_token(token),
            col(DeviceSession.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )


def active_device_count(session: Session, *, patient: Patient, now: datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(DeviceSession)
        .where(
            DeviceSession.patient_id == patient.id,
            col(DeviceSession.revoked_at).is_(None),
            col(DeviceSession.expires_at) > now,
        )
    ).one()


def clinic_of_patient(session: Session, patient: Patient) -> Clinic:
    clinic = session.get(Clinic, patient.clinic_id)
    assert clinic is not None  # foreign key
    return clinic
