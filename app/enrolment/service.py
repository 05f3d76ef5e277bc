"""Enrolment use cases: enrol a patient, issue and redeem one-time links, device sessions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, case, func, update
from sqlmodel import Session, col, select

from app.care.service import replan_with
from app.clinics.models import Clinic
from app.config import Settings
from app.enrolment import carer_devices
from app.enrolment.devices import start_session
from app.enrolment.models import DeviceSession, EnrolmentLink, EnrolmentPublic
from app.error_codes import ErrorCode
from app.errors import Conflict, Gone, InvalidInput, NotFound
from app.patients.language import check_language
from app.patients.models import Patient, PatientCreate
from app.patients.service import (
    check_booked_time,
    check_day,
    check_treatment_time,
    insert_treatment,
)
from app.protocols.loader import Protocol
from app.shared.qr import qr_svg
from app.shared.tokens import hash_token, new_token
from app.staff.models import StaffUser

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
        raise Conflict(CLINIC_PHONE_MISSING, code=ErrorCode.CLINIC_PHONE_MISSING)
    if not clinic.out_of_hours_phone.strip():
        raise Conflict(OUT_OF_HOURS_MISSING, code=ErrorCode.OUT_OF_HOURS_MISSING)


# Why a known link could not be redeemed; any other state is answered as plain "gone".
UNUSABLE_LINK_CODES = {
    "used": ErrorCode.LINK_USED,
    "revoked": ErrorCode.LINK_REVOKED,
    "expired": ErrorCode.LINK_EXPIRED,
}


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
        raise InvalidInput(DOPPLER_NOT_CONFIRMED, code=ErrorCode.DOPPLER_NOT_CONFIRMED)
    check_day(data.wake_time, data.bed_time)
    check_language(data.language, pseudo_locales=settings.pseudo_locales)
    if data.treatment.booked:  # enrolled at the consultation, before the treatment
        check_booked_time(data.treatment.performed_at, previous=None, now=now)
    else:
        check_treatment_time(data.treatment.performed_at, previous=None, now=now, settings=settings)
    patient = Patient(
        clinic_id=clinic.id,
        name=data.name,
        phone=data.phone,
        email=data.email,
        time_zone=data.time_zone,
        wake_time=data.wake_time,
        bed_time=data.bed_time,
        stockings_advised=data.stockings_advised,
        language=data.language,
        protocol=protocol.name,
        protocol_version=protocol.version,
        doppler_checked_at=now if data.doppler_checked else None,
        doppler_checked_by=staff.id if data.doppler_checked and staff else None,
        created_at=now,
        updated_at=now,
    )
    session.add(patient)
    session.flush()
    insert_treatment(session, patient=patient, data=data.treatment, staff=staff, now=now)
    replan_with(session, patient=patient, protocol=protocol, now=now)
    link = issue_enrolment_link(session, patient=patient, now=now, settings=settings)
    return patient, link


def issue_enrolment_link(
    session: Session,
    *,
    patient: Patient,
    now: datetime,
    settings: Settings,
    carer_link_id: uuid.UUID | None = None,
) -> IssuedLink:
    """Revoke any unused link of the patient (or of that carer of theirs) and issue a new one."""
    revoke_enrolment_links(session, patient=patient, now=now, carer_link_id=carer_link_id)
    code, code_hash = new_token()
    expires_at = now + settings.enrolment_link_lifetime
    session.add(
        EnrolmentLink(
            patient_id=patient.id,
            carer_link_id=carer_link_id,
            code_hash=code_hash,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    # The code travels in the fragment: browsers never send it to the server in a GET.
    return IssuedLink(code=code, url=f"{settings.public_url}/enrol#{code}", expires_at=expires_at)


def _whose(carer_link_id: uuid.UUID | None) -> ColumnElement[bool]:
    """The patient's own links (None), or the links of one of their carers."""
    if carer_link_id is None:
        return col(EnrolmentLink.carer_link_id).is_(None)
    return col(EnrolmentLink.carer_link_id) == carer_link_id


def revoke_enrolment_links(
    session: Session, *, patient: Patient, now: datetime, carer_link_id: uuid.UUID | None = None
) -> int:
    """Stop every unused link of the patient (or of that carer of theirs) from working; how
    many were stopped (0 is fine)."""
    result = session.execute(
        update(EnrolmentLink)
        .where(
            col(EnrolmentLink.patient_id) == patient.id,
            _whose(carer_link_id),
            col(EnrolmentLink.used_at).is_(None),
            col(EnrolmentLink.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def newest_link(
    session: Session, *, patient: Patient, carer_link_id: uuid.UUID | None = None
) -> EnrolmentLink | None:
    return session.exec(
        select(EnrolmentLink)
        .where(EnrolmentLink.patient_id == patient.id, _whose(carer_link_id))
        # Issued in the same instant as the link it replaced: the one not revoked is newer.
        .order_by(
            col(EnrolmentLink.created_at).desc(),
            case((col(EnrolmentLink.revoked_at).is_(None), 0), else_=1),
        )
    ).first()


def enrolment_status(
    session: Session, *, patient: Patient, now: datetime, carer_link_id: uuid.UUID | None = None
) -> str:
    """State of the newest link (the patient's, or a carer's): none, active, used, expired or
    revoked."""
    link = newest_link(session, patient=patient, carer_link_id=carer_link_id)
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
    session: Session,
    *,
    code: str,
    label: str,
    now: datetime,
    settings: Settings,
    signed_in: DeviceSession | None = None,
) -> tuple[Patient, str | None]:
    """Use a one-time code: (patient, device session token). Exactly one redemption wins.

    A carer's link signs in a carer's phone (carer_devices.join); `signed_in` is the session
    this phone already has, if any. The token is None when that session goes on.
    """
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
        raise NotFound(f"This link is not valid. {ENROL_AGAIN}", code=ErrorCode.LINK_UNKNOWN)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        state = link_state(link, now)
        raise Gone(
            f"This link has already been used or has expired. {ENROL_AGAIN}",
            code=UNUSABLE_LINK_CODES.get(state, ErrorCode.GONE),
        )
    if link.carer_link_id is not None:
        return carer_devices.join(
            session, link=link, signed_in=signed_in, label=label, now=now, settings=settings
        )
    patient = session.get(Patient, link.patient_id)
    assert patient is not None  # foreign key
    token = start_session(session, patient_id=patient.id, label=label, now=now, settings=settings)
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
    # A carer's phone shows a patient only through a live link: removal takes effect at once.
    if device.carer_id is not None and not carer_devices.active_link(
        session, carer_id=device.carer_id, patient_id=device.patient_id
    ):
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
            col(DeviceSession.carer_id).is_(None),  # the patient's own phones
            col(DeviceSession.revoked_at).is_(None),
            col(DeviceSession.expires_at) > now,
        )
    ).one()
