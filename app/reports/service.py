"""Report use cases: triage a patient's report, keep what they were told, alert the clinic."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.clinics.opening_hours import reopens_text
from app.clinics.service import closed_periods_of, escalation_time, is_open
from app.error_codes import ErrorCode
from app.errors import Conflict, InvalidInput
from app.i18n.languages import DEFAULT_LANGUAGE
from app.notifications.models import OutboxKind
from app.notifications.outbox import queue_alert_push
from app.patients.models import Patient
from app.reports.models import (
    Alert,
    ClosedPeriod,
    ReportCreate,
    ReportForm,
    SignPublic,
    SymptomReport,
)
from app.reports.translated_rules import rules_in
from app.reports.triage import (
    Level,
    Numbers,
    PastPain,
    TriageError,
    TriageRules,
    rules_from,
    triage,
)
from app.reports.wording import sign_labels

# How far ahead the app is told when the clinic is closed (it triages offline with it).
CLOSED_PERIODS_DAYS = 14


def rules_for(clinic: Clinic) -> TriageRules:
    return rules_from(clinic.triage_rules)


def sign_labels_for(
    session: Session, clinic_id: uuid.UUID, language: str = DEFAULT_LANGUAGE
) -> dict[str, str]:
    """The clinic's sign labels by code, to show a report as the patient saw it (in the
    patient's language on their phone; staff read the clinic's own)."""
    clinic = session.get(Clinic, clinic_id)
    assert clinic is not None  # foreign key
    return sign_labels(rules_in(rules_for(clinic), language))


def _zone(*names: str) -> ZoneInfo:
    """The first usable zone of `names` (stored zones are validated when written)."""
    for name in names:
        try:
            return ZoneInfo(name)
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            continue
    return ZoneInfo("UTC")


def report_form(clinic: Clinic, *, patient: Patient, now: datetime) -> ReportForm:
    """What the app needs to draw the form and to triage offline as the server does: the
    clinic's signs in their groups, the numbers, the rules, and when the clinic is closed."""
    rules = rules_in(rules_for(clinic), patient.language)
    patient_zone = _zone(patient.time_zone, clinic.time_zone)
    periods = closed_periods_of(clinic, now, CLOSED_PERIODS_DAYS)
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
        rules=rules.model_dump(mode="json"),
        out_of_hours_name=clinic.out_of_hours_name,
        out_of_hours_phone=clinic.out_of_hours_phone,
        closed_periods=[
            ClosedPeriod(
                starts_at=start,
                ends_at=end,
                reopens=reopens_text(end, patient_zone, patient.language),
            )
            for start, end in periods
        ],
    )


def pain_history(
    session: Session, *, patient: Patient, rules: TriageRules, now: datetime
) -> list[PastPain]:
    """The earlier pains the rules look at: the latest report with a pain (however old), and
    every report with a pain in the last `rise_over_days` days. Reports without a pain are
    skipped: they are neither "the previous pain" nor the lowest."""
    with_pain = (
        select(SymptomReport.created_at, SymptomReport.pain)
        .where(SymptomReport.patient_id == patient.id, col(SymptomReport.pain).is_not(None))
        .order_by(col(SymptomReport.created_at).desc())
    )
    latest = session.exec(with_pain.limit(1)).all()
    since = now - timedelta(days=rules.pain.rise_over_days)
    recent = session.exec(with_pain.where(col(SymptomReport.created_at) >= since)).all()

    def hours_ago(at: datetime) -> float:
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        return max(0.0, (now - at).total_seconds() / 3600)

    return [PastPain(hours_ago=hours_ago(at), pain=pain) for at, pain in [*latest, *recent]]


def submit(
    session: Session,
    *,
    patient: Patient,
    clinic: Clinic,
    data: ReportCreate,
    now: datetime,
    by_carer: uuid.UUID | None = None,
) -> tuple[SymptomReport, bool]:
    """Store and triage a report: (report, created); `by_carer`: the carer link it was sent
    through (None: the patient). Idempotent on `client_id`: a report the app sends again (it
    was offline, or the answer was lost) returns the stored one.

    Conflict `report_for_another_person` when `data.for_patient` names someone else: what was
    said about one person must never be filed, triaged or alerted on as another's."""
    if data.for_patient is not None and data.for_patient != patient.id:
        raise Conflict(
            # DRAFT for clinical review
            f"This report was written about someone other than {patient.name}, who this phone "
            "shows now, so it was not sent. If the person it was about is unwell, call their "
            "clinic now.",
            code=ErrorCode.REPORT_FOR_ANOTHER_PERSON,
        )
    existing = session.exec(
        select(SymptomReport).where(
            SymptomReport.patient_id == patient.id, SymptomReport.client_id == data.client_id
        )
    ).first()
    if existing is not None:
        return existing, False
    rules = rules_for(clinic)
    open_now, changes_at = is_open(clinic, now)
    reopens = ""
    if not open_now and changes_at is not None:
        zone = _zone(patient.time_zone, clinic.time_zone)
        reopens = reopens_text(changes_at, zone, patient.language)
    history = pain_history(session, patient=patient, rules=rules, now=now)
    numbers = Numbers(
        emergency=clinic.emergency_number,
        clinic=clinic.phone,
        out_of_hours_phone=clinic.out_of_hours_phone,
        out_of_hours_name=clinic.out_of_hours_name,
        reopens=reopens,
    )
    try:
        result = triage(
            rules, pain=data.pain, signs=data.signs, note=data.note, history=history,
            clinic_open=open_now, numbers=numbers,
        )  # fmt: skip
        if patient.language != DEFAULT_LANGUAGE:
            # The same rules in the patient's words: the level and reasons (for the clinic)
            # come from the clinic's rules, what to do now in the patient's language.
            shown = triage(
                rules_in(rules, patient.language), pain=data.pain, signs=data.signs,
                note=data.note, history=history, clinic_open=open_now, numbers=numbers,
            )  # fmt: skip
            result = replace(
                result, title=shown.title, advice=shown.advice, call_label=shown.call_label
            )
    except TriageError as exc:
        raise InvalidInput(str(exc), code=exc.code) from exc
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
        reported_by_carer=by_carer,
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
            # Out of hours: plain minutes, not the next opening (see escalation_time).
            escalate_at=escalation_time(clinic, now),
            note_needs_reading=result.note_needs_reading,
        )
        session.add(alert)
        session.flush()
        # In the report's transaction: the push is queued exactly when the alert exists, due
        # now whatever the hours (the dispatcher sends it to on-call staff first).
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
