"""A patient's carers, as the patient and the clinic manage them: invite, list, change, remove."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.config import Settings
from app.enrolment import carer_devices
from app.enrolment.service import (
    IssuedLink,
    enrolment_status,
    issue_enrolment_link,
    revoke_enrolment_links,
)
from app.error_codes import ErrorCode
from app.errors import Conflict, NotFound
from app.patients.carers import (
    MAX_CARERS,
    Carer,
    CarerChange,
    CarerInvite,
    CarerLink,
    CarerPublic,
    InvitedBy,
    public_carer,
)
from app.patients.models import Patient
from app.staff import audit
from app.staff.models import StaffUser


def invite(
    session: Session,
    *,
    patient: Patient,
    data: CarerInvite,
    staff: StaffUser | None,
    now: datetime,
    settings: Settings,
    ip: str = "",
) -> tuple[CarerLink, IssuedLink]:
    """A new helper for the patient, with their own one-time link; by the patient when `staff`
    is None. Audited either way."""
    active = session.exec(
        select(func.count())
        .select_from(CarerLink)
        .where(CarerLink.patient_id == patient.id, col(CarerLink.removed_at).is_(None))
    ).one()
    if active >= MAX_CARERS:
        raise Conflict(
            f"You already have {MAX_CARERS} helpers. Remove one before inviting another.",
            code=ErrorCode.TOO_MANY_CARERS,
        )
    carer = Carer(created_at=now)
    session.add(carer)
    session.flush()
    link = CarerLink(
        carer_id=carer.id,
        patient_id=patient.id,
        name=data.name,
        reminders=data.reminders,
        invited_by=InvitedBy.PATIENT if staff is None else InvitedBy.STAFF,
        invited_by_staff=staff.id if staff is not None else None,
        created_at=now,
    )
    session.add(link)
    session.flush()
    issued = issue_enrolment_link(
        session, patient=patient, now=now, settings=settings, carer_link_id=link.id
    )
    _audit(session, "carer.invited", link, patient, staff, now, ip, reminders=link.reminders)
    return link, issued


def new_link(
    session: Session,
    *,
    patient: Patient,
    carer_link: CarerLink,
    staff: StaffUser | None,
    now: datetime,
    settings: Settings,
    ip: str = "",
) -> IssuedLink:
    """A fresh one-time link for the helper (the unused one stops working): for a second phone,
    or when the first expired."""
    issued = issue_enrolment_link(
        session, patient=patient, now=now, settings=settings, carer_link_id=carer_link.id
    )
    _audit(session, "carer.link_issued", carer_link, patient, staff, now, ip)
    return issued


def carers_of(session: Session, *, patient: Patient, now: datetime) -> list[CarerPublic]:
    """The patient's helpers not removed, oldest first, with their newest link's state."""
    links = session.exec(
        select(CarerLink)
        .where(CarerLink.patient_id == patient.id, col(CarerLink.removed_at).is_(None))
        .order_by(col(CarerLink.created_at), col(CarerLink.id))
    ).all()
    return [carer_public(session, patient=patient, carer_link=link, now=now) for link in links]


def carer_public(
    session: Session, *, patient: Patient, carer_link: CarerLink, now: datetime
) -> CarerPublic:
    state = enrolment_status(session, patient=patient, now=now, carer_link_id=carer_link.id)
    return public_carer(carer_link, state)


def get(session: Session, *, patient: Patient, carer_link_id: uuid.UUID) -> CarerLink:
    """The patient's helper; NotFound for a removed one or another patient's."""
    link = session.get(CarerLink, carer_link_id)
    if link is None or link.patient_id != patient.id or link.removed_at is not None:
        raise NotFound("No such helper.")
    return link


def change(
    session: Session,
    *,
    patient: Patient,
    carer_link: CarerLink,
    data: CarerChange,
    staff: StaffUser | None,
    now: datetime,
    ip: str = "",
) -> CarerLink:
    """Whether the helper's phones get the patient's reminders; effective from the next one."""
    if carer_link.reminders != data.reminders:
        carer_link.reminders = data.reminders
        session.add(carer_link)
        session.flush()
        _audit(
            session, "carer.changed", carer_link, patient, staff, now, ip, reminders=data.reminders
        )
    return carer_link


def remove(
    session: Session,
    *,
    patient: Patient,
    carer_link: CarerLink,
    staff: StaffUser | None,
    now: datetime,
    ip: str = "",
) -> None:
    """At once: the helper's phones stop showing the patient and get none of their reminders,
    and their unused link stops working. The link stays, so what they did still names them."""
    carer_link.removed_at = now
    carer_link.removed_by = InvitedBy.PATIENT if staff is None else InvitedBy.STAFF
    session.add(carer_link)
    session.flush()
    revoke_enrolment_links(session, patient=patient, now=now, carer_link_id=carer_link.id)
    signed_out = carer_devices.move_off(session, carer_link=carer_link, now=now)
    _audit(session, "carer.removed", carer_link, patient, staff, now, ip, signed_out=signed_out)


def _audit(
    session: Session,
    action: str,
    carer_link: CarerLink,
    patient: Patient,
    staff: StaffUser | None,
    now: datetime,
    ip: str,
    **detail: bool | int,
) -> None:
    """By a staff member, or by the patient on their phone (no staff member: `by` says so)."""
    audit.record(
        session,
        staff=staff,
        action=action,
        patient_id=patient.id,
        now=now,
        ip=ip,
        clinic_id=patient.clinic_id,
        detail={
            "carer_id": str(carer_link.id),
            **({"by": "patient"} if staff is None else {}),
            **detail,
        },
    )
