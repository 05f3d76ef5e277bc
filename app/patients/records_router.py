"""Staff routes for a patient's record: reports, visit bookings, devices, the JSON export."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.deps import ClockDep, ProtocolDep, SessionDep
from app.errors import error_responses
from app.patients import bookings, devices, service
from app.patients.export import build_export
from app.patients.models import (
    AppointmentBookingIn,
    DevicePublic,
    PatientAppointment,
    PatientReport,
)
from app.patients.router import audit_patient
from app.reports.router import public_report
from app.reports.service import reports_of
from app.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/patients", tags=["patients (staff)"])


@router.get("/{patient_id}/reports", responses=error_responses(401, 404, 422))
def list_patient_reports(
    patient_id: uuid.UUID,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
) -> list[PatientReport]:
    """The patient's reports, newest first, with the reasons behind each level."""
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    audit_patient(session, staff, request, "reports.read", patient.id, now)
    return [
        PatientReport(**public_report(report).model_dump(), reasons=report.reasons)
        for report in reports_of(session, patient=patient)
    ]


@router.get("/{patient_id}/appointments", responses=error_responses(401, 404, 422))
def list_patient_appointments(
    patient_id: uuid.UUID,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    protocol: ProtocolDep,
) -> list[PatientAppointment]:
    """The patient's planned visits: when each is, and when the protocol alone would put it."""
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    audit_patient(session, staff, request, "appointments.read", patient.id, now)
    return bookings.list_appointments(session, patient=patient, protocol=protocol)


@router.put("/{patient_id}/appointments/{key:path}", responses=error_responses(401, 404, 409, 422))
def book_appointment(
    patient_id: uuid.UUID,
    key: str,
    body: AppointmentBookingIn,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    protocol: ProtocolDep,
) -> PatientAppointment:
    """Book visit `key` (e.g. `follow_up/1`) at `booked_at`; the plan and reminders follow.

    404 `appointment_unknown` for a key that is not one of the patient's visits; 409
    `appointment_past` for a visit already past; 422 `booking_in_past` for a time not ahead,
    `booking_too_far` for one more than a year ahead.
    """
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    bookings.book(
        session,
        patient=patient,
        key=key,
        booked_at=body.booked_at,
        staff=staff,
        protocol=protocol,
        now=now,
    )
    audit_patient(
        session,
        staff,
        request,
        "appointment.book",
        patient.id,
        now,
        detail={"key": key, "booked_at": body.booked_at.isoformat()},
    )
    items = bookings.list_appointments(session, patient=patient, protocol=protocol)
    return next(item for item in items if item.key == key)  # book() checked that it exists


@router.delete(
    "/{patient_id}/appointments/{key:path}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 404, 409, 422),
)
def unbook_appointment(
    patient_id: uuid.UUID,
    key: str,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    protocol: ProtocolDep,
) -> None:
    """Drop the booking: the visit goes back to the computed time.

    404 `booking_unknown` if the visit has no booking; 409 `appointment_past` once it is past.
    """
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    bookings.unbook(session, patient=patient, key=key, protocol=protocol, now=now)
    audit_patient(
        session, staff, request, "appointment.unbook", patient.id, now, detail={"key": key}
    )


@router.get("/{patient_id}/devices", responses=error_responses(401, 404, 422))
def list_patient_devices(
    patient_id: uuid.UUID,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
) -> list[DevicePublic]:
    """The patient's signed-in phones (ended ones too), newest first."""
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    audit_patient(session, staff, request, "devices.read", patient.id, now)
    return devices.list_devices(session, patient=patient)


@router.post(
    "/{patient_id}/devices/{device_id}/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 404, 422),
)
def revoke_patient_device(
    patient_id: uuid.UUID,
    device_id: uuid.UUID,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
) -> None:
    """Sign the phone out (it must enrol again) and stop its push reminders; safe to repeat."""
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    devices.revoke_device(session, patient=patient, device_id=device_id, now=now)
    audit_patient(
        session,
        staff,
        request,
        "device.revoke",
        patient.id,
        now,
        detail={"device_id": str(device_id)},
    )


@router.get(
    "/{patient_id}/export",
    response_class=JSONResponse,
    responses={**error_responses(401, 404, 422), 200: {"content": {"application/json": {}}}},
)
def export_patient(
    patient_id: uuid.UUID,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    protocol: ProtocolDep,
) -> JSONResponse:
    """The patient's full record as a JSON file (secrets such as token hashes left out).

    The export is audited first, so the file's own audit trail ends with its making.
    """
    now = clock.now()
    patient = service.get_for_clinic(session, clinic_id=staff.clinic_id, patient_id=patient_id)
    audit_patient(session, staff, request, "patient.export", patient.id, now)
    session.flush()
    document = build_export(session, patient=patient, protocol=protocol, now=now)
    return JSONResponse(
        jsonable_encoder(document),
        headers={
            "Content-Disposition": f'attachment; filename="patient-{patient.id}.json"',
            "Cache-Control": "no-store",
        },
    )
