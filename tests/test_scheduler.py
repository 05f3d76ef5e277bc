"""The scheduler's wiring: the dispatch tick that `aftercare serve` and `aftercare worker`
schedule runs the registered periodic jobs, so an overdue alert escalates on it."""

from __future__ import annotations

from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from app.config import Settings
from app.notifications.models import OutboxKind, OutboxStatus
from app.notifications.vapid import load_or_create
from app.reports.jobs import ESCALATION
from app.scheduler import PERIODIC_JOBS, build_dispatcher, schedule_dispatch
from tests.reports.test_escalation import Riverside, alert_now, pushes


def test_the_reports_escalation_is_a_registered_job() -> None:
    assert ESCALATION in PERIODIC_JOBS


def test_the_scheduled_tick_escalates_an_overdue_alert_and_sends_it_in_the_same_tick(
    factory: sessionmaker[Session], clock: FixedClock, settings: Settings
) -> None:
    riverside = Riverside(factory, clock, settings)
    alert = riverside.raise_alert()
    assert alert.escalate_at is not None
    clock.set(alert.escalate_at)
    keys = load_or_create(settings.vapid_private_key_file, create=True)
    dispatcher = build_dispatcher(settings, session_factory=factory, clock=clock, keys=keys)
    scheduler = BackgroundScheduler(timezone=UTC)
    try:
        schedule_dispatch(scheduler, dispatcher, settings)  # what `aftercare worker` schedules
        tick = scheduler.get_job("dispatch")
        assert tick is not None
        tick.func()  # one interval's run, without waiting for the interval
    finally:
        dispatcher.close()
    assert alert_now(factory, alert.id).escalated_at == alert.escalate_at
    # Claimed in the same tick: nobody at the clinic has a device, so it failed visibly.
    [escalation] = pushes(factory, OutboxKind.ALERT_ESCALATION)
    assert escalation.status == OutboxStatus.FAILED
    assert escalation.last_error == "no staff device subscribed to alerts"
