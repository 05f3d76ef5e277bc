"""Staff routes for a patient: enrol, view, consultation check, treatments, plan, links, erase."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Body, Query, status

from app.api.deps import ProtocolDep, ProtocolsDep, SettingsDep
from app.api.patient_access import AdminAccess, PatientAccess, StaffAccess
from app.care import service as care
from app.db import undone_if
from app.enrolment import service as enrolment
from app.enrolment.models import EnrolmentPublic, PatientCreated
from app.enrolment.send_link import LinkSent, SendLink, send_link
from app.error_codes import ErrorCode
from app.errors import errors
from app.patients import service
from app.patients.language import check_language
from app.patients.models import (
    Patient,
    PatientCreate,
    PatientDetail,
    PatientEditResult,
    PatientUpdate,
    ProtocolVersionChange,
    TreatmentCreate,
    TreatmentPublic,
)
from app.patients.protocols import ProtocolSource
from app.patients.reminder_channel import ReminderChannelChoice, choose_channel
from app.records import detail, erasure
from app.records.models import EraseRequest
from app.staff.service import clinic_of
from app.tasks import service as tasks
from app.tasks.models import OccurrencePublic
from app.timezones import local_date

router = APIRouter(prefix="/api/patients", tags=["patients (staff)"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.CLINIC_PHONE_MISSING,
        ErrorCode.OUT_OF_HOURS_MISSING,
        ErrorCode.DOPPLER_NOT_CONFIRMED,
        ErrorCode.TREATMENT_IN_FUTURE,
        ErrorCode.TREATMENT_TOO_OLD,
        ErrorCode.TREATMENT_BOOKED_IN_PAST,
        ErrorCode.TREATMENT_BOOKED_TOO_FAR,
        ErrorCode.INVALID_INPUT,
        ErrorCode.LANGUAGE_NOT_OFFERED,
    ),
)
def enrol_patient(
    body: PatientCreate, access: StaffAccess, protocol: ProtocolDep, settings: SettingsDep
) -> PatientCreated:
    """Enrol a patient with their first treatment; returns a one-time enrolment link.

    The patient is pinned to the configured version of the clinic's protocol (the newest
    unless `AFTERCARE_PROTOCOL_VERSION` holds an older one): their plan keeps
    following it until staff move them (`PUT /api/patients/{id}/protocol`).

    422 `doppler_not_confirmed` unless the consultation check is recorded
    (`doppler_checked`) or knowingly skipped (`confirm_without_doppler`).

    At the consultation, before the treatment: `treatment.booked` true with its time ahead
    (422 `treatment_booked_in_past`, `treatment_booked_too_far`). The patient can pair their
    phone at once and sees the booked time and what to prepare; the plan starts once staff
    confirm the treatment done (`POST …/treatments/{id}/confirm`).
    """
    patient, link = enrolment.create_patient(
        access.session,
        clinic=clinic_of(access.session, access.staff),
        data=body,
        protocol=protocol,
        staff=access.staff,
        now=access.now,
        settings=settings,
    )
    access.audit(
        "patient.create",
        patient.id,
        detail={"doppler_checked": body.doppler_checked, "language": patient.language},
    )
    return PatientCreated(id=patient.id, enrolment=link.public())


@router.get("/{patient_id}", responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND))
def get_patient(
    patient_id: uuid.UUID, access: StaffAccess, protocols: ProtocolsDep
) -> PatientDetail:
    """The patient's details, with the protocol version their plan follows and the newest."""
    patient = access.patient(patient_id)
    access.audit("patient.read", patient.id)
    return _detail(access, patient, protocols)


@router.patch(
    "/{patient_id}",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.INVALID_INPUT,
        ErrorCode.LANGUAGE_NOT_OFFERED,
    ),
)
def update_patient(
    patient_id: uuid.UUID,
    body: PatientUpdate,
    access: StaffAccess,
    protocols: ProtocolsDep,
    settings: SettingsDep,
    preview: Annotated[
        bool, Query(description="say what the change would do, and save nothing")
    ] = False,
) -> PatientEditResult:
    """Correct the record: name, phone, e-mail, time zone, wake and bed time, stockings, notes,
    language (one this server offers; another is 422 in plain words).

    Omitted fields stay; `phone` and `email` may be null (removed). A new zone, day or
    stockings advice re-plans at once by the rules of the patient's own preferences: done
    tasks and everything past stay. With `preview=true` the same change is made and undone
    (a savepoint), so the counts are exactly what saving would do. Audited
    `patient.update` with the fields changed (names only: the values may be free text).
    """
    patient = access.patient(patient_id)
    if body.language is not None:
        check_language(body.language, pseudo_locales=settings.pseudo_locales)
    with undone_if(access.session, preview):
        edit = care.update_patient(
            access.session, patient=patient, data=body, protocols=protocols, now=access.now
        )
        result = PatientEditResult(
            preview=preview,
            changed=edit.changed,
            **tasks.counts_of(edit.plan),
            patient=_detail(access, patient, protocols),
        )
    if not preview and edit.changed:
        access.audit(
            "patient.update",
            patient.id,
            detail={"changed": edit.changed, "tasks_moved": result.tasks_moved},
        )
    return result


