"""Push routes: the public VAPID key, device subscriptions (patients and staff), and the
notification's buttons."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, status

from app.api.deps import ClockDep, SessionDep, SettingsDep
from app.api.patient_auth import CurrentDevice, CurrentPatient, device_if_signed_in
from app.api.staff_auth import CurrentStaff
from app.enrolment import carer_devices
from app.enrolment.models import DeviceSession
from app.error_codes import ErrorCode
from app.errors import Forbidden, NotFound, errors
from app.notifications import receipts, subscriptions
from app.notifications.actions import check_token
from app.notifications.models import (
    ActionRequest,
    DeviceReachOut,
    EndpointRef,
    PublicKeyOut,
    PushSubscription,
    PushSubscriptionIn,
    PushSubscriptionPublic,
    ReceiptIn,
    SnoozeOut,
)
from app.notifications.snooze import snooze, snooze_out
from app.notifications.subscriptions import Owner
from app.notifications.vapid import VapidKeys
from app.patients.models import Patient
from app.tasks import service as tasks
from app.tasks.models import Occurrence, OccurrencePublic

router = APIRouter(tags=["push"])


def _keys(request: Request) -> VapidKeys:
    keys: VapidKeys = request.app.state.vapid_keys
    return keys


def _public(row: PushSubscription, key_id: str) -> PushSubscriptionPublic:
    return PushSubscriptionPublic(
        id=row.id,
        endpoint=row.endpoint,
        vapid_key_id=row.vapid_key_id,
        current_key=row.vapid_key_id == key_id,
        created_at=row.created_at,
    )


@router.get("/api/push/public-key")
def public_key(request: Request) -> PublicKeyOut:
    """The applicationServerKey for PushManager.subscribe, and its id (changes on rotation)."""
    keys = _keys(request)
    return PublicKeyOut(public_key=keys.public_key, key_id=keys.key_id)


def _subscribe(
    owner: Owner,
    body: PushSubscriptionIn,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    device_session_id: uuid.UUID | None = None,
) -> PushSubscriptionPublic:
    key_id = _keys(request).key_id
    row = subscriptions.subscribe(
        session,
        owner=owner,
        data=body,
        key_id=key_id,
        now=clock.now(),
        settings=settings,
        device_session_id=device_session_id,
    )
    return _public(row, key_id)


@router.post(
    "/api/me/push-subscriptions",
    status_code=status.HTTP_201_CREATED,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED, ErrorCode.INVALID_INPUT, ErrorCode.PUSH_SUBSCRIPTION_TAKEN
    ),
)
def subscribe_patient_device(
    body: PushSubscriptionIn,
    patient: CurrentPatient,
    device: CurrentDevice,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> PushSubscriptionPublic:
    """Store this phone's push subscription (the browser's PushSubscription.toJSON()).

    The endpoint must be a push service on the internet (https, a public address); one
    another patient or staff member holds moves here only with that browser's own keys.
    """
    owner = _phone_owner(patient, device)
    return _subscribe(owner, body, request, session, clock, settings, device_session_id=device.id)


def _phone_owner(patient: Patient, device: DeviceSession) -> Owner:
    """A carer's phone is subscribed as the carer's: it gets the reminders of everyone they
    help with reminders on, whoever the phone shows now (app/notifications/load.py)."""
    if device.carer_id is not None:
        return Owner(carer_id=device.carer_id)
    return Owner(patient_id=patient.id)


@router.get("/api/me/push-subscriptions", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def list_patient_devices(
    patient: CurrentPatient, device: CurrentDevice, request: Request, session: SessionDep
) -> list[PushSubscriptionPublic]:
    """The patient's subscribed devices (on a carer's phone, the carer's); `current_key` false
    means subscribe again."""
    key_id = _keys(request).key_id
    rows = subscriptions.list_for(session, owner=_phone_owner(patient, device))
    return [_public(row, key_id) for row in rows]


@router.get("/api/me/reach", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def this_phone_reach(
    patient: CurrentPatient, device: CurrentDevice, session: SessionDep
) -> DeviceReachOut:
    """Whether reminders reach this phone: subscribed, and the last one it reported shown."""
    rows = subscriptions.list_for(session, owner=_phone_owner(patient, device))
    return DeviceReachOut(
        subscribed=any(row.device_session_id == device.id for row in rows),
        last_shown_at=receipts.last_shown_on(session, device.id),
    )


@router.delete(
    "/api/me/push-subscriptions",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(ErrorCode.NOT_AUTHENTICATED),
)
def unsubscribe_patient_device(
    body: EndpointRef, patient: CurrentPatient, device: CurrentDevice, session: SessionDep
) -> None:
    """Stop reminders on a device. Idempotent."""
    owner = _phone_owner(patient, device)
    subscriptions.unsubscribe(session, owner=owner, endpoint=body.endpoint)


@router.post(
    "/api/staff/push-subscriptions",
    status_code=status.HTTP_201_CREATED,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED, ErrorCode.INVALID_INPUT, ErrorCode.PUSH_SUBSCRIPTION_TAKEN
    ),
)
def subscribe_staff_device(
    body: PushSubscriptionIn,
    staff: CurrentStaff,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> PushSubscriptionPublic:
    """Store a staff browser's subscription, for clinic alerts."""
    return _subscribe(Owner(staff_id=staff.id), body, request, session, clock, settings)


