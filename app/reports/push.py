"""What the dispatcher reads of an alert to push it to staff, handed to it by app/scheduler.py."""

from __future__ import annotations

from sqlmodel import col

from app.notifications.load import AlertSource
from app.reports.alerts import OPEN
from app.reports.models import Alert

ALERT_SOURCE = AlertSource(
    table=Alert,
    id=col(Alert.id),
    level=col(Alert.level),
    status=col(Alert.status),
    clinic_id=col(Alert.clinic_id),
    open_status=OPEN,
)
