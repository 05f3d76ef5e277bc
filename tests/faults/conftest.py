"""Fault tests reuse the notification fixtures: the loopback push service and the VAPID keys."""

from __future__ import annotations

from tests.notifications.conftest import keys, push, push_service

__all__ = ["keys", "push", "push_service"]
