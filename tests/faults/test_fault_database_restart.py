"""PostgreSQL lost mid-burst: the dispatcher reconnects by itself and sends every reminder once.

The machine's PostgreSQL is shared, so it is never restarted: a proxy between the dispatcher
and the server drops every connection and refuses new ones for a few seconds (what a client
sees during a restart), or the dispatcher's backends are terminated with pg_terminate_backend.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import func, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clock import SystemClock
from app.config import Settings
from app.db import make_engine, normalise_url, session_factory
from app.notifications.dispatcher import Dispatcher
from app.notifications.models import OutboxMessage, OutboxStatus
from app.notifications.vapid import VapidKeys
from app.scheduler import build_dispatcher, start_in_background
from tests.support.database import postgres_server_url
from tests.support.due_burst import DueBurst, make_due_burst
from tests.support.push_service import FakePushService
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(
    postgres_server_url() is None, reason="needs PostgreSQL (AFTERCARE_TEST_DATABASE_URL)"
)

PATIENTS = 8  # about 50 reminders each: a burst of some 400 rows, sent 25 at a time
APPLICATION_NAME = "aftercare-fault-dispatcher"  # tells the dispatcher's backends apart
OUTAGE_SECONDS = 3.0


@pytest.fixture
def burst(
    factory: sessionmaker[Session], settings: Settings, push: FakePushService, keys: VapidKeys
) -> DueBurst:
    """Patients awake now (UTC), each with a device; every pending reminder due now."""
    made = make_due_burst(
        factory, settings, push, keys, patients=PATIENTS, expires_in=timedelta(hours=2)
    )
    assert made.count >= 300
    return made


def dispatcher_url(database_url: str, proxy: TcpProxy | None = None) -> str:
    """The test database, through the proxy if given, with a name its backends can be found by."""
    url = make_url(normalise_url(database_url)).update_query_dict(
        {"application_name": APPLICATION_NAME}
    )
    if proxy is not None:
        url = url.set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


StartDispatcher = Callable[[str], Dispatcher]


@pytest.fixture
def start_dispatcher(settings: Settings, keys: VapidKeys) -> Iterator[StartDispatcher]:
    """Run a dispatcher as the app does (APScheduler in the background) on its own engine."""
    running: list[tuple[BaseScheduler, Dispatcher, Engine]] = []

    def start(url: str) -> Dispatcher:
        tuned = settings.model_copy(
            update={
                "database_url": url,
                "dispatch_interval_seconds": 0.1,
                "dispatch_batch_size": 25,
                "dispatch_lease_seconds": 5,
            }
        )
        engine = make_engine(url)
        dispatcher = build_dispatcher(
            tuned, session_factory=session_factory(engine), clock=SystemClock(), keys=keys
        )
        running.append((start_in_background(dispatcher, tuned), dispatcher, engine))
        return dispatcher

    yield start
    for scheduler, dispatcher, engine in running:
        scheduler.shutdown(wait=True)
        dispatcher.close()
        engine.dispose()


def statuses(factory: sessionmaker[Session]) -> Counter[str]:
    with factory() as session:
        rows = session.exec(
            select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
        ).all()
    return Counter({status: n for status, n in rows})


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {timeout:g} s"
        time.sleep(0.05)


def assert_each_sent_once(
    burst: DueBurst, factory: sessionmaker[Session], push: FakePushService
) -> None:
    wait_until(
        lambda: statuses(factory)[OutboxStatus.SENT] == burst.count,
        timeout=60,
        what=f"all {burst.count} rows sent",
    )
    time.sleep(0.5)  # anything sent twice would be on its way by now
    per_topic = burst.per_topic(push)
    assert len(per_topic) == burst.count  # none lost
    twice = {topic: n for topic, n in per_topic.items() if n > 1}
    assert not twice, f"{len(twice)} reminders delivered more than once"
    assert statuses(factory) == Counter({OutboxStatus.SENT: burst.count})


def held_requests(push: FakePushService) -> int:
    return push.request_count - len(push.deliveries()) - len(push.rejections)


def test_a_restart_while_a_batch_is_in_flight_loses_and_repeats_nothing(
    burst: DueBurst,
    database_url: str,
    factory: sessionmaker[Session],
    push: FakePushService,
    start_dispatcher: StartDispatcher,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="aftercare.dispatch")
    server = make_url(normalise_url(database_url))
    with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        start_dispatcher(dispatcher_url(database_url, proxy))
        push.wait_for(50, timeout=30)  # the burst is under way
        push.hang()  # the next batch is claimed and on the wire, its outcome not yet recorded
        wait_until(lambda: held_requests(push) > 0, timeout=10, what="a batch in flight")
        assert statuses(factory)[OutboxStatus.SENDING] > 0

        assert proxy.cut() > 0  # the server goes down: every connection dropped, none taken
        push.release()  # the batch in flight is delivered while the database is away
        time.sleep(OUTAGE_SECONDS)
        # The outcomes of that batch are still unrecorded; the dispatcher has kept trying.
        in_flight = statuses(factory)[OutboxStatus.SENDING]
        assert in_flight > 0
        assert statuses(factory)[OutboxStatus.PENDING] > 0  # it really was mid-burst
        proxy.restore()  # the server is back

        assert_each_sent_once(burst, factory, push)
    assert any("database" in r.getMessage() for r in caplog.records), "no outage was noticed"


def test_backends_terminated_again_and_again_during_the_burst(
    burst: DueBurst,
    database_url: str,
    engine: Engine,
    factory: sessionmaker[Session],
    push: FakePushService,
    start_dispatcher: StartDispatcher,
) -> None:
    terminated = mid_burst = 0
    stop = threading.Event()

    def terminate_repeatedly() -> None:
        nonlocal terminated, mid_burst
        while not stop.wait(0.05) and terminated < 15:
            with engine.begin() as connection:
                killed = connection.execute(
                    text(
                        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                        "FROM pg_stat_activity WHERE application_name = :name"
                    ),
                    {"name": APPLICATION_NAME},
                ).scalar_one()
            terminated += killed
            if killed and statuses(factory)[OutboxStatus.SENT] < burst.count:
                mid_burst += 1

    push.latency = 0.05  # a burst long enough to be interrupted many times
    try:
        start_dispatcher(dispatcher_url(database_url))
        push.wait_for(25, timeout=30)
        killer = threading.Thread(target=terminate_repeatedly, daemon=True)
        killer.start()
        killer.join(timeout=30)
        stop.set()
        assert mid_burst > 0, f"{terminated} backends terminated, none while rows were unsent"
        assert_each_sent_once(burst, factory, push)
    finally:
        push.latency = 0.0
