"""Carers' phones: signing one in with a carer's link, switching whom it shows, moving it off."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, delete, update
from sqlmodel import Session, col, select

from app.config import Settings
from app.enrolment.devices import start_session
from app.enrolment.models import DeviceSession, EnrolmentLink
from app.error_codes import ErrorCode
from app.errors import Conflict, Forbidden, Gone, NotFound
from app.notifications.models import PushSubscription
from app.patients.carers import Carer, CarerLink, CarerOfDevice, HelpedPatient
from app.patients.models import Patient
from app.staff import audit

PATIENT_PHONE = (
    "This phone is signed in as a patient. A helper's link opens on the helper's own phone."
)
WITHDRAWN = "This helper's link was withdrawn. Please ask for a new one."


def active_link(
    session: Session, *, carer_id: uuid.UUID, patient_id: uuid.UUID
) -> CarerLink | None:
    return session.exec(
        select(CarerLink).where(
            CarerLink.carer_id == carer_id,
            CarerLink.patient_id == patient_id,
            col(CarerLink.removed_at).is_(None),
        )
    ).first()


def join(
    session: Session,
    *,
    link: EnrolmentLink,
    signed_in: DeviceSession | None,
    label: str,
    now: datetime,
    settings: Settings,
) -> tuple[Patient, str | None]:
    """A carer's link just claimed: this phone now shows its patient. (patient, new token, or
    None when the phone's own session goes on.)

    A phone already signed in as a carer stays that carer's, now helping one more person
    (the link is moved to them: one carer, two parents). A phone signed in as a patient is
    refused: signing the patient out silently would stop their reminders.
    """
    assert link.carer_link_id is not None
    carer_link = session.get(CarerLink, link.carer_link_id)
    if carer_link is None or carer_link.removed_at is not None:
        raise Gone(WITHDRAWN, code=ErrorCode.LINK_REVOKED)
    patient = session.get(Patient, carer_link.patient_id)
    assert patient is not None  # foreign key
    if signed_in is not None and signed_in.carer_id is None:
        raise Conflict(PATIENT_PHONE, code=ErrorCode.CARER_LINK_ON_PATIENT_PHONE)
    if carer_link.joined_at is None:
        carer_link.joined_at = now
    audit.record(
        session,
        staff=None,
        action="carer.joined",
        patient_id=patient.id,
        now=now,
        clinic_id=patient.clinic_id,
        detail={"carer_id": str(carer_link.id), "by": "carer"},
    )
    if signed_in is not None and signed_in.carer_id is not None:
        _move_link_to(session, carer_link, signed_in.carer_id, now)
        signed_in.patient_id = patient.id
        session.add_all([carer_link, signed_in])
        session.flush()
        return patient, None
    session.add(carer_link)
    token = start_session(
        session, patient_id=patient.id, carer_id=carer_link.carer_id, label=label, now=now,
        settings=settings,
    )  # fmt: skip
    return patient, token


def _move_link_to(
    session: Session, carer_link: CarerLink, carer_id: uuid.UUID, now: datetime
) -> None:
    """Give the link to the carer this phone belongs to; an older link of theirs to the same
    patient is replaced by it, and the link's first carer goes if it now helps nobody."""
    if carer_link.carer_id == carer_id:
        return
    earlier = active_link(session, carer_id=carer_id, patient_id=carer_link.patient_id)
    if earlier is not None:
        earlier.removed_at, earlier.removed_by = now, "replaced"
        session.add(earlier)
    first_carer = carer_link.carer_id
    carer_link.carer_id = carer_id
    session.add(carer_link)
    session.flush()
    _forget_if_alone(session, first_carer)


def _forget_if_alone(session: Session, carer_id: uuid.UUID) -> None:
    """A carer with no link left (not even a removed one) has nothing to keep."""
    if session.exec(select(CarerLink.id).where(CarerLink.carer_id == carer_id)).first() is None:
        session.execute(delete(PushSubscription).where(col(PushSubscription.carer_id) == carer_id))
        session.execute(delete(DeviceSession).where(col(DeviceSession.carer_id) == carer_id))
        session.execute(delete(Carer).where(col(Carer.id) == carer_id))


def switch(session: Session, *, device: DeviceSession, patient_id: uuid.UUID) -> None:
    """Show another person this carer helps on this phone."""
    if device.carer_id is None:
        raise Forbidden(
            "Only a helper's phone can switch between people.", code=ErrorCode.CARER_ONLY
        )
    if active_link(session, carer_id=device.carer_id, patient_id=patient_id) is None:
        raise NotFound("You are not helping this person (any more).")
    device.patient_id = patient_id
    session.add(device)
    session.flush()


def carer_of_device(session: Session, device: DeviceSession) -> CarerOfDevice | None:
    """Whom a carer's phone helps and shows; None on a patient's own phone."""
    if device.carer_id is None:
        return None
    rows = session.exec(
        select(CarerLink, Patient)
        .join(Patient, col(Patient.id) == CarerLink.patient_id)
        .where(CarerLink.carer_id == device.carer_id, col(CarerLink.removed_at).is_(None))
        .order_by(col(Patient.name), col(Patient.id))
    ).all()
    current = next((link for link, _ in rows if link.patient_id == device.patient_id), None)
    if current is None:
        return None
    return CarerOfDevice(
        id=current.id,
        name=current.name,
        patients=[HelpedPatient(id=patient.id, name=patient.name) for _, patient in rows],
        current=device.patient_id,
    )


def acting_link(
    session: Session, device: DeviceSession | None, patient_id: uuid.UUID | None = None
) -> uuid.UUID | None:
    """The carer link a phone acts through for the patient (by default the one it shows), whose
    name goes on what it does; None for a patient's own phone, no phone, or no live link."""
    if device is None or device.carer_id is None:
        return None
    link = active_link(
        session, carer_id=device.carer_id, patient_id=patient_id or device.patient_id
    )
    return link.id if link is not None else None


def switch_away(session: Session, *, carer_link: CarerLink) -> bool:
    """The carer's phones showing the link's patient now show another person they help;
    False if they help nobody else (the phones are left as they are)."""
    other = session.exec(
        select(CarerLink.patient_id)
        .where(
            CarerLink.carer_id == carer_link.carer_id,
            col(CarerLink.removed_at).is_(None),
            CarerLink.id != carer_link.id,
        )
        .order_by(col(CarerLink.created_at))
    ).first()
    if other is None:
        return False
    session.execute(update(DeviceSession).where(*_showing(carer_link)).values(patient_id=other))
    return True


def move_off(session: Session, *, carer_link: CarerLink, now: datetime) -> int:
    """A link just removed: the carer's phones showing its patient switch to another person
    they help, or are signed out; without a link left, their push subscriptions go. How many
    phones were signed out."""
    if switch_away(session, carer_link=carer_link):
        return 0
    signed_out = session.execute(
        update(DeviceSession).where(*_showing(carer_link)).values(revoked_at=now)
    )
    session.execute(
        delete(PushSubscription).where(col(PushSubscription.carer_id) == carer_link.carer_id)
    )
    return int(signed_out.rowcount)  # type: ignore[attr-defined]


def _showing(carer_link: CarerLink) -> tuple[ColumnElement[bool], ...]:
    """The carer's live phones that show the link's patient now."""
    return (
        col(DeviceSession.carer_id) == carer_link.carer_id,
        col(DeviceSession.patient_id) == carer_link.patient_id,
        col(DeviceSession.revoked_at).is_(None),
    )
