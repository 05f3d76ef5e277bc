"""Staff routes for a patient's record: reports, visit bookings, devices, the JSON export."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.api.deps import ProtocolsDep
from app.api.patient_access import PatientAccess, StaffAccess
from app.appointments import bookings
from app.appointments.models import AppointmentBookingIn, PatientAppointment
from app.enrolment import devices
from app.enrolment.models import DevicePublic
from app.error_codes import ErrorCode
from app.errors import errors
from app.patients.carers import carer_names
from app.records.export import build_export
from app.reports import seen
from app.reports.models import PatientReport, SeenRequest, SymptomReport, public_report
from app.reports.service import reports_of, sign_labels_for
from app.reports.wording import reason_words

router = APIRouter(prefix="/api/patients", tags=["patients (staff)"])


@router.get(
    "/{patient_id}/reports", responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND)
)
def list_patient_reports(patient_id: uuid.UUID, access: StaffAccess) -> list[PatientReport]:
    """The patient's reports, newest first, with the reasons behind each level."""
    patient = access.patient(patient_id)
    access.audit("reports.read", patient.id)
    labels = sign_labels_for(access.session, patient.clinic_id)
    return _patient_reports(access, reports_of(access.session, patient=patient), labels)


@router.post(
    "/{patient_id}/reports/{report_id}/seen",
    responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND, ErrorCode.REPLY_TOO_LONG),
)
def mark_report_seen(
    patient_id: uuid.UUID, report_id: uuid.UUID, body: SeenRequest, access: StaffAccess
) -> PatientReport:
    """Mark the report seen, with an optional `reply` for the patient (at most 500
    characters, else 422 `reply_too_long`): the app shows "Seen by <name> at <time>" and the
    reply, and the patient's phones are told (held until their wake time if it is their
    night, unless the report was urgent or an emergency). The first one stands: a later call
    answers 200 with the report as the first left it (`seen_by_name` says whose). Another
    patient's report is 404. Audited `report.seen`."""
    patient = access.patient(patient_id)
    report = seen.report_of(access.session, patient=patient, report_id=report_id)
    first = seen.mark_seen(
        access.session, report=report, staff=access.staff, reply=body.reply, now=access.now
    )
    access.audit(
        "report.seen",
        patient.id,
        detail={"report_id": str(report.id), "first": first, "reply": bool(report.reply)},
    )
    labels = sign_labels_for(access.session, patient.clinic_id)
    return _patient_reports(access, [report], labels)[0]


def _patient_reports(
    access: PatientAccess, reports: Sequence[SymptomReport], labels: dict[str, str]
) -> list[PatientReport]:
    """Reports as the clinic sees them, with the names of the carers who sent and the staff
    who saw them (one query each for all of them)."""
    by = carer_names(access.session, (report.reported_by_carer for report in reports))
    names = seen.seen_by_names(access.session, (report.seen_by for report in reports))
    return [
        PatientReport(
            **public_report(report, labels, by, names).model_dump(),
            reasons=report.reasons,
            reason_labels=reason_words(report.reasons, labels),
        )
        for report in reports
    ]


@router.get(
    "/{patient_id}/appointments", responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND)
)
def list_patient_appointments(
    patient_id: uuid.UUID, access: StaffAccess, protocols: ProtocolsDep
) -> list[PatientAppointment]:
    """The patient's planned visits: when each is, and when the protocol alone would put it."""
    patient = access.patient(patient_id)
    access.audit("appointments.read", patient.id)
    return bookings.list_appointments(access.session, patient=patient, protocols=protocols)


