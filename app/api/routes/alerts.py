"""Staff routes for alerts: the inbox, and acknowledging one with a note."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from app.api.deps import ClockDep, SessionDep
from app.api.staff_auth import CurrentStaff
from app.error_codes import ErrorCode
from app.errors import errors
from app.patients.carers import carer_names
from app.patients.models import Patient
from app.reports import alerts, seen
from app.reports.models import AcknowledgeRequest, Alert, AlertPublic, SymptomReport, public_report
from app.reports.service import sign_labels_for
from app.shared.client_address import client_ip
from app.staff import audit
from app.staff.models import StaffUser

router = APIRouter(prefix="/api/alerts", tags=["alerts (staff)"])


def _public(
    labels: dict[str, str],
    alert: Alert,
    patient: Patient,
    report: SymptomReport | None,
    acknowledger: StaffUser | None,
    by: Mapping[uuid.UUID, str] | None = None,
    seen_by: Mapping[uuid.UUID, str] | None = None,
) -> AlertPublic:
    return AlertPublic(
        id=alert.id,
        patient_id=patient.id,
        patient_name=patient.name,
        level=alert.level,
        status=alert.status,
        created_at=alert.created_at,
        report=public_report(report, labels, by, seen_by) if report else None,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_by_name=alerts.staff_name(acknowledger),
        acknowledgement_note=alert.acknowledgement_note,
        escalate_at=alert.escalate_at,
        escalated_at=alert.escalated_at,
        note_needs_reading=alert.note_needs_reading,
    )


@router.get("", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def list_alerts(
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
    status: Annotated[Literal["open", "acknowledged"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AlertPublic]:
    """The clinic's alerts, emergencies first, then the longest waiting."""
    rows = alerts.list_for_clinic(session, clinic_id=staff.clinic_id, status=status, limit=limit)
    # Names and reports of every patient with an alert are shown: audited. The console polls
    # every 5 s, so an answer the same as this staff member's last one is recorded once in
    # a while, not on every poll (the digest covers which alerts, in which state).
    shown = audit.digest(f"{alert.id}:{alert.status}:{alert.acknowledged_at}" for alert, *_ in rows)
    audit.record_unless_unchanged(
        session,
        staff=staff,
        action="alerts.list",
        now=clock.now(),
        ip=client_ip(request),
        detail={"status": status, "rows": len(rows), "digest": shown},
    )
    labels = sign_labels_for(session, staff.clinic_id)
    by = carer_names(session, (report.reported_by_carer for _, _, report, _ in rows if report))
    names = seen.seen_by_names(session, (report.seen_by for _, _, report, _ in rows if report))
    return [_public(labels, *row, by, names) for row in rows]


@router.post(
    "/{alert_id}/acknowledge",
    responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND, ErrorCode.REPLY_TOO_LONG),
)
def acknowledge_alert(
    alert_id: uuid.UUID,
    body: AcknowledgeRequest,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    clock: ClockDep,
) -> AlertPublic:
    """Acknowledge with a note (who and when are kept). Idempotent: the first one stands, and
    a later call answers 200 with it unchanged (`acknowledged_by_name` says whose it is).

    The note is for colleagues and never shown to the patient. The alert's report is marked
    seen as well (unless it already was), with the optional `reply` for the patient (at most
    500 characters, else 422 `reply_too_long` with nothing changed), and the patient's phones
    are told at once (see POST /api/patients/{patient_id}/reports/{report_id}/seen)."""
    now = clock.now()
    reply = seen.check_reply(body.reply)
    alert, first = alerts.acknowledge(
        session,
        clinic_id=staff.clinic_id,
        alert_id=alert_id,
        staff_id=staff.id,
        note=body.note,
        now=now,
    )
    audit.record(
        session, staff=staff, action="alert.acknowledge", patient_id=alert.patient_id, now=now,
        ip=client_ip(request), detail={"alert_id": str(alert.id), "first": first},
    )  # fmt: skip
    patient = session.get(Patient, alert.patient_id)
    report = session.get(SymptomReport, alert.report_id) if alert.report_id else None
    if report is not None:
        seen.mark_seen(session, report=report, staff=staff, reply=reply, now=now)
    acknowledger = session.get(StaffUser, alert.acknowledged_by) if alert.acknowledged_by else None
    assert patient is not None  # foreign key
    by = carer_names(session, [report.reported_by_carer if report else None])
    names = seen.seen_by_names(session, [report.seen_by if report else None])
    labels = sign_labels_for(session, staff.clinic_id)
    return _public(labels, alert, patient, report, acknowledger, by, names)
