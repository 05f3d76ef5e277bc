"""Tables and schemas for carers (people who help a patient, each on their own phone), by name."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints
from sqlmodel import Field, Session, SQLModel, col, select

from app.dbtypes import UTCDateTime, foreign_key
from app.shared.text import LINE

# A family, not a call centre: more than this and the clinic should be asked why.
MAX_CARERS = 5


class InvitedBy(StrEnum):
    PATIENT = "patient"
    STAFF = "staff"


class Carer(SQLModel, table=True):
    """One person who helps: their phones' sessions point here, whoever they help.

    No name of its own: each patient (or the clinic) names the helper on the link, and that
    name is what the patient's screens and the console show ("done by Anna").
    """

    __tablename__ = "carer"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class CarerLink(SQLModel, table=True):
    """A carer helps a patient: their phones may show the patient, tick and report for them,
    and get the patient's reminders if `reminders`. Removed links stay, as who did what."""

    __tablename__ = "carer_link"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    carer_id: uuid.UUID = foreign_key("carer.id")
    patient_id: uuid.UUID = foreign_key("patient.id")
    name: str = Field(max_length=120)  # as the patient or clinic named the helper
    reminders: bool = False  # the carer's phones get the patient's reminders too
    invited_by: str = Field(max_length=10)  # an InvitedBy
    # The staff member who invited; None when the patient did (or the account went).
    invited_by_staff: uuid.UUID | None = foreign_key(
        "staff_user.id", required=False, index=False, on_delete="SET NULL"
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    joined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # first phone in
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    removed_by: str = Field(default="", max_length=10)  # an InvitedBy, once removed


class CarerInvite(SQLModel):
    """Invite a helper: how the patient calls them, and whether they get the reminders too."""

    model_config = {"extra": "forbid"}

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), LINE
    ]
    reminders: bool = False


class CarerChange(SQLModel):
    model_config = {"extra": "forbid"}

    reminders: bool


class CarerPublic(SQLModel):
    id: uuid.UUID  # the link's id: the same person helping two patients has two
    name: str
    reminders: bool
    invited_at: datetime
    invited_by: str  # patient or staff
    joined_at: datetime | None  # when their first phone signed in; None: not yet
    enrolment: str  # their newest link: active, used, expired, revoked or none


class HelpedPatient(SQLModel):
    id: uuid.UUID
    name: str


class CarerOfDevice(SQLModel):
    """On a carer's phone: whom they help, and whom the phone shows now (`current`)."""

    id: uuid.UUID  # the link's id for the current patient
    name: str
    patients: list[HelpedPatient]
    current: uuid.UUID


class SwitchRequest(SQLModel):
    model_config = {"extra": "forbid"}

    patient_id: uuid.UUID


def public_carer(link: CarerLink, enrolment: str) -> CarerPublic:
    return CarerPublic(
        id=link.id,
        name=link.name,
        reminders=link.reminders,
        invited_at=link.created_at,
        invited_by=link.invited_by,
        joined_at=link.joined_at,
        enrolment=enrolment,
    )


def carer_names(session: Session, link_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """The helpers' names by link id, removed ones too ("done by Anna"); no query for none."""
    wanted = {link_id for link_id in link_ids if link_id is not None}
    if not wanted:
        return {}
    rows = session.exec(select(CarerLink.id, CarerLink.name).where(col(CarerLink.id).in_(wanted)))
    return dict(rows.all())