@router.put(
    "/{patient_id}/appointments/{key:path}",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.APPOINTMENT_UNKNOWN,
        ErrorCode.APPOINTMENT_PAST,
        ErrorCode.BOOKING_OUT_OF_ORDER,
        ErrorCode.BOOKING_OUTSIDE_HOURS,
        ErrorCode.BOOKING_IN_PATIENTS_NIGHT,
        ErrorCode.BOOKING_IN_PAST,
        ErrorCode.BOOKING_TOO_FAR,
    ),
)
def book_appointment(
    patient_id: uuid.UUID,
    key: str,
    body: AppointmentBookingIn,
    access: StaffAccess,
    protocols: ProtocolsDep,
) -> PatientAppointment:
    """Book visit `key` (e.g. `follow_up/1`, or `follow_up/c2/1` for a later course) at
    `booked_at`; the plan and reminders follow (a booked visit is no longer tentative), and
    the patient's phones are told at once ("… is booked for Mon 6 Apr at 09:15", or "has
    moved to …"; held until their wake time if it is their night). Refused with nothing
    changed:

    - 404 `appointment_unknown` for a key that is not one of the patient's visits;
    - 409 `appointment_past` for a visit already past;
    - 409 `booking_out_of_order` for a time at or before an earlier visit of the course (the
      final review at or before its check-up), or at or after a later one: never overridable;
    - 409 `booking_outside_hours` when the clinic is closed then (a closed day, or outside
      that day's hours) and 409 `booking_in_patients_night` in the patient's night: `detail`
      says why in plain words (both, when both apply); send again with `book_anyway: true`;
    - 422 `booking_in_past` for a time not ahead, `booking_too_far` for one more than a year
      ahead.

    Audited `appointment.book` with the visit's time before and after, whether it was booked
    before, `book_anyway` and the warnings it went past.
    """
    patient = access.patient(patient_id)
    change = bookings.book(
        access.session,
        patient=patient,
        key=key,
        booked_at=body.booked_at,
        staff=access.staff,
        protocols=protocols,
        now=access.now,
        book_anyway=body.book_anyway,
    )
    access.audit(
        "appointment.book",
        patient.id,
        detail={
            "key": key,
            "booked_at": body.booked_at.isoformat(),
            **_before_and_after(change),
            "book_anyway": body.book_anyway,
            "overridden": [str(code) for code in change.overridden],
        },
    )
    items = bookings.list_appointments(access.session, patient=patient, protocols=protocols)
    return next(item for item in items if item.key == key)  # book() checked that it exists


def _before_and_after(change: bookings.BookingChange) -> dict[str, Any]:
    """The visit's time before and after a change, and its booking before, for the audit."""
    booked = change.before_booked_at
    return {
        "before": {
            "due_at": change.before_due_at.isoformat(),
            "booked_at": None if booked is None else booked.isoformat(),
        },
        "after": {"due_at": change.after_due_at.isoformat()},
        "notified": change.notice is not None,
    }


@router.delete(
    "/{patient_id}/appointments/{key:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.BOOKING_UNKNOWN,
        ErrorCode.APPOINTMENT_UNKNOWN,
        ErrorCode.APPOINTMENT_PAST,
    ),
)
def unbook_appointment(
    patient_id: uuid.UUID, key: str, access: StaffAccess, protocols: ProtocolsDep
) -> None:
    """Drop the booking: the visit goes back to the computed time (tentative, no reminder), and
    the patient's phones are told it is no longer booked.

    404 `booking_unknown` if the visit has no booking; 409 `appointment_past` once it is past.
    Audited `appointment.unbook` with the visit's time before and after.
    """
    patient = access.patient(patient_id)
    change = bookings.unbook(
        access.session, patient=patient, key=key, protocols=protocols, now=access.now
    )
    access.audit("appointment.unbook", patient.id, detail={"key": key, **_before_and_after(change)})


@router.get(
    "/{patient_id}/devices", responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND)
)
def list_patient_devices(patient_id: uuid.UUID, access: StaffAccess) -> list[DevicePublic]:
    """The patient's signed-in phones (ended ones too), newest first."""
    patient = access.patient(patient_id)
    access.audit("devices.read", patient.id)
    return devices.list_devices(access.session, patient=patient)


@router.post(
    "/{patient_id}/devices/{device_id}/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND),
)
def revoke_patient_device(patient_id: uuid.UUID, device_id: uuid.UUID, access: StaffAccess) -> None:
    """Sign the phone out (it must enrol again) and stop its push reminders; safe to repeat."""
    patient = access.patient(patient_id)
    devices.revoke_device(access.session, patient=patient, device_id=device_id, now=access.now)
    access.audit("device.revoke", patient.id, detail={"device_id": str(device_id)})


@router.get(
    "/{patient_id}/export",
    response_class=JSONResponse,
    responses={
        **errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND),
        200: {"content": {"application/json": {}}},
    },
)
def export_patient(
    patient_id: uuid.UUID, access: StaffAccess, protocols: ProtocolsDep
) -> JSONResponse:
    """The patient's full record as a JSON file (secrets such as token hashes left out).

    The export is audited first, so the file's own audit trail ends with its making.
    """
    patient = access.patient(patient_id)
    access.audit("patient.export", patient.id)
    access.session.flush()
    document = build_export(access.session, patient=patient, protocols=protocols, now=access.now)
    return JSONResponse(
        jsonable_encoder(document),
        headers={
            "Content-Disposition": f'attachment; filename="patient-{patient.id}.json"',
            "Cache-Control": "no-store",
        },
    )
