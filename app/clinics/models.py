"""The clinic table and the API schemas for its settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import StringConstraints, model_validator
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.clinics.opening_hours import Hours, OpeningHours
from app.dbtypes import UTCDateTime
from app.shared.phone import PhoneNumber
from app.shared.text import LINE
from app.timezones import TimeZoneName
from app.validation_words import field_words

DEFAULT_OPENING_HOURS: dict[str, list[list[str]]] = {
    day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
}

# The leaflet's must-not-miss steps: taking the stocking off, the cream, the follow-up visits.
DEFAULT_FALLBACK_TASKS = ("remove_stocking", "hydrocortisone", "follow_up")


class Clinic(SQLModel, table=True):
    __tablename__ = "clinic"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    phone: str = Field(default="", max_length=40)
    # Who urgent reports are sent to while the clinic is closed: the patient is told to call
    # `out_of_hours_name` on `out_of_hours_phone`. Patients are enrolled only once both the
    # clinic phone and this phone are set.
    out_of_hours_phone: str = Field(default="", max_length=40)
    out_of_hours_name: str = Field(default="the on-call nurse", max_length=80)
    # The number patients are told to call in an emergency (999 in the UK, 112 in the EU).
    emergency_number: str = Field(default="999", max_length=20)
    # The clinic's own triage rules (app/reports/triage_rules.toml shape); None: the defaults.
    triage_rules: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    # The clinic's own zone: opening hours are local wall-clock times in it.
    time_zone: str = Field(default="Europe/London", max_length=64)
    # {"mon": [["08:00", "18:00"]], ...}: weekday -> open intervals; a missing day is closed.
    opening_hours: dict[str, list[list[str]]] = Field(
        default_factory=lambda: dict(DEFAULT_OPENING_HOURS), sa_type=JSON
    )
    # An alert nobody acknowledges within this many minutes escalates, at any hour.
    alert_escalation_minutes: int = 15
    # Reminders by e-mail or SMS (docs/careplan.md, "Other channels"): the tasks (protocol
    # codes) whose reminders fall back when a push is not shown within fallback_after_minutes,
    # or cannot go at all; at most this many messages per patient per local day and channel.
    fallback_after_minutes: int = 10
    fallback_tasks: list[str] = Field(
        default_factory=lambda: list(DEFAULT_FALLBACK_TASKS), sa_type=JSON
    )
    sms_per_day: int = 4
    emails_per_day: int = 10
    created_at: datetime = Field(sa_type=UTCDateTime)


ClinicName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), LINE
]
# What patients are told to dial in an emergency: 999, 112, 911, 000 or a full number.
EmergencyNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ]{1,18}$")
]


# Who patients call out of hours, as the advice names them: "Call {out_of_hours_name} on ...".
OutOfHoursName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[^{}]*$"),
    LINE,
]


class OfferedLanguage(SQLModel):
    """A language this server offers patients, named in its own language ("Polski")."""

    code: str
    name: str


class ClinicSettings(SQLModel):
    id: uuid.UUID
    name: str
    phone: str
    out_of_hours_phone: str
    out_of_hours_name: str
    emergency_number: str
    time_zone: str
    opening_hours: Hours
    alert_escalation_minutes: int
    fallback_after_minutes: int
    fallback_tasks: list[str]
    sms_per_day: int
    emails_per_day: int
    # The languages a patient may be enrolled in (code, own name), for the console's forms.
    languages: list[OfferedLanguage] = []


TaskCode = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,40}$")]


class ClinicSettingsUpdate(SQLModel):
    """Admin changes; omitted fields stay as they are."""

    model_config = {"extra": "forbid"}

    name: ClinicName | None = None
    phone: PhoneNumber | None = None
    out_of_hours_phone: PhoneNumber | None = None
    # e.g. "the on-call nurse" or "NHS 111".
    out_of_hours_name: OutOfHoursName | None = None
    emergency_number: EmergencyNumber | None = None
    time_zone: TimeZoneName | None = None
    opening_hours: OpeningHours | None = None
    # Minutes an alert may stay unacknowledged before it escalates: a minute to a day.
    alert_escalation_minutes: int | None = Field(default=None, ge=1, le=1440)
    # Reminders by e-mail or SMS: how long a push may go unseen first (a minute to 4 hours),
    # which tasks' reminders do (protocol codes; [] for none), and at most how many a day.
    fallback_after_minutes: int | None = Field(default=None, ge=1, le=240)
    fallback_tasks: list[TaskCode] | None = Field(default=None, max_length=40)
    sms_per_day: int | None = Field(default=None, ge=0, le=50)
    emails_per_day: int | None = Field(default=None, ge=0, le=50)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: object) -> object:
        # Omitting a field keeps it; null would read as "clear it", which no setting allows.
        if isinstance(data, dict):
            nulls = sorted(str(name) for name, value in data.items() if value is None)
            if nulls:
                raise ValueError(
                    f"{field_words(nulls[0])} cannot be removed: leave it out to keep it"
                )
        return data
