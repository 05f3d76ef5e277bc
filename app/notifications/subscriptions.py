"""Push subscriptions of patients' and staff devices: validate, upsert by endpoint, remove."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, delete
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import InvalidInput
from app.notifications.models import PushSubscription, PushSubscriptionIn


@dataclass(frozen=True)
class Owner:
    """Whose device it is: exactly one of a patient or a staff user."""

    patient_id: uuid.UUID | None = None
    staff_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        if (self.patient_id is None) == (self.staff_id is None):
            raise ValueError("a subscription belongs to exactly one patient or staff user")

    def condition(self) -> ColumnElement[bool]:
        if self.patient_id is not None:
            return col(PushSubscription.patient_id) == self.patient_id
        return col(PushSubscription.staff_id) == self.staff_id


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str, settings: Settings) -> None:
    """Push services are reached over https; plain http only to loopback in development."""
    parts = urlsplit(endpoint)
    if parts.scheme == "https" and parts.hostname:
        return
    if (
        parts.scheme == "http"
        and settings.env == "development"
        and parts.hostname
        and _is_loopback(parts.hostname)
    ):
        return
    raise InvalidInput("endpoint must be an https:// URL of a push service")


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

    An endpoint is one browser: if it was someone else's (a shared phone), it is now the
    current owner's, since only they can be signed in on it. A patient's subscription
    remembers the device session that made it, so revoking that device silences it too.
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
    row.patient_id = owner.patient_id
    row.staff_id = owner.staff_id
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
