"""Patient routes for reporting a problem: the form, submit (triaged at once), history."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.api.deps import ClockDep, SessionDep
from app.api.patient_auth import CurrentDevice, CurrentPatient
from app.enrolment import carer_devices
from app.error_codes import ErrorCode
from app.errors import errors
from app.patients.carers import carer_names
from app.patients.service import clinic_of_patient
from app.reports import seen, service
from app.reports.models import ReportCreate, ReportForm, ReportPublic, public_report

router = APIRouter(prefix="/api/me", tags=["patient device"])


@router.get("/report-form", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def read_report_form(patient: CurrentPatient, session: SessionDep, clock: ClockDep) -> ReportForm:
    """The clinic's warning signs in plain language, grouped, and the numbers to call; the
    full triage rules, the out-of-hours route and the clinic's closed periods of the next 14
    days, so the app can answer offline exactly as the server would."""
    return service.report_form(
        clinic_of_patient(session, patient), patient=patient, now=clock.now()
    )


@router.post(
    "/reports",
    status_code=status.HTTP_201_CREATED,
    responses={
        **errors(
            ErrorCode.NOT_AUTHENTICATED,
            ErrorCode.UNKNOWN_SIGN,
            ErrorCode.PAIN_OUT_OF_RANGE,
            ErrorCode.PAIN_REQUIRED,
            ErrorCode.REPORT_FOR_ANOTHER_PERSON,
        ),
        200: {"model": ReportPublic},
    },
)
def submit_report(
    body: ReportCreate,
    response: Response,
    patient: CurrentPatient,
    device: CurrentDevice,
    session: SessionDep,
    clock: ClockDep,
) -> ReportPublic:
    """Pain 0-10, warning signs, a note -> emergency, urgent or routine, with what to do now.

    Pain may be null (or left out) when a sign is ticked or a note written; otherwise 422
    `pain_required`. A note that mentions an unticked warning sign makes the report urgent.

    Urgent and emergency reports open an alert for the clinic. 200 instead of 201 when this
    `client_id` was already stored (a re-send): the first answer is returned unchanged. Sent
    from a carer's phone, the report is recorded (and shown) as the carer's.
    """
    report, created = service.submit(
        session,
        patient=patient,
        clinic=clinic_of_patient(session, patient),
        data=body,
        now=clock.now(),
        by_carer=carer_devices.acting_link(session, device),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    by = carer_names(session, [report.reported_by_carer])
    names = seen.seen_by_names(session, [report.seen_by], patient.language)
    labels = service.sign_labels_for(session, patient.clinic_id, patient.language)
    return public_report(report, labels, by, names)


@router.get("/reports", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def list_reports(patient: CurrentPatient, session: SessionDep) -> list[ReportPublic]:
    """The patient's own reports, newest first, each with the advice given and whether the
    clinic has seen it: when, who (`seen_by_name`: their name, or "the clinic"), and the
    clinic's `reply` ("" if none). The staff's internal acknowledgement notes are never here."""
    labels = service.sign_labels_for(session, patient.clinic_id, patient.language)
    reports = service.reports_of(session, patient=patient)
    by = carer_names(session, (report.reported_by_carer for report in reports))
    names = seen.seen_by_names(session, (report.seen_by for report in reports), patient.language)
    return [public_report(report, labels, by, names) for report in reports]
