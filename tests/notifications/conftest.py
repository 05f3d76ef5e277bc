"""Fixtures for the notification engine: the real push receiver, keys, a dispatcher."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from app.config import Settings
from app.notifications.dispatcher import Dispatcher
from app.notifications.vapid import VapidKeys, load_or_create
from app.scheduler import build_dispatcher
from tests.support.push_service import FakePushService


@pytest.fixture(scope="session")
def push_service() -> Iterator[FakePushService]:
    with FakePushService() as service:
        yield service


@pytest.fixture
def push(push_service: FakePushService) -> Iterator[FakePushService]:
    """The loopback push service, answering 201 and with nothing received, for every test."""
    push_service.reset()
    push_service.clear()
    yield push_service
    push_service.release()
    push_service.reset()


@pytest.fixture
def keys(settings: Settings) -> VapidKeys:
    return load_or_create(settings.vapid_private_key_file, create=True)


MakeDispatcher = Callable[..., Dispatcher]


@pytest.fixture
def make_dispatcher(
    settings: Settings, factory: sessionmaker[Session], clock: FixedClock, keys: VapidKeys
) -> Iterator[MakeDispatcher]:
    """Dispatchers on the test database and clock, with settings overridden by keyword."""
    made: list[Dispatcher] = []

    def make(**overrides: object) -> Dispatcher:
        tuned = settings.model_copy(update=overrides)
        made.append(build_dispatcher(tuned, session_factory=factory, clock=clock, keys=keys))
        return made[-1]

    yield make
    for dispatcher in made:
        dispatcher.close()


@pytest.fixture
def dispatcher(make_dispatcher: MakeDispatcher) -> Dispatcher:
    return make_dispatcher()
