"""Subscriptions by endpoint: a browser moves to whoever signs in on it, but only with its keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.error_codes import ErrorCode
from app.errors import Conflict
from app.notifications.models import MAX_EXPIRATION_MS, PushSubscription, PushSubscriptionIn
from app.notifications.subscriptions import Owner, subscribe
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.support.push_service import FakePushService, FakeSubscription


class People:
    """Two patients of one clinic and a clinician, as owners of subscriptions."""

    def __init__(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        self.factory, self.clock, self.settings = factory, clock, settings
        clinic, staff = make_clinic_with_staff(factory, now=clock.now())
        ada, _ = make_patient(
            factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings
        )
        bea, _ = make_patient(
            factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings, name="Bea"
        )
        self.ada = Owner(patient_id=ada.id)
        self.bea = Owner(patient_id=bea.id)
        self.nurse = Owner(staff_id=staff.id)

    def subscribe(self, owner: Owner, browser: dict[str, object]) -> None:
        with transaction(self.factory) as session:
            subscribe(
                session,
                owner=owner,
                data=PushSubscriptionIn.model_validate(browser),
                key_id="k1",
                now=self.clock.now(),
                settings=self.settings,
            )

    def stored(self, endpoint: str) -> PushSubscription:
        with self.factory() as session:
            row = session.exec(
                select(PushSubscription).where(PushSubscription.endpoint == endpoint)
            ).one()
            session.expunge(row)
            return row


@pytest.fixture
def people(factory: sessionmaker[Session], clock: FixedClock, settings: Settings) -> People:
    return People(factory, clock, settings)


def other_keys(browser: FakeSubscription, push: FakePushService) -> dict[str, object]:
    """The same endpoint with someone else's keys: what anyone who saw the endpoint can send."""
    mine = push.subscribe()
    return browser.to_json() | {"keys": {"p256dh": mine.p256dh, "auth": mine.auth}}


def test_the_same_browser_moves_to_whoever_signs_in_on_it(
    people: People, push: FakePushService
) -> None:
    browser = push.subscribe()
    people.subscribe(people.ada, browser.to_json())
    # A carer's phone: Bea signs in on the same browser, whose PushManager gives the same keys.
    people.subscribe(people.bea, browser.to_json())
    assert people.stored(browser.endpoint).patient_id == people.bea.patient_id
    # The keys may come padded this time; they are the same keys.
    padded = browser.to_json() | {"keys": {"p256dh": browser.p256dh + "=", "auth": browser.auth}}
    people.subscribe(people.nurse, padded)
    row = people.stored(browser.endpoint)
    assert (row.patient_id, row.staff_id) == (None, people.nurse.staff_id)


@pytest.mark.parametrize("taker", ["bea", "nurse"])
def test_other_keys_never_take_someone_elses_endpoint(
    people: People, push: FakePushService, taker: str
) -> None:
    browser = push.subscribe()
    people.subscribe(people.ada, browser.to_json())
    with pytest.raises(Conflict) as refused:
        people.subscribe(getattr(people, taker), other_keys(browser, push))
    assert refused.value.code is ErrorCode.PUSH_SUBSCRIPTION_TAKEN
    row = people.stored(browser.endpoint)
    assert row.patient_id == people.ada.patient_id
    assert (row.p256dh, row.auth) == (browser.p256dh, browser.auth)


def test_half_the_keys_are_not_the_browser(people: People, push: FakePushService) -> None:
    browser = push.subscribe()
    people.subscribe(people.ada, browser.to_json())
    public_only = browser.to_json() | {
        "keys": {"p256dh": browser.p256dh, "auth": push.subscribe().auth}
    }
    with pytest.raises(Conflict):
        people.subscribe(people.bea, public_only)


def test_the_owner_may_store_new_keys_for_its_own_endpoint(
    people: People, push: FakePushService
) -> None:
    browser = push.subscribe()
    people.subscribe(people.ada, browser.to_json())
    renewed = other_keys(browser, push)
    people.subscribe(people.ada, renewed)
    keys = renewed["keys"]
    assert isinstance(keys, dict)
    assert people.stored(browser.endpoint).auth == keys["auth"]


class TestExpirationTime:
    def test_the_last_day_accepted_is_stored(self, people: People, push: FakePushService) -> None:
        browser = push.subscribe()
        people.subscribe(people.ada, browser.to_json() | {"expirationTime": MAX_EXPIRATION_MS})
        assert people.stored(browser.endpoint).expiration_at == datetime(9999, 12, 30, tzinfo=UTC)

    @pytest.mark.parametrize("milliseconds", [MAX_EXPIRATION_MS + 1, 253402300800000, 10**20])
    def test_beyond_is_refused_by_validation(
        self, push: FakePushService, milliseconds: int
    ) -> None:
        with pytest.raises(ValidationError, match="expirationTime"):
            PushSubscriptionIn.model_validate(
                push.subscribe().to_json() | {"expirationTime": milliseconds}
            )
