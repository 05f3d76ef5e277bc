"""The patient list service: a constant number of SQL statements per page, the CSV's full list."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clinics.models import Clinic
from app.config import Settings
from app.patient_list import listing
from app.patient_list.listing import SORT_ORDERS, PatientFilter, SortOrder
from app.staff.models import StaffUser
from tests.adherence.world import NOW, Ward, at, build_ward, push_device, report, treated
from tests.support.factories import make_clinic_with_staff
from tests.support.sql_statements import statements

KEY = "current-key"


@pytest.fixture
def riverside(factory: sessionmaker[Session]) -> tuple[Clinic, StaffUser]:
    return make_clinic_with_staff(factory, now=at("2026-01-01 09:00"))


@pytest.fixture
def crowd(
    riverside: tuple[Clinic, StaffUser], factory: sessionmaker[Session], settings: Settings
) -> tuple[Clinic, StaffUser]:
    """50 patients, each with due tasks, a device and an open alert: every figure has rows."""
    clinic, nurse = riverside
    for n in range(50):
        patient, _ = treated(
            factory, settings, clinic=clinic, staff=nurse, name=f"Patient {n:02d}",
            performed_at=at("2026-03-25 10:00"),
        )  # fmt: skip
        push_device(factory, settings, patient, key_id=KEY, now=at("2026-03-25 11:00"))
        report(factory, patient, clinic, signs=["fever"], now=at("2026-03-26 09:00"))
    return clinic, nurse


def page(session: Session, clinic: Clinic, limit: int, **filters: Any) -> listing.PatientListPage:
    chosen = PatientFilter(clinic_id=clinic.id, key_id=KEY, **filters)
    return listing.list_page(session, filters=chosen, now=NOW, limit=limit, offset=0)


class TestQueriesPerPage:
    @pytest.mark.parametrize("sort", ["name", "-adherence", "next_follow_up", "-open_alerts"])
    def test_a_page_of_50_costs_what_a_page_of_5_does(
        self,
        engine: Engine,
        factory: sessionmaker[Session],
        crowd: tuple[Clinic, StaffUser],
        sort: SortOrder,
    ) -> None:
        clinic, _ = crowd
        counts = []
        for limit in (5, 50):
            with factory() as session, statements(engine) as sent:
                result = page(session, clinic, limit, sort=sort, reminders="on", alerts="open")
            assert len(result.items) == limit
            assert all(row.adherence.due == 13 and row.open_alerts == 1 for row in result.items)
            counts.append(len(sent))
        assert counts[0] == counts[1]
        assert counts[0] == 8  # the count, the page, and six grouped figures

    def test_an_empty_page_asks_for_no_figures(
        self, engine: Engine, factory: sessionmaker[Session], riverside: tuple[Clinic, StaffUser]
    ) -> None:
        clinic, _ = riverside
        with factory() as session, statements(engine) as sent:
            assert page(session, clinic, 50).items == []
        assert len(sent) == 2


class TestEveryRow:
    def test_the_export_list_has_every_match_in_order(
        self, factory: sessionmaker[Session], crowd: tuple[Clinic, StaffUser]
    ) -> None:
        clinic, _ = crowd
        chosen = PatientFilter(clinic_id=clinic.id, key_id=KEY, sort="-name")
        with factory() as session:
            rows = listing.list_all(session, filters=chosen, now=NOW)
        assert [row.name for row in rows] == [f"Patient {n:02d}" for n in reversed(range(50))]
        assert {row.adherence.due for row in rows} == {13}

    def test_same_rows_as_the_pages(
        self,
        factory: sessionmaker[Session],
        riverside: tuple[Clinic, StaffUser],
        settings: Settings,
    ) -> None:
        clinic, nurse = riverside
        ward: Ward = build_ward(factory, settings, clinic=clinic, staff=nurse, key_id=KEY)
        assert ward.ada.name == "Ada Able"
        for sort in SORT_ORDERS:
            chosen = PatientFilter(clinic_id=clinic.id, key_id=KEY, sort=sort)  # type: ignore[arg-type]
            with factory() as session:
                every = listing.list_all(session, filters=chosen, now=NOW)
                paged = listing.list_page(session, filters=chosen, now=NOW, limit=50, offset=0)
            assert every == paged.items, sort

    def test_no_other_clinic_in_the_export(
        self,
        factory: sessionmaker[Session],
        crowd: tuple[Clinic, StaffUser],
        settings: Settings,
    ) -> None:
        hill, hill_nurse = make_clinic_with_staff(
            factory, now=NOW, clinic_name="Hill Clinic", email="dr@hill.example"
        )
        treated(
            factory, settings, clinic=hill, staff=hill_nurse, name="Hill Patient",
            performed_at=at("2026-03-25 10:00"),
        )  # fmt: skip
        with factory() as session:
            hill_rows = listing.list_all(
                session, filters=PatientFilter(clinic_id=hill.id, key_id=KEY), now=NOW
            )
        assert [row.name for row in hill_rows] == ["Hill Patient"]
        assert hill_rows[0].push_devices == 0 and hill_rows[0].open_alerts == 0

    def test_an_unknown_sort_order_is_a_programming_error(
        self, factory: sessionmaker[Session], riverside: tuple[Clinic, StaffUser]
    ) -> None:
        clinic, _ = riverside
        chosen = PatientFilter(clinic_id=clinic.id, key_id=KEY, sort="age")  # type: ignore[arg-type]
        with factory() as session, pytest.raises(ValueError, match="age"):
            listing.list_page(session, filters=chosen, now=NOW, limit=5, offset=0)
