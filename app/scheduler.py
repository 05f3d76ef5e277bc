"""APScheduler wiring only: the dispatcher runs as an interval job; all state is in the database.

The domains' periodic jobs live beside their domain; this module only lists them, and every
dispatch tick runs them before it claims the outbox.
"""

from __future__ import annotations

from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import Clock
from app.config import Settings
from app.jobs import PeriodicJob
from app.notifications.actions import action_secret, receipt_secret
from app.notifications.channels import letter_senders
from app.notifications.dispatcher import Dispatcher
from app.notifications.push_hosts import PushHosts
from app.notifications.sender import PushSender
from app.notifications.vapid import VapidKeys, VapidSigner
from app.reports import jobs as report_jobs
from app.reports.push import ALERT_SOURCE

PERIODIC_JOBS: tuple[PeriodicJob, ...] = (*report_jobs.JOBS,)


def build_dispatcher(
    settings: Settings, *, session_factory: sessionmaker[Session], clock: Clock, keys: VapidKeys
) -> Dispatcher:
    sender = PushSender(
        VapidSigner(keys, settings.vapid_subject),
        clock=clock,
        timeout=settings.push_timeout_seconds,
        max_connections=settings.dispatch_concurrency,
        hosts=PushHosts.from_settings(settings),
    )
    return Dispatcher(
        session_factory=session_factory,
        clock=clock,
        sender=sender,
        settings=settings,
        key_id=keys.key_id,
        action_secret=action_secret(keys),
        receipt_secret=receipt_secret(keys),
        alerts=ALERT_SOURCE,
        jobs=PERIODIC_JOBS,
        letters=letter_senders(settings),
    )


def schedule_dispatch(scheduler: BaseScheduler, dispatcher: Dispatcher, settings: Settings) -> None:
    # One run at a time: a run that drains a burst simply delays the next tick (coalesced).
    scheduler.add_job(
        dispatcher.run_once,
        "interval",
        seconds=settings.dispatch_interval_seconds,
        id="dispatch",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )


def start_in_background(dispatcher: Dispatcher, settings: Settings) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=UTC)
    schedule_dispatch(scheduler, dispatcher, settings)
    scheduler.start()
    return scheduler
