"""CurrentPatient and CurrentDevice: the patient and device session behind the cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.api.cookies import PATIENT_COOKIE, session_token
from app.api.deps import ClockDep, SessionDep, SettingsDep
from app.enrolment.models import DeviceSession
from app.enrolment.service import ENROL_AGAIN, device_for_token
from app.errors import NotAuthenticated
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
    return found


SignedInDevice = Annotated[tuple[DeviceSession, Patient], Depends(signed_in_device)]


# `async def`: no I/O here, and a sync dependency would cost a worker-thread hop.
async def current_patient(signed_in: SignedInDevice) -> Patient:
    return signed_in[1]


async def current_device(signed_in: SignedInDevice) -> DeviceSession:
    return signed_in[0]


CurrentPatient = Annotated[Patient, Depends(current_patient)]
CurrentDevice = Annotated[DeviceSession, Depends(current_device)]