@router.post(
    "/{patient_id}/doppler", responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND)
)
def record_doppler_check(
    patient_id: uuid.UUID, access: StaffAccess, protocols: ProtocolsDep
) -> PatientDetail:
    """Record the consultation check (ultrasound Doppler done, no reflux) now, by this user.

    The first record stands: repeating it changes nothing (`recorded` false in the audit).
    """
    patient = access.patient(patient_id)
    recorded = service.record_doppler_check(
        access.session, patient=patient, staff=access.staff, now=access.now
    )
    access.audit("patient.doppler", patient.id, detail={"recorded": recorded})
    return _detail(access, patient, protocols)


@router.put(
    "/{patient_id}/reminder-channel",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.CHANNEL_NOT_OFFERED,
        ErrorCode.CHANNEL_NEEDS_CONSENT,
        ErrorCode.CHANNEL_NEEDS_ADDRESS,
    ),
)
def choose_reminder_channel(
    patient_id: uuid.UUID,
    body: ReminderChannelChoice,
    access: StaffAccess,
    protocols: ProtocolsDep,
) -> PatientDetail:
    """Record the patient's choice to be reminded by e-mail or text too, should push not reach
    them; `consent` true says the patient agreed (recorded as given to staff, with the time).

    The same refusals as the patient's own choice. Audited `patient.reminder_channel` with
    the channel chosen.
    """
    patient = access.patient(patient_id)
    changed = choose_channel(
        access.session,
        patient=patient,
        choice=body,
        by="staff",
        offered=access.letter_channels,
        now=access.now,
    )
    access.audit(
        "patient.reminder_channel",
        patient.id,
        detail={"channel": body.channel or "none", "changed": changed},
    )
    return _detail(access, patient, protocols)


@router.put(
    "/{patient_id}/protocol",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.REASON_REQUIRED,
        ErrorCode.PROTOCOL_VERSION_UNKNOWN,
    ),
)
def change_protocol_version(
    patient_id: uuid.UUID,
    body: ProtocolVersionChange,
    access: StaffAccess,
    protocols: ProtocolsDep,
) -> PatientDetail:
    """Move the patient to another version of their protocol, deliberately; re-plans at once.

    Done tasks and everything already past stay as they were, as for any re-plan; what is
    ahead follows the new version's rules. The `reason` is required; the audit keeps the
    version before and after and the reason's length only (free text never goes in the
    trail, which outlives erasure). 422 `reason_required` for a missing or blank reason,
    `protocol_version_unknown` for a version that does not exist (the detail names those
    that do). The version the patient is on already is a no-op, not an error: 200, nothing
    re-planned, audited with `changed` false.
    """
    patient = access.patient(patient_id)
    change = care.change_protocol_version(
        access.session,
        patient=patient,
        version=body.version,
        reason=body.reason,
        protocols=protocols,
        now=access.now,
    )
    access.audit(
        "patient.protocol",
        patient.id,
        detail={
            "protocol": change.protocol,
            "before": {"version": change.before},
            "after": {"version": change.after},
            "changed": change.changed,
            # The reason is free text (it may name the patient): its length only.
            "reason_length": len(body.reason.strip()),
        },
    )
    return _detail(access, patient, protocols)


@router.post(
    "/{patient_id}/treatments",
    status_code=status.HTTP_201_CREATED,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.TREATMENT_IN_FUTURE,
        ErrorCode.TREATMENT_TOO_OLD,
        ErrorCode.TREATMENT_OUT_OF_ORDER,
        ErrorCode.TREATMENT_BOOKED_IN_PAST,
        ErrorCode.TREATMENT_BOOKED_TOO_FAR,
        ErrorCode.TREATMENT_ALREADY_BOOKED,
        ErrorCode.INVALID_INPUT,
    ),
)
def record_treatment(
    patient_id: uuid.UUID,
    body: TreatmentCreate,
    access: StaffAccess,
    protocols: ProtocolsDep,
    settings: SettingsDep,
) -> TreatmentPublic:
    """Record a re-treatment (after the latest one); the plan is recomputed from it, with the
    patient's pinned protocol version. A treatment after a course's final review starts a new
    course, whose visits have keys like `follow_up/c2/1`. `booked` true books one ahead
    instead (one at a time: 409 `treatment_already_booked`), confirmed on the day."""
    patient = access.patient(patient_id)
    treatment, _ = care.add_treatment(
        access.session,
        patient=patient,
        data=body,
        protocols=protocols,
        staff=access.staff,
        now=access.now,
        settings=settings,
    )
    access.audit("treatment.create", patient.id, detail={"treatment_id": str(treatment.id)})
    return TreatmentPublic.model_validate(treatment, from_attributes=True)


