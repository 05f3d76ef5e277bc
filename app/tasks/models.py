"""The occurrence table: one row per planned thing, with its completion status."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import Index, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from app.dbtypes import UTCDateTime, foreign_key
from app.timezones import LocalDateTime


class OccurrenceStatus(StrEnum):
    """Stored statuses; `missed` and `ended` are derived at read time from the window."""

    PENDING = "pending"
    DONE = "done"


class Occurrence(SQLModel, table=True):
    __tablename__ = "occurrence"
    __table_args__ = (
        UniqueConstraint("patient_id", "key"),
        Index("ix_occurrence_patient_due", "patient_id", "due_at"),
        # Adherence and the next visit per patient from the index alone (the list's sorts),
        # and the overview's counts by task and by day after treatment without the table.
        Index(
            "ix_occurrence_kind_patient_due",
            "kind",
            "patient_id",
            "due_at",
            "status",
            "treatment_day",
            "task",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    patient_id: uuid.UUID = foreign_key(
        "patient.id", index=False
    )  # ix_occurrence_patient_due leads with it
    key: str = Field(max_length=80)  # stable across recomputation, from the care plan
    task: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    title: str = Field(max_length=200)
    instructions: str = Field(max_length=2000)
    due_at: datetime = Field(sa_type=UTCDateTime)
    window_end: datetime = Field(sa_type=UTCDateTime)
    notifies: bool
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rank: int = 0  # the rule's place in the protocol: the order of things due at one instant
    # A clinic visit not booked yet: a target day on the clinic's clock, no agreed time, no
    # reminder (migration 0008).
    tentative: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    status: str = Field(default=OccurrenceStatus.PENDING, max_length=10)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Ticked on a carer's phone: the carer's link (carer_link.id; its name says who), kept
    # like treatment.recorded_by without a foreign key. None: the patient did.
    completed_by_carer: uuid.UUID | None = None
    # Local days since the latest treatment at or before due_at (app/tasks/treatment_day.py);
    # derived, kept current by every sync of the plan, history rows included.
    treatment_day: int | None = None
    # Done for a treatment later voided (wrong patient, never happened): kept as history,
    # shown as belonging to that treatment (migration 0012).
    voided: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


# The answers below are plain pydantic models, not SQLModel ones: a phone's day is built one
# per row, and SQLModel's own __init__ and serialiser took about twice as long for the same
# fields (2.2 against 4.4 us to build one, 44 against 73 us to write 33 as JSON, one process).
class OccurrencePublic(BaseModel):
    """An occurrence as clients see it; `status` is pending, done, missed or ended."""

    id: uuid.UUID
    key: str
    task: str
    kind: str
    title: str
    instructions: str
    due_at: datetime
    local_due: LocalDateTime  # due_at in the patient's zone, with its offset
    window_end: datetime
    # Advice or a restriction that ends at a local midnight: its last whole day (inclusive), so
    # the app and the console name the same day (app/careplan/daytime.py last_day).
    last_day: date | None = None
    notifies: bool
    # A clinic visit not booked yet: its day is a target, its time of day a guess.
    tentative: bool = False
    status: str
    completed_at: datetime | None
    completed_by: str | None = None  # the carer's name when a carer ticked it
    voided: bool = False  # done for a treatment since voided: history, not the plan


class ProgressLinePublic(BaseModel):
    """One line of progress in the server's words (app/careplan/progress.py): `text` first,
    then `more`; `day` of `total` days passed for a span's or course's visual, else null."""

    key: str  # the task code, "visit" or "tasks"
    kind: str  # span, course, visit or tasks
    title: str
    text: str
    more: str = ""
    day: int | None = None
    total: int | None = None


class ProgressPublic(BaseModel):
    """Where the patient is in their plan on a local day."""

    date: date
    lines: list[ProgressLinePublic]
