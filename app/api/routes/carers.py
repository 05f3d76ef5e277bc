"""Carers routes: the patient (on their own phone) and the clinic invite, change and remove."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from app.api.deps import ClockDep, SessionDep, SettingsDep
from app.api.patient_access import StaffAccess
from app.api.patient_auth import OwnPhonePatient
from app.enrolment.carers import CarersOf
from app.enrolment.models import CarerInvited
from app.error_codes import ErrorCode
from app.errors import errors
from app.patients.carers import CarerChange, CarerInvite, CarerPublic
from app.shared.client_address import client_ip

router = APIRouter(tags=["carers"])


# `async def`: no I/O here, and a sync dependency would cost a worker-thread hop.
async def own_carers(
    patient: OwnPhonePatient,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> CarersOf:
    """The patient's carers, managed by the patient on their own phone."""
    return CarersOf(
        session=session, patient=patient, staff=None, now=clock.now(), settings=settings,
        ip=client_ip(request),
    )  # fmt: skip


def clinic_carers(patient_id: uuid.UUID, access: StaffAccess, settings: SettingsDep) -> CarersOf:
    """The carers of a patient of the staff member's clinic (404 for another clinic's)."""
    return CarersOf(
        session=access.session, patient=access.patient(patient_id), staff=access.staff,
        now=access.now, settings=settings, ip=client_ip(access.request),
    )  # fmt: skip


OwnCarers = Annotated[CarersOf, Depends(own_carers)]
ClinicCarers = Annotated[CarersOf, Depends(clinic_carers)]

_OWN = (ErrorCode.NOT_AUTHENTICATED, ErrorCode.CARER_NOT_ALLOWED)
_STAFF = (ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND)


# --- the patient, on their own phone ----------------------------------------------------------


@router.get("/api/me/carers", responses=errors(*_OWN))
def list_my_carers(carers: OwnCarers) -> list[CarerPublic]:
    """The people who help the patient (not removed ones), oldest first."""
    return carers.listed()


@router.post(
    "/api/me/carers",
    status_code=status.HTTP_201_CREATED,
    responses=errors(*_OWN, ErrorCode.INVALID_INPUT, ErrorCode.TOO_MANY_CARERS),
)
def invite_my_carer(body: CarerInvite, carers: OwnCarers) -> CarerInvited:
    """Invite a helper: their own one-time link (shown once) signs in their phone. At most 5
    helpers at a time (409 `too_many_carers`)."""
    return carers.invite(body)


@router.post(
    "/api/me/carers/{carer_id}/link",
    status_code=status.HTTP_201_CREATED,
    responses=errors(*_OWN, ErrorCode.NOT_FOUND),
)
def new_link_for_my_carer(carer_id: uuid.UUID, carers: OwnCarers) -> CarerInvited:
    """A fresh link for the helper (for another phone, or the first expired); the unused one
    stops working."""
    return carers.new_link(carer_id)


@router.patch(
    "/api/me/carers/{carer_id}",
    responses=errors(*_OWN, ErrorCode.NOT_FOUND, ErrorCode.INVALID_INPUT),
)
def change_my_carer(carer_id: uuid.UUID, body: CarerChange, carers: OwnCarers) -> CarerPublic:
    """Whether the helper's phone gets the patient's reminders too."""
    return carers.change(carer_id, body)


@router.delete(
    "/api/me/carers/{carer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(*_OWN, ErrorCode.NOT_FOUND),
)
def remove_my_carer(carer_id: uuid.UUID, carers: OwnCarers) -> None:
    """At once: the helper's phones stop showing the patient and get none of their reminders."""
    carers.remove(carer_id)


# --- the clinic -------------------------------------------------------------------------------


@router.get("/api/patients/{patient_id}/carers", responses=errors(*_STAFF))
def list_carers(carers: ClinicCarers) -> list[CarerPublic]:
    """The patient's helpers, not removed ones, oldest first."""
    return carers.listed()


@router.post(
    "/api/patients/{patient_id}/carers",
    status_code=status.HTTP_201_CREATED,
    responses=errors(*_STAFF, ErrorCode.INVALID_INPUT, ErrorCode.TOO_MANY_CARERS),
)
def invite_carer(body: CarerInvite, carers: ClinicCarers) -> CarerInvited:
    """Invite a helper for the patient (audited `carer.invited`); the link is shown once."""
    return carers.invite(body)


@router.post(
    "/api/patients/{patient_id}/carers/{carer_id}/link",
    status_code=status.HTTP_201_CREATED,
    responses=errors(*_STAFF),
)
def new_carer_link(carer_id: uuid.UUID, carers: ClinicCarers) -> CarerInvited:
    """A fresh link for the helper; the unused one stops working (audited)."""
    return carers.new_link(carer_id)


@router.patch(
    "/api/patients/{patient_id}/carers/{carer_id}",
    responses=errors(*_STAFF, ErrorCode.INVALID_INPUT),
)
def change_carer(carer_id: uuid.UUID, body: CarerChange, carers: ClinicCarers) -> CarerPublic:
    """Whether the helper's phone gets the patient's reminders too (audited)."""
    return carers.change(carer_id, body)


@router.delete(
    "/api/patients/{patient_id}/carers/{carer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(*_STAFF),
)
def remove_carer(carer_id: uuid.UUID, carers: ClinicCarers) -> None:
    """At once: the helper's phones stop showing the patient and get none of their reminders
    (audited `carer.removed`)."""
    carers.remove(carer_id)
