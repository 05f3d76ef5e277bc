"""Report use cases: triage a patient's report, keep what they were told, alert the clinic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from app.clinics.service import escalation_time
from app.errors import InvalidInput
from app.notifications.models import OutboxKind
from app.notifications.outbox import queue_alert_push
from app.patients.models import Patient
from app.reports.models import Alert, ReportCreate, ReportForm, SignPublic, SymptomReport
from app.reports.triage import Level, Numbers, PastPain, TriageRules, rules_from, triage
from app.staff.models import Clinic


def rules_for(clinic: Clinic) -> TriageRules:
    return rules_from(clinic.triage_rules)


def report_form(clinic: Clinic) -> ReportForm:
    """What the app needs to draw the form: the clinic's signs in their groups, the numbers."""
    rules = rules_for(clinic)
    return ReportForm(
        version=rules.version,
        urgent_pain_at_least=rules.pain.urgent_at_least,
        urgent_pain_rise=rules.pain.rise_since_previous,
        emergency_number=clinic.emergency_number,
        clinic_phone=clinic.phone,
        signs=[
            SignPublic(code=s.code, label=s.label, description=s.description, group=s.level)
            for s in rules.signs
        ],
    )


def submit(
    session: Session, *, patient: Patient, clinic: Clinic, data: ReportCreate, now: datetime
) -> tuple[SymptomReport, bool]:
    """Store and triage a report: (report, created). Idempotent on `client_id`: a report the
    app sends again (it was offline, or the answer was lost) returns the stored one."""
    existing = session.exec(
        select(SymptomReport).where(
            SymptomReport.patient_id == patient.id, SymptomReport.client_id == data.client_id
        )
    ).first()
    if existing is not None:
        return existing, False
    rules = rules_for(clinic)
    if unknown := rules.unknown(data.signs):
        raise InvalidInput(f"unknown warning signs: {', '.join(unknown)}")
    previous = session.exec(
        select(SymptomReport.pain)
        .where(SymptomReport.patient_id == patient.id)
        .order_by(col(SymptomReport.created_at).desc())
        .limit(1)
    ).first()
    result = triage(
        rules,
        pain=data.pain,
        signs=data.signs,
        history=[] if previous is None else [PastPain(hours_ago=1.0, pain=previous)],
        numbers=Numbers(emergency=clinic.emergency_number, clinic=clinic.phone),
    )
    report = SymptomReport(
        patient_id=patient.id,
        client_id=data.client_id,
        pain=data.pain,
        signs=list(dict.fromkeys(data.signs)),  # each sign once, in the order ticked
        note=data.note.strip(),
        level=result.level,
        rules_version=rules.version,
        advice_title=result.title,
        advice=result.advice,
        call_number=result.call_number,
        call_label=result.call_label,
        reasons=list(result.reasons),
        created_at=now,
    )
    session.add(report)
    session.flush()
    if result.level in (Level.EMERGENCY, Level.URGENT):
        alert = Alert(
            clinic_id=clinic.id,
            patient_id=patient.id,
            report_id=report.id,
            level=result.level,
            created_at=now,
            escalate_at=escalation_time(clinic, now),
        )
        session.add(alert)
        session.flush()
        # In the report's transaction: the push is queued exactly when the alert exists.
        queue_alert_push(
            session, alert_id=alert.id, patient_id=patient.id, kind=OutboxKind.ALERT, now=now
        )
    return report, True


def reports_of(session: Session, *, patient: Patient) -> Sequence[SymptomReport]:
    return session.exec(
        select(SymptomReport)
        .where(SymptomReport.patient_id == patient.id)
        .order_by(col(SymptomReport.created_at).desc())
    ).all()
