"""Deciding each claimed row at send time, and building its push or the outcome that ends it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.i18n.formats import short_when_in
from app.notifications.actions import make_token
from app.notifications.letter_text import reminder_letter, staff_alert_letter
from app.notifications.letters import Letter
from app.notifications.load import AlertClaim, Claim
from app.notifications.models import Channel, OutboxKind, OutboxStatus
from app.notifications.outcome import Outcome, QueuedFallback, later
from app.notifications.payload import (
    alert_payload,
    reminder_payload,
    report_seen_payload,
    visit_notice_payload,
)


@dataclass(frozen=True)
class Push:
    """One message for every device of a claim, with the headers the push service needs."""

    plaintext: bytes
    ttl: int
    urgency: str
    topic: str


class Build:
    """A claim's push, or (cancelled, dropped, retried later, failed) why none goes now."""

    def __init__(
        self, *, public_url: str, action_secret: bytes, receipt_secret: bytes = b""
    ) -> None:
        self._public_url = public_url
        self._action_secret = action_secret
        self._receipt_secret = receipt_secret

    def __call__(self, claim: Claim | AlertClaim, now: datetime) -> Push | Letter | Outcome:
        if isinstance(claim, AlertClaim):
            return self._alert(claim, now)
        if claim.report_notice:
            return self._report_seen(claim, now)
        if claim.notice:
            return self._visit_notice(claim, now)
        if claim.channel != Channel.PUSH:
            return self._letter(claim, now)
        return self._reminder(claim, now)

    def _letter(self, claim: Claim, now: datetime) -> Letter | Outcome:
        """A push reminder's fallback by e-mail or SMS: the reminder's own rules, and it goes only
        if the push was not shown, within the day's allowance, to an address in the record."""
        occurrence_id = claim.occurrence_id
        ended = _not_now(claim, now)
        if ended is not None or occurrence_id is None:
            return ended or Outcome(claim.row_id, OutboxStatus.CANCELLED, "replaced by a new plan")
        if claim.shown:
            return Outcome(claim.row_id, OutboxStatus.CANCELLED, "the push was shown on a device")
        if not claim.address:
            reason = (
                "no e-mail address in the record"
                if claim.channel == Channel.EMAIL
                else "no mobile number with the country code in the record"
            )
            return Outcome(claim.row_id, OutboxStatus.FAILED, reason)
        if claim.sent_today >= claim.daily_limit:
            reason = f"the clinic's limit of {claim.daily_limit} a day by {claim.channel} reached"
            return Outcome(claim.row_id, OutboxStatus.FAILED, reason)
        return reminder_letter(
            channel=claim.channel,
            to=claim.address,
            occurrence_id=occurrence_id,
            kind=claim.kind,
            title=claim.title,
            show_title=claim.show_title,
            clinic=claim.clinic_name,
            public_url=self._public_url,
            language=claim.language,
        )

    def _reminder(self, claim: Claim, now: datetime) -> Push | Outcome:
        occurrence_id = claim.occurrence_id
        ended = _not_now(claim, now)
        if ended is not None or occurrence_id is None:
            return ended or Outcome(claim.row_id, OutboxStatus.CANCELLED, "replaced by a new plan")
        if not claim.devices:
            reason = "no device subscribed to reminders"
            outcome = Outcome(claim.row_id, OutboxStatus.FAILED, reason)
            outcome.fallback = fallback_of(claim, now, devices=False)
            return outcome
        plaintext = reminder_payload(
            occurrence_id=occurrence_id,
            kind=claim.kind,
            title=claim.title,
            task=claim.task,
            show_title=claim.show_title,
            public_url=self._public_url,
            action_token=(
                make_token(self._action_secret, occurrence_id, claim.expires_at)
                if claim.kind == "task"
                else None
            ),
            receipt_token=self._receipt_token(occurrence_id, claim.expires_at),
            patient_id=claim.patient_id,
            language=claim.language,
        )
        ttl = int((claim.expires_at - now).total_seconds())
        return Push(plaintext, ttl=ttl, urgency="normal", topic=occurrence_id.hex)

    def _visit_notice(self, claim: Claim, now: datetime) -> Push | Outcome:
        """A visit booked, moved or unbooked: the reminder's rules (the patient's night waits
        for their wake time), the words from the visit as it stands at send time."""
        rhythm, occurrence_id = claim.rhythm, claim.occurrence_id
        if occurrence_id is None or rhythm is None or claim.visit_at is None:
            return Outcome(claim.row_id, OutboxStatus.CANCELLED, "the visit is no longer planned")
        if now >= claim.expires_at:
            return Outcome(claim.row_id, OutboxStatus.DROPPED, "too late: the visit has begun")
        if rhythm.is_night(now):
            return later(claim, rhythm.to_daytime(now), rhythm, "patient's night")
        if not claim.devices:
            return Outcome(claim.row_id, OutboxStatus.FAILED, "no device subscribed to reminders")
        plaintext = visit_notice_payload(
            occurrence_id=occurrence_id,
            notice=claim.notice,
            title=claim.title,
            when=short_when_in(claim.visit_at, rhythm.zone, claim.language),
            show_title=claim.show_title,
            public_url=self._public_url,
            receipt_token=self._receipt_token(occurrence_id, claim.expires_at),
            language=claim.language,
        )
        ttl = int((claim.expires_at - now).total_seconds())
        return Push(plaintext, ttl=ttl, urgency="normal", topic=occurrence_id.hex)

    def _report_seen(self, claim: Claim, now: datetime) -> Push | Outcome:
        """The clinic saw a report: the reminder's night rule (the patient's wake time), except
        for an urgent or emergency report, whose answer goes at once, night or not."""
        rhythm, report_id = claim.rhythm, claim.report_id
        if report_id is None or rhythm is None:
            return Outcome(claim.row_id, OutboxStatus.CANCELLED, "the report no longer exists")
        if now >= claim.expires_at:
            return Outcome(claim.row_id, OutboxStatus.DROPPED, "too late: report push expired")
        urgent = claim.report_notice == OutboxKind.REPORT_SEEN_URGENT
        if not urgent and rhythm.is_night(now):
            return later(claim, rhythm.to_daytime(now), rhythm, "patient's night")
        if not claim.devices:
            return Outcome(claim.row_id, OutboxStatus.FAILED, "no device subscribed to reminders")
        plaintext = report_seen_payload(
            report_id=report_id,
            text=claim.report_text,
            show_text=claim.show_title,
            public_url=self._public_url,
            patient_id=claim.patient_id,
            language=claim.language,
        )
        ttl = int((claim.expires_at - now).total_seconds())
        return Push(plaintext, ttl=ttl, urgency="high" if urgent else "normal", topic=report_id.hex)

    def _receipt_token(self, occurrence_id: uuid.UUID, expires_at: datetime) -> str | None:
        """Lets the device report this push shown or tapped; none when built without a key."""
        if not self._receipt_secret:
            return None
        return make_token(self._receipt_secret, occurrence_id, expires_at)

    def _alert(self, claim: AlertClaim, now: datetime) -> Push | Letter | Outcome:
        """Staff alerts: no night rule (a clinic wants them at once), cancelled once handled."""
        if claim.alert_id is None or claim.level is None:
            return Outcome(claim.row_id, OutboxStatus.CANCELLED, "alert no longer exists")
        if not claim.still_open:
            return Outcome(claim.row_id, OutboxStatus.CANCELLED, "alert already acknowledged")
        if now >= claim.expires_at:
            return Outcome(claim.row_id, OutboxStatus.DROPPED, "too late: alert push expired")
        if claim.channel != Channel.PUSH:
            return self._alert_letter(claim)
        if not claim.devices:
            reason = "no staff device subscribed to alerts"
            return Outcome(claim.row_id, OutboxStatus.FAILED, reason)
        plaintext = alert_payload(
            alert_id=claim.alert_id,
            level=claim.level,
            escalation=claim.kind == OutboxKind.ALERT_ESCALATION,
            public_url=self._public_url,
        )
        ttl = int((claim.expires_at - now).total_seconds())
        # The alert's id as Topic: an escalation replaces a first push still queued.
        return Push(plaintext, ttl=ttl, urgency="high", topic=claim.alert_id.hex)

    def _alert_letter(self, claim: AlertClaim) -> Letter | Outcome:
        """An open alert's e-mail or text to an on-call staff member, to the address their
        account has now; none once they are off call, disabled, or chose otherwise."""
        assert claim.level is not None  # checked by _alert
        if not claim.still_chosen:
            reason = "the staff member is no longer on call by this channel"
            return Outcome(claim.row_id, OutboxStatus.CANCELLED, reason)
        if not claim.address:
            reason = (
                "no e-mail address on the staff account"
                if claim.channel == Channel.EMAIL
                else "no mobile number with the country code on the staff account"
            )
            return Outcome(claim.row_id, OutboxStatus.FAILED, reason)
        return staff_alert_letter(
            channel=claim.channel,
            to=claim.address,
            level=claim.level,
            clinic=claim.clinic_name,
            public_url=self._public_url,
        )


