"""An admin's account management as use cases: listing, adding, the last admin, disabling."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.errors import Conflict, InvalidInput, NotFound
from app.staff import accounts, service
from app.staff.models import StaffCreate, StaffRole, StaffSession, StaffUpdate, StaffUser
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff

ADMIN = "admin@riverside.example"


@pytest.fixture
def admin(factory: sessionmaker[Session], clock: FixedClock) -> StaffUser:
    _, admin = make_clinic_with_staff(factory, now=clock.now(), email=ADMIN, role=StaffRole.ADMIN)
    return admin


def add(
    factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock, **fields: object
) -> StaffUser:
    data = {"email": "nurse@riverside.example", "password": STAFF_PASSWORD} | fields
    with transaction(factory) as session:
        return accounts.add(
            session, admin=admin, data=StaffCreate.model_validate(data), now=clock.now()
        )


def update(
    factory: sessionmaker[Session], admin: StaffUser, target: StaffUser, clock: FixedClock,
    **fields: object,
) -> dict[str, object]:  # fmt: skip
    with transaction(factory) as session:
        row = session.get(StaffUser, target.id)
        assert row is not None
        return accounts.update(
            session, admin=admin, target=row, data=StaffUpdate.model_validate(fields),
            now=clock.now(),
        )  # fmt: skip


def reload(factory: sessionmaker[Session], staff: StaffUser) -> StaffUser:
    with transaction(factory) as session:
        row = session.get(StaffUser, staff.id)
        assert row is not None
        return row


class TestList:
    def test_enabled_first_then_by_name_and_only_this_clinic(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock
    ) -> None:
        add(factory, admin, clock, email="b@riverside.example", name="bea")
        zed = add(factory, admin, clock, email="z@riverside.example", name="Zed")
        add(factory, admin, clock, email="a@riverside.example", name="Abe")
        make_clinic_with_staff(factory, now=clock.now(), clinic_name="Hill", email="x@hill.example")
        update(factory, admin, zed, clock, disabled=True)
        with transaction(factory) as session:
            listed = accounts.list_for_clinic(session, clinic_id=admin.clinic_id)
        assert [s.email for s in listed] == [
            ADMIN, "a@riverside.example", "b@riverside.example", "z@riverside.example"
        ]  # fmt: skip

    def test_another_clinics_account_is_not_found(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock
    ) -> None:
        _, other = make_clinic_with_staff(
            factory, now=clock.now(), clinic_name="Hill", email="x@hill.example"
        )
        with transaction(factory) as session:
            with pytest.raises(NotFound):
                accounts.get_for_clinic(session, clinic_id=admin.clinic_id, staff_id=other.id)
            with pytest.raises(NotFound):
                accounts.get_for_clinic(session, clinic_id=admin.clinic_id, staff_id=uuid.uuid4())


class TestAdd:
    def test_in_the_admins_clinic_with_a_usable_password(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock,
        settings: Settings,
    ) -> None:  # fmt: skip
        added = add(factory, admin, clock, email="New@Riverside.example", name="  Ann ")
        assert (added.clinic_id, added.email, added.name) == (
            admin.clinic_id, "new@riverside.example", "Ann"
        )  # fmt: skip
        assert added.role == StaffRole.CLINICIAN
        assert added.password_hash.startswith("$argon2id$")
        staff, _, _, pending = service.log_in(
            factory, email="new@riverside.example", password=STAFF_PASSWORD,
            now=clock.now(), settings=settings,
        )  # fmt: skip
        assert (staff.id, pending) == (added.id, False)

    @pytest.mark.parametrize("email", ["nurse@riverside.example", "NURSE@riverside.example"])
    def test_an_address_in_use_anywhere_is_a_conflict(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock, email: str
    ) -> None:
        make_clinic_with_staff(
            factory, now=clock.now(), clinic_name="Hill", email="nurse@riverside.example"
        )
        with pytest.raises(Conflict) as caught:
            add(factory, admin, clock, email=email)
        assert caught.value.code == "email_taken"

    def test_a_short_password_is_refused(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock
    ) -> None:
        with pytest.raises(InvalidInput):
            add(factory, admin, clock, password="short")
        with transaction(factory) as session:
            assert len(session.exec(select(StaffUser)).all()) == 1


class TestLastAdmin:
    @pytest.mark.parametrize("change", [{"role": "clinician"}, {"disabled": True}])
    def test_the_only_enabled_admin_cannot_be_taken_away(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock,
        change: dict[str, object],
    ) -> None:  # fmt: skip
        with pytest.raises(Conflict) as caught:
            update(factory, admin, admin, clock, **change)
        assert caught.value.code == "last_admin"
        row = reload(factory, admin)
        assert (row.role, row.disabled_at) == (StaffRole.ADMIN, None)

    def test_a_disabled_admin_does_not_count(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock
    ) -> None:
        other = add(factory, admin, clock, email="boss@riverside.example", role="admin")
        update(factory, admin, other, clock, disabled=True)
        with pytest.raises(Conflict):
            update(factory, admin, admin, clock, role="clinician")

    def test_another_clinics_admin_does_not_count(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock
    ) -> None:
        make_clinic_with_staff(
            factory, now=clock.now(), clinic_name="Hill", email="x@hill.example",
            role=StaffRole.ADMIN,
        )  # fmt: skip
        with pytest.raises(Conflict):
            update(factory, admin, admin, clock, role="clinician")

    def test_with_a_second_admin_either_may_step_down(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock
    ) -> None:
        other = add(factory, admin, clock, email="boss@riverside.example", role="admin")
        assert update(factory, admin, admin, clock, role="clinician") == {"role": "clinician"}
        with pytest.raises(Conflict):  # now `other` is the last one
            update(factory, other, other, clock, disabled=True)

    def test_a_clinician_can_be_disabled_freely(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock
    ) -> None:
        nurse = add(factory, admin, clock)
        assert update(factory, admin, nurse, clock, disabled=True) == {"disabled": True}


class TestUpdate:
    def test_returns_only_what_changed(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock
    ) -> None:
        nurse = add(factory, admin, clock, name="Ann")
        changes = update(factory, admin, nurse, clock, name="Ann", on_call=True, role=None)
        assert changes == {"on_call": True}
        assert update(factory, admin, nurse, clock) == {}
        assert reload(factory, nurse).on_call is True

    def test_disabling_ends_every_session_and_takes_the_account_off_call(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock,
        settings: Settings,
    ) -> None:  # fmt: skip
        nurse = add(factory, admin, clock)
        update(factory, admin, nurse, clock, on_call=True)
        with transaction(factory) as session:
            row = session.get(StaffUser, nurse.id)
            assert row is not None
            for pending in (False, True):
                service.open_session(
                    session, staff=row, now=clock.now(), lifetime=timedelta(hours=1),
                    pending=pending,
                )  # fmt: skip
        clock.advance(timedelta(minutes=1))
        assert update(factory, admin, nurse, clock, disabled=True) == {
            "disabled": True, "on_call": False
        }  # fmt: skip
        with transaction(factory) as session:
            sessions = session.exec(select(StaffSession)).all()
        assert [s.revoked_at for s in sessions] == [clock.now(), clock.now()]
        row = reload(factory, nurse)
        assert (row.disabled_at, row.on_call) == (clock.now(), False)

    def test_on_call_cannot_be_given_to_a_disabled_account(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock
    ) -> None:
        nurse = add(factory, admin, clock)
        update(factory, admin, nurse, clock, disabled=True)
        assert update(factory, admin, nurse, clock, on_call=True) == {}
        assert reload(factory, nurse).on_call is False

    def test_enabling_again_lets_the_account_in(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock,
        settings: Settings,
    ) -> None:  # fmt: skip
        nurse = add(factory, admin, clock)
        update(factory, admin, nurse, clock, disabled=True)
        assert update(factory, admin, nurse, clock, disabled=False) == {"disabled": False}
        staff, _, _, _ = service.log_in(
            factory, email=nurse.email, password=STAFF_PASSWORD, now=clock.now(),
            settings=settings,
        )  # fmt: skip
        assert staff.id == nurse.id

    def test_a_clinician_can_be_made_admin(
        self, factory: sessionmaker[Session], admin: StaffUser, clock: FixedClock
    ) -> None:
        nurse = add(factory, admin, clock)
        assert update(factory, admin, nurse, clock, role="admin") == {"role": "admin"}
        assert reload(factory, nurse).role == StaffRole.ADMIN
        # With two admins, the first may now step down.
        assert update(factory, admin, admin, clock, role="clinician") == {"role": "clinician"}
