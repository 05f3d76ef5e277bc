"""The patient and phone behind the cookie (theirs or a carer's), and what only their own may do."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.api.cookies import PATIENT_COOKIE, session_token
from app.api.deps import ClockDep, SessionDep, SettingsDep
from app.api.error_words import LANGUAGE_STATE
from app.config import Settings
from app.enrolment.models import DeviceSession
from app.enrolment.service import ENROL_AGAIN, device_for_token
from app.error_codes import ErrorCode
from app.errors import Forbidden, NotAuthenticated
from app.patients.models import Patient
from app.shared.tokens import looks_like_token


def signed_in_device(
    request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep
) -> tuple[DeviceSession, Patient]:
    """The live device session and its patient; FastAPI resolves it once per request."""
    token = session_token(request, PATIENT_COOKIE, settings)
    found = (
        device_for_token(session, token=token, now=clock.now()) if looks_like_token(token) else None
    )
    if found is None:
        raise NotAuthenticated(f"This phone is not signed in. {ENROL_AGAIN}")
    # Refusals from here on are worded in the patient's language (app/api/error_words.py).
    setattr(request.state, LANGUAGE_STATE, found[1].language)
    return found


def device_if_signed_in(
    request: Request, session: Session, settings: Settings, now: datetime
) -> DeviceSession | None:
    """The live session this phone has, if any, for routes open without one (enrolling, a
    notification's buttons)."""
    token = session_token(request, PATIENT_COOKIE, settings)
    found = device_for_token(session, token=token, now=now) if looks_like_token(token) else None
    return found[0] if found else None


SignedInDevice = Annotated[tuple[DeviceSession, Patient], Depends(signed_in_device)]


# `async def`: no I/O here, and a sync dependency would cost a worker-thread hop.
async def current_patient(signed_in: SignedInDevice) -> Patient:
    return signed_in[1]


async def current_device(signed_in: SignedInDevice) -> DeviceSession:
    return signed_in[0]


async def patient_on_own_phone(signed_in: SignedInDevice) -> Patient:
    """The patient, on their own phone: a carer's phone may not change the patient's day,
    reminder channel or helpers (403 `carer_not_allowed`)."""
    device, patient = signed_in
    if device.carer_id is not None:
        raise Forbidden(
            f"Only {patient.name} can change this, on their own phone, or the clinic can.",
            code=ErrorCode.CARER_NOT_ALLOWED,
        )
    return patient


CurrentPatient = Annotated[Patient, Depends(current_patient)]
CurrentDevice = Annotated[DeviceSession, Depends(current_device)]
# Only on the patient's own phone (not a carer's).
OwnPhonePatient = Annotated[Patient, Depends(patient_on_own_phone)]
