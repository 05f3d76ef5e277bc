"""Push subscriptions of patients' and staff devices: validate, upsert by endpoint, remove."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, delete
from sqlmodel import Session, col, select

from app.config import Settings
from app.error_codes import ErrorCode
from app.errors import Conflict, InvalidInput
from app.notifications.models import PushKeys, PushSubscription, PushSubscriptionIn
from app.notifications.push_hosts import EndpointRefused, PushHosts
from app.shared.base64url import b64url_decode


@dataclass(frozen=True)
class Owner:
    """Whose device it is: exactly one of a patient, a staff user or a carer."""

    patient_id: uuid.UUID | None = None
    staff_id: uuid.UUID | None = None
    carer_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if [self.patient_id, self.staff_id, self.carer_id].count(None) != 2:
            raise ValueError("a subscription belongs to exactly one patient, staff user or carer")

    def condition(self) -> ColumnElement[bool]:
        if self.patient_id is not None:
            return col(PushSubscription.patient_id) == self.patient_id
        if self.carer_id is not None:
            return col(PushSubscription.carer_id) == self.carer_id
        return col(PushSubscription.staff_id) == self.staff_id


def check_endpoint(endpoint: str, settings: Settings) -> None:
    """An https endpoint on the internet (push_hosts.py); loopback and http in development."""
    try:
        PushHosts.from_settings(settings).check(endpoint)
    except EndpointRefused as exc:
        raise InvalidInput(str(exc)) from None


def _owned_by(row: PushSubscription, owner: Owner) -> bool:
    return (row.patient_id, row.staff_id, row.carer_id) == (
        owner.patient_id,
        owner.staff_id,
        owner.carer_id,
    )


def _same_browser(row: PushSubscription, keys: PushKeys) -> bool:
    """The keys are the ones this endpoint's browser made: only that browser (and we) know
    the auth secret, and its PushManager hands the same keys out again for one subscription."""
    try:
        stored = b64url_decode(row.p256dh) + b64url_decode(row.auth)
    except ValueError:  # a stored key we cannot read proves nothing
        return False
    return hmac.compare_digest(stored, b64url_decode(keys.p256dh) + b64url_decode(keys.auth))


def subscribe(
    session: Session,
    *,
    owner: Owner,
    data: PushSubscriptionIn,
    key_id: str,
    now: datetime,
    settings: Settings,
    device_session_id: uuid.UUID | None = None,
) -> PushSubscription:
    """Store (or refresh) a device's subscription; the owner's oldest beyond the limit go.

    An endpoint is one browser: if it was someone else's (a shared phone, a carer's), it is
    now the current owner's, since only they can be signed in on it, but only when the keys
    are that browser's too. Anyone may post any endpoint, and taking one over with other keys
    would silence the other person's reminders (409, nothing changed). A patient's
    subscription remembers the device session that made it, so revoking that device silences
    it too.
    """
    check_endpoint(data.endpoint, settings)
    expires = (
        datetime.fromtimestamp(data.expirationTime / 1000, tz=UTC)
        if data.expirationTime is not None
        else None
    )
    row = session.exec(
        select(PushSubscription).where(PushSubscription.endpoint == data.endpoint)
    ).first()
    if row is None:
        row = PushSubscription(
            endpoint=data.endpoint, p256dh="", auth="", vapid_key_id="", created_at=now
        )
    elif not _owned_by(row, owner) and not _same_browser(row, data.keys):
        raise Conflict(
            "This browser's notifications are registered to someone else, and the details "
            "sent do not match it, so they were not moved to you. Turn notifications off and "
            "on again in the app.",
            code=ErrorCode.PUSH_SUBSCRIPTION_TAKEN,
        )
    row.patient_id = owner.patient_id
    row.staff_id = owner.staff_id
    row.carer_id = owner.carer_id
    row.device_session_id = device_session_id
    row.p256dh = data.keys.p256dh
    row.auth = data.keys.auth
    row.vapid_key_id = key_id
    row.expiration_at = expires
    row.created_at = now
    session.add(row)
    session.flush()
    _keep_newest(session, owner=owner, limit=settings.max_push_devices)
    return row


def _keep_newest(session: Session, *, owner: Owner, limit: int) -> None:
    rows = session.exec(
        select(PushSubscription.id)
        .where(owner.condition())
        .order_by(col(PushSubscription.created_at).desc(), col(PushSubscription.id))
    ).all()
    if len(rows) > limit:
        session.execute(delete(PushSubscription).where(col(PushSubscription.id).in_(rows[limit:])))


def unsubscribe(session: Session, *, owner: Owner, endpoint: str) -> None:
    """Forget the owner's subscription for `endpoint`; unknown endpoints are a no-op."""
    session.execute(
        delete(PushSubscription).where(
            col(PushSubscription.endpoint) == endpoint,
            owner.condition(),
        )
    )


def list_for(session: Session, *, owner: Owner) -> Sequence[PushSubscription]:
    return session.exec(
        select(PushSubscription).where(owner.condition()).order_by(col(PushSubscription.created_at))
    ).all()
