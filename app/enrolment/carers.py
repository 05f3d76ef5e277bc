"""A patient's carers, as the patient and the clinic manage them: invite, list, change, remove."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.config import Settings
from app.enrolment import carer_devices
from app.enrolment.models import CarerInvited
from app.enrolment.service import enrolment_status, issue_enrolment_link, revoke_enrolment_links
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


@dataclass(frozen=True)
class CarersOf:
    """One patient's carers, managed by the patient on their own phone (`staff` None) or by a
    staff member of their clinic; every change is audited as theirs."""

    session: Session
    patient: Patient
    staff: StaffUser | None
    now: datetime
    settings: Settings
    ip: str = ""

    def listed(self) -> list[CarerPublic]:
        """The helpers not removed, oldest first, with their newest link's state."""
        links = self.session.exec(
            select(CarerLink)
            .where(CarerLink.patient_id == self.patient.id, col(CarerLink.removed_at).is_(None))
            .order_by(col(CarerLink.created_at), col(CarerLink.id))
        ).all()
        return [self._public(link) for link in links]

    def invite(self, data: CarerInvite) -> CarerInvited:
        """A new helper with their own one-time link (shown once); at most MAX_CARERS."""
        active = self.session.exec(
            select(func.count())
            .select_from(CarerLink)
            .where(CarerLink.patient_id == self.patient.id, col(CarerLink.removed_at).is_(None))
        ).one()
        if active >= MAX_CARERS:
            raise Conflict(
                f"You already have {MAX_CARERS} helpers. Remove one before inviting another.",
                code=ErrorCode.TOO_MANY_CARERS,
            )
        carer = Carer(created_at=self.now)
        self.session.add(carer)
        self.session.flush()
        link = CarerLink(
            carer_id=carer.id,
            patient_id=self.patient.id,
            name=data.name,
            reminders=data.reminders,
            invited_by=InvitedBy.PATIENT if self.staff is None else InvitedBy.STAFF,
            invited_by_staff=self.staff.id if self.staff is not None else None,
            created_at=self.now,
        )
        self.session.add(link)
        self.session.flush()
        self._audit("carer.invited", link, reminders=link.reminders)
        return self._with_link(link)

    def new_link(self, carer_link_id: uuid.UUID) -> CarerInvited:
        """A fresh link for the helper (another phone, or the first expired); the unused one
        stops working."""
        link = self._get(carer_link_id)
        self._audit("carer.link_issued", link)
        return self._with_link(link)

    def change(self, carer_link_id: uuid.UUID, data: CarerChange) -> CarerPublic:
        """Whether the helper's phones get the patient's reminders; from the next one."""
        link = self._get(carer_link_id)
        if link.reminders != data.reminders:
            link.reminders = data.reminders
            self.session.add(link)
            self.session.flush()
            self._audit("carer.changed", link, reminders=data.reminders)
        return self._public(link)

    def remove(self, carer_link_id: uuid.UUID) -> None:
        """At once: the helper's phones stop showing the patient and get none of their
        reminders, and their unused link stops. The link stays, so what they did names them."""
        link = self._get(carer_link_id)
        link.removed_at = self.now
        link.removed_by = InvitedBy.PATIENT if self.staff is None else InvitedBy.STAFF
        self.session.add(link)
        self.session.flush()
        revoke_enrolment_links(
            self.session, patient=self.patient, now=self.now, carer_link_id=link.id
        )
        signed_out = carer_devices.move_off(self.session, carer_link=link, now=self.now)
        self._audit("carer.removed", link, signed_out=signed_out)

    def _get(self, carer_link_id: uuid.UUID) -> CarerLink:
        """The patient's helper; NotFound for a removed one or another patient's."""
        link = self.session.get(CarerLink, carer_link_id)
        if link is None or link.patient_id != self.patient.id or link.removed_at is not None:
            raise NotFound("No such helper.")
        return link

    def _with_link(self, link: CarerLink) -> CarerInvited:
        issued = issue_enrolment_link(
            self.session, patient=self.patient, now=self.now, settings=self.settings,
            carer_link_id=link.id,
        )  # fmt: skip
        return CarerInvited(carer=public_carer(link, "active"), enrolment=issued.public())

    def _public(self, link: CarerLink) -> CarerPublic:
        state = enrolment_status(
            self.session, patient=self.patient, now=self.now, carer_link_id=link.id
        )
        return public_carer(link, state)

    def _audit(self, action: str, link: CarerLink, **detail: bool | int) -> None:
        """By the staff member, or by the patient on their phone (`by` says so)."""
        audit.record(
            self.session,
            staff=self.staff,
            action=action,
            patient_id=self.patient.id,
            now=self.now,
            ip=self.ip,
            clinic_id=self.patient.clinic_id,
            detail={
                "carer_id": str(link.id),
                **({"by": "patient"} if self.staff is None else {}),
                **detail,
            },
        )
