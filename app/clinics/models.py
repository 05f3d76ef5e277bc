"""API schemas for clinic settings (the Clinic table itself lives in app/staff/models.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import StringConstraints, model_validator
from sqlmodel import Field, SQLModel

from app.clinics.opening_hours import Hours, OpeningHours
from app.shared.phone import PhoneNumber
from app.timezones import TimeZoneName

ClinicName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# What patients are told to dial in an emergency: 999, 112, 911, 000 or a full number.
EmergencyNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ]{1,18}$")
]


# Who patients call out of hours, as the advice names them: "Call {out_of_hours_name} on ...".
OutOfHoursName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[^{}]*$")
]


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

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: object) -> object:
        # Omitting a field keeps it; null would read as "clear it", which no setting allows.
        if isinstance(data, dict):
            nulls = sorted(str(name) for name, value in data.items() if value is None)
            if nulls:
                raise ValueError(f"{', '.join(nulls)} cannot be null: leave a field out to keep it")
        return data
