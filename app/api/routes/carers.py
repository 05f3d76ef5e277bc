"""Carers routes: the patient (on their own phone) and the clinic invite, change and remove."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from app.api.deps import ClockDep, SessionDep, SettingsDep
from app.api.patient_access import StaffAccess
from app.api.patient_auth import OwnPhonePatient
from app.enrolment import carers
from app.enrolment.models import CarerInvited
from app.enrolment.service import IssuedLink
from app.error_codes import ErrorCode
from app.errors import errors
from app.patients.carers import CarerChange, CarerInvite, CarerLink, CarerPublic, public_carer
from app.shared.client_address import client_ip

router = APIRouter(tags=["carers"])

_OWN = (ErrorCode.NOT_AUTHENTICATED, ErrorCode.CARER_NOT_ALLOWED)
_STAFF = (ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND)


def _invited(link: CarerLink, issued: IssuedLink) -> CarerInvited:
    return CarerInvited(carer=public_carer(link, "active"), enrolment=issued.public())


# --- the patient, on their own phone ----------------------------------------------------------


@router.get("/api/me/carers", responses=errors(*_OWN))
def list_my_carers(
    patient: OwnPhonePatient, session: SessionDep, clock: ClockDep
) -> list[CarerPublic]:
    """The people who help the patient (not removed ones), oldest first."""
    return carers.carers_of(session, patient=patient, now=clock.now())


@router.post(
    "/api/me/carers",
    status_code=status.HTTP_201_CREATED,
    responses=errors(*_OWN, ErrorCode.INVALID_INPUT, ErrorCode.TOO_MANY_CARERS),
)
def invite_my_carer(
    body: CarerInvite,
    patient: OwnPhonePatient,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> CarerInvited:
    """Invite a helper: their own one-time link (shown once) signs in their phone. At most 5
    helpers at a time (409 `too_many_carers`)."""
    link, issued = carers.invite(
        session, patient=patient, data=body, staff=None, now=clock.now(), settings=settings,
        ip=client_ip(request),
    )  # fmt: skip
    return _invited(link, issued)


@router.post(
    "/api/me/carers/{carer_id}/link",
    status_code=status.HTTP_201_CREATED,
    responses=errors(*_OWN, ErrorCode.NOT_FOUND),
)
def new_link_for_my_carer(
    carer_id: uuid.UUID,
    patient: OwnPhonePatient,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> CarerInvited:
    """A fresh link for the helper (for another phone, or the first expired); the unused one
    stops working."""
    link = carers.get(session, patient=patient, carer_link_id=carer_id)
    issued = carers.new_link(
        session, patient=patient, carer_link=link, staff=None, now=clock.now(),
        settings=settings, ip=client_ip(request),
    )  # fmt: skip
    return _invited(link, issued)


@router.patch(
    "/api/me/carers/{carer_id}",
    responses=errors(*_OWN, ErrorCode.NOT_FOUND, ErrorCode.INVALID_INPUT),
)
def change_my_carer(
    carer_id: uuid.UUID,
    body: CarerChange,
    patient: OwnPhonePatient,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
) -> CarerPublic:
    """Whether the helper's phone gets the patient's reminders too."""
    now = clock.now()
    link = carers.get(session, patient=patient, carer_link_id=carer_id)
    carers.change(
        session, patient=patient, carer_link=link, data=body, staff=None, now=now,
        ip=client_ip(request),
    )  # fmt: skip
    return carers.carer_public(session, patient=patient, carer_link=link, now=now)


@router.delete(
    "/api/me/carers/{carer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(*_OWN, ErrorCode.NOT_FOUND),
)
def remove_my_carer(
    carer_id: uuid.UUID,
    patient: OwnPhonePatient,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
) -> None:
    """At once: the helper's phones stop showing the patient and get none of their reminders."""
    link = carers.get(session, patient=patient, carer_link_id=carer_id)
    carers.remove(
        session, patient=patient, carer_link=link, staff=None, now=clock.now(),
        ip=client_ip(request),
    )  # fmt: skip


# --- the clinic -------------------------------------------------------------------------------


@router.get("/api/patients/{patient_id}/carers", responses=errors(*_STAFF))
def list_carers(patient_id: uuid.UUID, access: StaffAccess) -> list[CarerPublic]:
    """The patient's helpers, not removed ones, oldest first."""
    patient = access.patient(patient_id)
    return carers.carers_of(access.session, patient=patient, now=access.now)


@router.post(
    "/api/patients/{patient_id}/carers",
    status_code=status.HTTP_201_CREATED,
    responses=errors(*_STAFF, ErrorCode.INVALID_INPUT, ErrorCode.TOO_MANY_CARERS),
)
def invite_carer(
    patient_id: uuid.UUID, body: CarerInvite, access: StaffAccess, settings: SettingsDep
) -> CarerInvited:
    """Invite a helper for the patient (audited `carer.invited`); the link is shown once."""
    patient = access.patient(patient_id)
    link, issued = carers.invite(
        access.session, patient=patient, data=body, staff=access.staff, now=access.now,
        settings=settings, ip=client_ip(access.request),
    )  # fmt: skip
    return _invited(link, issued)


@router.post(
    "/api/patients/{patient_id}/carers/{carer_id}/link",
    status_code=status.HTTP_201_CREATED,
    responses=errors(*_STAFF),
)
def new_carer_link(
    patient_id: uuid.UUID, carer_id: uuid.UUID, access: StaffAccess, settings: SettingsDep
) -> CarerInvited:
    """A fresh link for the helper; the unused one stops working (audited)."""
    patient = access.patient(patient_id)
    link = carers.get(access.session, patient=patient, carer_link_id=carer_id)
    issued = carers.new_link(
        access.session, patient=patient, carer_link=link, staff=access.staff, now=access.now,
        settings=settings, ip=client_ip(access.request),
    )  # fmt: skip
    return _invited(link, issued)


@router.patch(
    "/api/patients/{patient_id}/carers/{carer_id}",
    responses=errors(*_STAFF, ErrorCode.INVALID_INPUT),
)
def change_carer(
    patient_id: uuid.UUID, carer_id: uuid.UUID, body: CarerChange, access: StaffAccess
) -> CarerPublic:
    """Whether the helper's phone gets the patient's reminders too (audited)."""
    patient = access.patient(patient_id)
    link = carers.get(access.session, patient=patient, carer_link_id=carer_id)
    carers.change(
        access.session, patient=patient, carer_link=link, data=body, staff=access.staff,
        now=access.now, ip=client_ip(access.request),
    )  # fmt: skip
    return carers.carer_public(access.session, patient=patient, carer_link=link, now=access.now)


@router.delete(
    "/api/patients/{patient_id}/carers/{carer_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(*_STAFF),
)
def remove_carer(patient_id: uuid.UUID, carer_id: uuid.UUID, access: StaffAccess) -> None:
    """At once: the helper's phones stop showing the patient and get none of their reminders
    (audited `carer.removed`)."""
    patient = access.patient(patient_id)
    link = carers.get(access.session, patient=patient, carer_link_id=carer_id)
    carers.remove(
        access.session, patient=patient, carer_link=link, staff=access.staff, now=access.now,
        ip=client_ip(access.request),
    )  # fmt: skip