@router.get(
    "/{patient_id}/tasks",
    responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND, ErrorCode.INVALID_INPUT),
)
def list_patient_tasks(
    patient_id: uuid.UUID,
    access: StaffAccess,
    from_: Annotated[date | None, Query(alias="from", description="first local day")] = None,
    to: Annotated[date | None, Query(description="last local day, inclusive")] = None,
) -> list[OccurrencePublic]:
    """The plan between two of the patient's local days (default: from the first treatment on)."""
    now = access.now
    patient = access.patient(patient_id)
    zone = ZoneInfo(patient.time_zone)
    treatments = service.treatments_of(access.session, patient)
    first = from_ or (
        local_date(treatments[0].performed_at, zone) if treatments else local_date(now, zone)
    )
    first, last = tasks.range_from(first, to)
    access.audit("plan.read", patient.id)
    rows = tasks.list_local_days(access.session, patient=patient, first=first, last=last)
    return tasks.public_rows(access.session, rows, zone, now)


@router.post(
    "/{patient_id}/enrolment",
    status_code=status.HTTP_201_CREATED,
    responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND),
)
def reissue_enrolment(
    patient_id: uuid.UUID, access: StaffAccess, settings: SettingsDep
) -> EnrolmentPublic:
    """Issue a new one-time enrolment link; any unused earlier link stops working."""
    patient = access.patient(patient_id)
    link = enrolment.issue_enrolment_link(
        access.session, patient=patient, now=access.now, settings=settings
    )
    access.audit("enrolment.issue", patient.id)
    return link.public()


@router.post(
    "/{patient_id}/enrolment/send",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.CHANNEL_NOT_OFFERED,
        ErrorCode.CHANNEL_NEEDS_ADDRESS,
        ErrorCode.TOO_MANY_SENDS,
        ErrorCode.SEND_FAILED,
    ),
)
def send_enrolment(
    patient_id: uuid.UUID, body: SendLink, access: StaffAccess, settings: SettingsDep
) -> LinkSent:
    """Send a new one-time link to the address or number in the record, from the clinic and
    signed with the sender's name; the unused earlier link stops working once it is sent.

    At most 3 an hour per patient (429 `too_many_sends`, Retry-After). 502 `send_failed` when
    the mail server or gateway does not take it: nothing changes, the earlier link still works.
    Audited `enrolment.send` with the channel.
    """
    patient = access.patient(patient_id)
    sent = send_link(
        access.session,
        patient=patient,
        staff=access.staff,
        channel=body.channel,
        settings=settings,
        now=access.now,
    )
    access.audit("enrolment.send", patient.id, detail={"channel": body.channel})
    return sent


@router.post(
    "/{patient_id}/enrolment/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND),
)
def revoke_enrolment(patient_id: uuid.UUID, access: StaffAccess) -> None:
    """Stop the patient's unused link from working (a used link's phone stays signed in)."""
    patient = access.patient(patient_id)
    revoked = enrolment.revoke_enrolment_links(access.session, patient=patient, now=access.now)
    access.audit("enrolment.revoke", patient.id, detail={"revoked": revoked})


@router.delete(
    "/{patient_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.ADMIN_ONLY,
        ErrorCode.NOT_FOUND,
        ErrorCode.CONFIRMATION_MISMATCH,
    ),
)
def erase_patient(
    patient_id: uuid.UUID,
    body: Annotated[EraseRequest, Body()],
    access: AdminAccess,
    after: BackgroundTasks,
) -> None:
    """Erase the patient and every row of theirs; the audit trail stays. Admins only.

    `confirm_name` must be exactly the patient's name, else 422 `confirmation_mismatch` and
    nothing is erased. Clinicians get 403 `admin_only`. What stays where for how long:
    docs/security/erasure.md.
    """
    patient = access.patient(patient_id)
    erasure.check_confirmation(patient, body.confirm_name)
    counts = erasure.erase_patient(access.session, patient=patient)
    # Row counts only: the trail must not keep what the erasure removed.
    access.audit("patient.erase", patient_id, detail=counts)
    # After the response, so after the commit: SQLite's WAL then holds no older page images.
    after.add_task(erasure.checkpoint_after_erasure, access.request.app.state.engine)


def _detail(access: PatientAccess, patient: Patient, protocols: ProtocolSource) -> PatientDetail:
    """The patient page's header, with the channels this server can send."""
    return detail.detail_of(
        access.session,
        patient=patient,
        protocols=protocols,
        now=access.now,
        offered=access.letter_channels,
    )
