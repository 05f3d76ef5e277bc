"""The CurrentPatient dependency: the patient behind the device session cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.cookies import PATIENT_COOKIE
from app.deps import ClockDep, SessionDep
from app.errors import NotAuthenticated
from app.patients.models import Patient
from app.patients.service import ENROL_AGAIN, patient_for_device_token
from app.tokens import looks_like_token


def current_patient(request: Request, session: SessionDep, clock: ClockDep) -> Patient:
    token = request.cookies.get(PATIENT_COOKIE, "")
    patient = (
        patient_for_device_token(session, token=token, now=clock.now())
        if looks_like_token(token)
        else None
    )
    if patient is None:
        raise NotAuthenticated(f"This phone is not signed in. {ENROL_AGAIN}")
    return patient


CurrentPatient = Annotated[Patient, Depends(current_patient)]