def _not_now(claim: Claim, now: datetime) -> Outcome | None:
    """Why a reminder (by any channel) does not go now: replaced, done, too late, the night."""
    rhythm = claim.rhythm
    if claim.occurrence_id is None or rhythm is None:
        return Outcome(claim.row_id, OutboxStatus.CANCELLED, "replaced by a new plan")
    if claim.done:
        return Outcome(claim.row_id, OutboxStatus.CANCELLED, "task already done")
    if now >= claim.expires_at:
        reason = "too late: the task's window has closed"
        return Outcome(claim.row_id, OutboxStatus.DROPPED, reason)
    if rhythm.is_night(now):
        return later(claim, rhythm.to_daytime(now), rhythm, "patient's night")
    return None


def fallback_of(claim: Claim, now: datetime, *, devices: bool) -> QueuedFallback | None:
    """The e-mail or SMS row a push reminder queues as it goes out: due at once when no device
    could take the push, else once the clinic's wait has passed without it being shown."""
    if claim.fallback is None or claim.occurrence_id is None or claim.patient_id is None:
        return None
    return QueuedFallback(
        occurrence_id=claim.occurrence_id,
        patient_id=claim.patient_id,
        channel=claim.fallback.channel,
        due_at=claim.due_at,
        next_attempt_at=now + claim.fallback.wait if devices else now,
        expires_at=claim.expires_at,
    )