@router.delete(
    "/api/staff/push-subscriptions",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(ErrorCode.NOT_AUTHENTICATED),
)
def unsubscribe_staff_device(body: EndpointRef, staff: CurrentStaff, session: SessionDep) -> None:
    subscriptions.unsubscribe(session, owner=Owner(staff_id=staff.id), endpoint=body.endpoint)


@router.post(
    "/api/push-actions/complete",
    responses=errors(
        ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.NOT_A_TASK, ErrorCode.NOT_DUE_YET
    ),
)
def complete_from_notification(
    body: ActionRequest,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> OccurrencePublic:
    """The notification's "Done" button: tick off the task the token was made for.

    No session needed: the token from the (end-to-end encrypted) push payload is the
    authority, for that one task only. Idempotent, like ticking it in the app. Pressed on a
    carer's phone (its cookie comes with the service worker's request), it is recorded as
    done by that carer.
    """
    now = clock.now()
    occurrence, patient = _token_task(body, request, session, now)
    device = device_if_signed_in(request, session, settings, now)
    by_carer = carer_devices.acting_link(session, device, patient.id)
    row = tasks.complete(
        session, patient=patient, occurrence_id=occurrence.id, now=now, by_carer=by_carer
    )
    return tasks.public_rows(session, [row], ZoneInfo(patient.time_zone), now, patient.language)[0]


@router.post(
    "/api/push-actions/snooze",
    responses=errors(
        ErrorCode.FORBIDDEN,
        ErrorCode.NOT_FOUND,
        ErrorCode.SNOOZE_NOT_REMINDING,
        ErrorCode.TASK_ALREADY_DONE,
        ErrorCode.NOT_DUE_YET,
        ErrorCode.SNOOZE_TOO_LATE,
    ),
)
def snooze_from_notification(
    body: ActionRequest, request: Request, session: SessionDep, clock: ClockDep
) -> SnoozeOut:
    """The notification's "Remind me in 30 minutes" button, with the same token as "Done"."""
    now = clock.now()
    occurrence, patient = _token_task(body, request, session, now)
    when = snooze(session, patient=patient, occurrence=occurrence, now=now)
    return snooze_out(occurrence, when, patient)


def _token_task(
    body: ActionRequest, request: Request, session: SessionDep, now: datetime
) -> tuple[Occurrence, Patient]:
    """The task a notification's token was made for, and its patient; Forbidden otherwise."""
    secret: bytes = request.app.state.action_secret
    if not check_token(secret, body.task_id, body.token, now):
        raise Forbidden("This reminder can no longer be used for the task. Open the app.")
    occurrence = session.get(Occurrence, body.task_id)
    patient = session.get(Patient, occurrence.patient_id) if occurrence else None
    if occurrence is None or patient is None:
        raise NotFound("No such task.")
    return occurrence, patient


@router.post(
    "/api/push/receipts",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.INVALID_INPUT),
)
def report_receipt(body: ReceiptIn, request: Request, session: SessionDep, clock: ClockDep) -> None:
    """The service worker reports a reminder shown or tapped (best effort, idempotent).

    No session: the receipt token from the push payload is the authority, for that one
    reminder only; `endpoint` (the device's push endpoint) names the device it was on.
    """
    now = clock.now()
    secret: bytes = request.app.state.receipt_secret
    if not check_token(secret, body.task_id, body.token, now):
        raise Forbidden("This reminder can no longer be used to report it was seen. Open the app.")
    occurrence = session.get(Occurrence, body.task_id)
    if occurrence is None:
        raise NotFound("No such task.")
    receipts.record(
        session,
        patient_id=occurrence.patient_id,
        occurrence_id=occurrence.id,
        event=body.event,
        endpoint=body.endpoint,
        now=now,
    )
