"""The clinic marks a patient's report seen, with an optional reply, and the patient is told.

First seen stands: the first call (the Mark seen button, or acknowledging the report's alert)
sets when, by whom and the reply, all at once; a later call changes nothing, not even an empty
reply. So a patient never gets two "seen" pushes for one report, and what they read does not
change under them. To write back, write the reply when marking seen (or acknowledging).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.careplan.daytime import zone_for
from app.error_codes import ErrorCode
from app.errors import InvalidInput, NotFound
from app.i18n import catalogue
from app.i18n.formats import clock_time
from app.i18n.languages import DEFAULT_LANGUAGE
from app.notifications.models import OutboxKind
from app.notifications.outbox import queue_report_seen_push
from app.patients.models import Patient
from app.reports.models import REPLY_MAX, SymptomReport
from app.reports.triage import Level
from app.staff.models import StaffUser

# A "seen" push still undelivered after this long is dropped: the app's list shows it anyway.
SEEN_PUSH_LIFETIME = timedelta(days=3)


def report_of(session: Session, *, patient: Patient, report_id: uuid.UUID) -> SymptomReport:
    """The patient's report `report_id`; another patient's (or none) is NotFound."""
    report = session.get(SymptomReport, report_id)
    if report is None or report.patient_id != patient.id:
        raise NotFound("No such report.")
    return report


def check_reply(reply: str) -> str:
    """The reply as stored (trimmed), or InvalidInput `reply_too_long` in plain words."""
    reply = reply.strip()
    if len(reply) > REPLY_MAX:
        raise InvalidInput(
            f"The reply is {len(reply)} characters long; it can be at most {REPLY_MAX}.",
            code=ErrorCode.REPLY_TOO_LONG,
        )
    return reply


def mark_seen(
    session: Session, *, report: SymptomReport, staff: StaffUser, reply: str, now: datetime
) -> bool:
    """Mark `report` seen by `staff` at `now` with `reply` (may be ""); whether this call did.

    The conditional UPDATE makes the first one stand between concurrent requests too. The
    first call queues the patient's push, in the same transaction. The caller checks that
    the report is of the staff member's clinic.
    """
    reply = check_reply(reply)
    result = session.execute(
        update(SymptomReport)
        .where(col(SymptomReport.id) == report.id, col(SymptomReport.seen_at).is_(None))
        .values(seen_at=now, seen_by=staff.id, reply=reply)
    )
    session.refresh(report)
    first = bool(result.rowcount == 1)  # type: ignore[attr-defined]
    if first:
        patient = session.get(Patient, report.patient_id)
        assert patient is not None  # foreign key
        urgent = report.level in (Level.EMERGENCY, Level.URGENT)
        queue_report_seen_push(
            session,
            report_id=report.id,
            patient_id=patient.id,
            kind=OutboxKind.REPORT_SEEN_URGENT if urgent else OutboxKind.REPORT_SEEN,
            text=seen_text(
                name=seen_by_name(staff, patient.language),
                at=now,
                zone_name=patient.time_zone,
                reply=reply,
                language=patient.language,
            ),
            now=now,
            expires_at=now + SEEN_PUSH_LIFETIME,
        )
    return first


def seen_text(
    *, name: str, at: datetime, zone_name: str, reply: str, language: str = DEFAULT_LANGUAGE
) -> str:
    """The push's words in the patient's language: who saw the report and when (the patient's
    clock), and the reply."""
    time = clock_time(at.astimezone(zone_for(zone_name)), language)
    if reply:
        # DRAFT for clinical review
        return catalogue.text(
            language, "Seen by {name} at {time}: {reply}", name=name, time=time, reply=reply
        )
    # DRAFT for clinical review
    return catalogue.text(
        language, "Your report was seen by {name} at {time}.", name=name, time=time
    )


def seen_by_name(staff: StaffUser | None, language: str = DEFAULT_LANGUAGE) -> str:
    """How a patient reads who saw their report: the staff member's name, else "the clinic"
    (never their sign-in e-mail address)."""
    # DRAFT for clinical review
    return (staff.name if staff is not None else "") or catalogue.text(language, "the clinic")


def seen_by_names(
    session: Session, ids: Iterable[uuid.UUID | None], language: str = DEFAULT_LANGUAGE
) -> dict[uuid.UUID, str]:
    """The names of the staff who saw reports, by id, as the patient reads them."""
    wanted = {staff_id for staff_id in ids if staff_id is not None}
    if not wanted:
        return {}
    staff = session.exec(select(StaffUser).where(col(StaffUser.id).in_(wanted))).all()
    return {member.id: seen_by_name(member, language) for member in staff}
