"""Schemas for clinic visits: a patient's planned visits, the visits to book, a booking."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import AwareDatetime, StrictBool
from sqlmodel import SQLModel

from app.timezones import LocalDateTime


class PatientAppointment(SQLModel):
    """A planned visit: `due_at` is when it is now, `computed_at` what the protocol alone gives."""

    key: str
    title: str
    due_at: datetime
    local_due: LocalDateTime
    computed_at: datetime | None  # None if the protocol no longer plans this visit
    booked: bool
    tentative: bool  # not booked: a target day on the clinic's clock, no reminder


class VisitToBook(SQLModel):
    """A clinic visit not booked yet, with a time to offer inside the opening hours."""

    patient_id: uuid.UUID
    patient_name: str
    key: str
    title: str
    target_day: date  # in the clinic's zone
    due_at: datetime  # the planned (tentative) instant
    suggested_at: LocalDateTime  # in the clinic's zone, inside its opening hours


class AppointmentBookingIn(SQLModel):
    model_config = {"extra": "forbid"}

    booked_at: AwareDatetime
    # True: book even when the clinic is closed then or it is the patient's night (after a
    # 409 `booking_outside_hours` / `booking_in_patients_night` said so). Never overrides
    # `booking_out_of_order`.
    book_anyway: StrictBool = False
