"""Failed attempts in the database: hashed keys, the sliding window, Retry-After, pruning."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.errors import TooManyRequests
from app.ratelimit import service
from app.ratelimit.models import RateLimitHit

WINDOW = timedelta(minutes=15)
LIMIT = service.Limit("login_email", 3, WINDOW)


def fail(factory: sessionmaker[Session], clock: FixedClock, *items: service.Counted) -> None:
    service.record_failure(factory, list(items), clock.now())


def wait(factory: sessionmaker[Session], clock: FixedClock, item: service.Counted) -> int | None:
    with transaction(factory) as session:
        return service.seconds_until_allowed(session, item, clock.now())


def hits(factory: sessionmaker[Session]) -> list[RateLimitHit]:
    with transaction(factory) as session:
        return list(session.exec(select(RateLimitHit)).all())


class TestKeys:
    def test_only_a_hash_of_the_key_is_stored(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        nurse = service.login_account_client(settings, "Nurse@Riverside.example", "192.0.2.7")
        fail(factory, clock, nurse)
        fail(factory, clock, service.login_ip(settings, "192.0.2.7"))
        stored = hits(factory)
        assert [h.scope for h in stored] == ["login_account_client", "login_ip"]
        for hit in stored:
            assert len(hit.key_hash) == 64 and int(hit.key_hash, 16) >= 0
            assert "riverside" not in hit.key_hash.lower() and "192" not in hit.key_hash

    def test_an_address_is_one_key_however_it_is_written(self, settings: Settings) -> None:
        assert service.login_account_client(
            settings, " Nurse@RIVERSIDE.example ", "192.0.2.7"
        ) == service.login_account_client(settings, "nurse@riverside.example", "192.0.2.7")

    def test_one_account_from_two_addresses_is_two_keys(self, settings: Settings) -> None:
        one = service.login_account_client(settings, "nurse@riverside.example", "192.0.2.7")
        two = service.login_account_client(settings, "nurse@riverside.example", "192.0.2.8")
        assert one != two

    def test_an_ipv6_client_is_counted_by_its_slash_64(self, settings: Settings) -> None:
        assert service.client_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
        assert service.login_ip(settings, "2001:db8:1:2::1") == service.login_ip(
            settings, "2001:db8:1:2:ffff:ffff:ffff:ffff"
        )
        assert service.login_ip(settings, "2001:db8:1:3::1") != service.login_ip(
            settings, "2001:db8:1:2::1"
        )
        assert service.client_key("::ffff:192.0.2.7") == "192.0.2.7"
        assert service.client_key("testclient") == "testclient"

    def test_the_same_text_in_two_scopes_is_two_keys(self, settings: Settings) -> None:
        email = service.login_account_client(settings, "192.0.2.7", "192.0.2.7")
        ip = service.login_ip(settings, "192.0.2.7")
        enrol = service.enrol_ip(settings, "192.0.2.7")
        assert len({email.key_hash, ip.key_hash, enrol.key_hash}) == 3

    def test_limits_come_from_the_settings(self, settings: Settings) -> None:
        account_client = service.login_account_client(settings, "a@b.example", "x").limit
        assert account_client.max_failures == 5
        assert account_client.max_delay == timedelta(minutes=15)
        assert account_client.window == timedelta(hours=24)
        assert service.login_ip(settings, "x").limit.max_failures == 20
        assert service.totp_account(settings, uuid.uuid4()).limit.max_failures == 5
        assert service.enrol_ip(settings, "x").limit.max_failures == 20
        assert service.login_ip(settings, "x").limit.window == WINDOW


class TestWindow:
    def test_under_the_limit_may_try(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        item = service.counted(LIMIT, "a")
        assert wait(factory, clock, item) is None
        fail(factory, clock, item)
        fail(factory, clock, item)
        assert wait(factory, clock, item) is None

    def test_at_the_limit_waits_until_the_oldest_counted_failure_leaves_the_window(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        item = service.counted(LIMIT, "a")
        for _ in range(3):
            fail(factory, clock, item)
            clock.advance(timedelta(minutes=2))
        # Failures at 0, 2 and 4 min; now is 6 min: the first leaves the window at 15 min.
        assert wait(factory, clock, item) == 9 * 60
        clock.advance(timedelta(minutes=9) - timedelta(seconds=1))
        assert wait(factory, clock, item) == 1
        clock.advance(timedelta(seconds=1))
        assert wait(factory, clock, item) is None

    def test_more_failures_than_the_limit_wait_for_the_newest_ones(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        item = service.counted(LIMIT, "a")
        for _ in range(5):  # e.g. counted by several instances before any of them refused
            fail(factory, clock, item)
            clock.advance(timedelta(minutes=1))
        # At 0..4 min, now 5 min: allowed again once only two remain, when the 2 min one goes.
        assert wait(factory, clock, item) == 12 * 60

    def test_check_raises_429_with_the_longest_wait(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        short = service.counted(service.Limit("login_ip", 1, timedelta(minutes=1)), "ip")
        long = service.counted(LIMIT, "a")
        fail(factory, clock, short, long, long, long)
        with transaction(factory) as session, pytest.raises(TooManyRequests) as caught:
            service.check(session, [short, long], clock.now())
        assert caught.value.code == "too_many_attempts"
        assert caught.value.retry_after == 15 * 60

    def test_keys_and_scopes_do_not_share_counts(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        item = service.counted(LIMIT, "a")
        fail(factory, clock, item, item, item)
        other_key = service.counted(LIMIT, "b")
        other_scope = service.counted(service.Limit("totp", 3, WINDOW), "a")
        with transaction(factory) as session:
            service.check(session, [other_key, other_scope], clock.now())


class TestRecording:
    def test_a_failure_is_committed_even_if_the_callers_work_is_rolled_back(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        item = service.counted(LIMIT, "a")
        with pytest.raises(RuntimeError), transaction(factory) as session:
            session.exec(select(RateLimitHit)).all()  # the caller's transaction is open
            session.rollback()  # as the guard does: the request failed
            fail(factory, clock, item)
            raise RuntimeError("the request fails")
        assert len(hits(factory)) == 1

    def test_nothing_to_record_writes_nothing(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        fail(factory, clock)
        assert hits(factory) == []


class TestPruning:
    def test_a_keys_old_hits_go_when_it_fails_again(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        item = service.counted(LIMIT, "a")
        fail(factory, clock, item, item)
        clock.advance(WINDOW)
        fail(factory, clock, item)
        mine = [h.created_at for h in hits(factory) if h.key_hash == item.key_hash]
        assert mine == [clock.now()]  # (other keys go on an occasional scope-wide prune)

    def test_prune_removes_a_scopes_hits_older_than_the_window(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        old_email, old_ip = (
            service.counted(LIMIT, "a"),
            service.counted(service.Limit("login_ip", 3, WINDOW), "ip"),
        )
        fail(factory, clock, old_email, old_ip)
        clock.advance(timedelta(minutes=10))
        recent = service.counted(LIMIT, "b")
        fail(factory, clock, recent)
        clock.advance(timedelta(minutes=10))
        with transaction(factory) as session:
            gone = service.prune(session, scope="login_email", before=clock.now() - WINDOW)
        assert gone == 1
        assert sorted(h.scope for h in hits(factory)) == ["login_email", "login_ip"]
        assert {h.key_hash for h in hits(factory)} == {recent.key_hash, old_ip.key_hash}
