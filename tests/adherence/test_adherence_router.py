"""GET /api/adherence and its SVG charts: the clinic's tasks done by task type and by day."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.patients.models import Patient
from app.staff.models import StaffUser
from tests.adherence.world import ADA_TICKS, NOW, at, retreat, tick, treated
from tests.support.api import sign_in_staff

SVG = "{http://www.w3.org/2000/svg}"
ROUTES = ("/api/adherence", "/api/adherence/by-task.svg", "/api/adherence/by-day.svg")


@pytest.fixture
def two_zones(
    riverside: tuple[Clinic, StaffUser], factory: sessionmaker[Session], settings: Settings
) -> None:
    """London, treated 25 Mar 10:00 GMT; New York, treated 26 Mar 19:30 EDT (23:30 UTC);
    and one treated 27 Mar 11:00 with nothing due yet.

    Due by 12:00 UTC on 27 Mar, worked out by hand (wake 07:30, bed 22:00, local days):
    London, day 0 (25th): legs raised 12-22h (6), legs looked at 20:00 (1); day 1 (26th):
    legs raised 08:00, stocking off 10:00, cream 10:00 and 22:00, legs looked at 20:00 (5);
    day 2 (27th): cream 07:30 (1). Ticked: the first two raises, the stocking, the cream of
    day 2.
    New York, day 0 (26th): legs looked at 20:00 and raised 21:30 (2); day 1: raised at 07:30
    (1); everything from 23:30 to 05:30 falls in the night. Ticked: the look at 20:00 and,
    early, the raise at 09:30 local that is not due yet (it must not count).
    In UTC all three New York tasks fall on the 27th, the day after its treatment's UTC date.
    """
    clinic, nurse = riverside

    def patient(name: str, performed_at: str, time_zone: str = "Europe/London") -> Patient:
        enrolled, _ = treated(
            factory, settings, clinic=clinic, staff=nurse, name=name,
            performed_at=at(performed_at), time_zone=time_zone,
        )  # fmt: skip
        return enrolled

    london = patient("London", "2026-03-25 10:00")
    new_york = patient("New York", "2026-03-26 23:30", "America/New_York")
    patient("Later", "2026-03-27 11:00")
    tick(factory, london, ADA_TICKS, now=NOW)
    tick(factory, new_york, ["symptom_check/2026-03-26", "elevate_legs/t1/7"], now=NOW)


def svg_of(client: TestClient, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    return ET.fromstring(response.text)  # noqa: S314 - our own server's markup


class TestOverview:
    def test_by_task_and_by_day_as_worked_out_by_hand(
        self, client: TestClient, two_zones: None
    ) -> None:
        assert client.get("/api/adherence").json() == {
            "patients": 3,
            "by_task": [  # the protocol's order
                {"task": "elevate_legs", "title": "Raise your legs",
                 "done": 2, "due": 9, "percent": 22},
                {"task": "remove_stocking", "title": "Take off the stocking from the clinic",
                 "done": 1, "due": 1, "percent": 100},
                {"task": "hydrocortisone", "title": "Put on the cream",
                 "done": 1, "due": 3, "percent": 33},
                {"task": "symptom_check", "title": "Look at your legs",
                 "done": 1, "due": 3, "percent": 33},
            ],
            "by_day": [
                {"day": 0, "done": 3, "due": 9, "percent": 33},
                {"day": 1, "done": 1, "due": 6, "percent": 17},
                {"day": 2, "done": 1, "due": 1, "percent": 100},
            ],
        }  # fmt: skip

    def test_nothing_due_yet(
        self,
        client: TestClient,
        riverside: tuple[Clinic, StaffUser],
        factory: sessionmaker[Session],
        settings: Settings,
    ) -> None:
        clinic, nurse = riverside
        assert client.get("/api/adherence").json() == {"patients": 0, "by_task": [], "by_day": []}
        treated(
            factory, settings, clinic=clinic, staff=nurse, name="Later",
            performed_at=at("2026-03-27 11:00"),
        )  # fmt: skip
        assert client.get("/api/adherence").json() == {"patients": 1, "by_task": [], "by_day": []}

    def test_days_count_from_the_latest_treatment_before_each_task(
        self,
        client: TestClient,
        riverside: tuple[Clinic, StaffUser],
        factory: sessionmaker[Session],
        settings: Settings,
    ) -> None:
        """Treated 20 Mar 10:00 and again 26 Mar 10:00 (London). By hand: first treatment,
        day 0: 7, day 1: 5, day 2 and 3: cream twice and a look (3 each), days 4 and 5: a
        look; nothing on day 6 before the re-treatment. Re-treatment, day 0: 6 raises and a
        look (7); day 1 (27th): a raise, the stocking, the cream (3). Counted from the first
        treatment, the 26th and 27th would be days 6 and 7."""
        clinic, nurse = riverside
        patient, _ = treated(
            factory, settings, clinic=clinic, staff=nurse, name="Twice",
            performed_at=at("2026-03-20 10:00"),
        )  # fmt: skip
        retreat(factory, settings, patient, staff=nurse, performed_at=at("2026-03-26 10:00"))
        by_day = client.get("/api/adherence").json()["by_day"]
        assert [(d["day"], d["due"], d["done"], d["percent"]) for d in by_day] == [
            (0, 14, 0, 0), (1, 8, 0, 0), (2, 3, 0, 0), (3, 3, 0, 0), (4, 1, 0, 0), (5, 1, 0, 0),
        ]  # fmt: skip


class TestCharts:
    def test_by_task_chart_names_each_task_with_its_figures(
        self, client: TestClient, two_zones: None
    ) -> None:
        root = svg_of(client, "/api/adherence/by-task.svg")
        assert root.tag == f"{SVG}svg"
        assert root.findtext(f"{SVG}title") == "Tasks done by task type"
        desc = root.findtext(f"{SVG}desc") or ""
        assert "Raise your legs: 22% (2 of 9 done)" in desc
        assert "Take off the stocking from the clinic: 100% (1 of 1 done)" in desc
        bars = [g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g")]
        assert len(bars) == 4

    def test_by_day_chart_has_a_column_per_day(self, client: TestClient, two_zones: None) -> None:
        root = svg_of(client, "/api/adherence/by-day.svg")
        assert root.findtext(f"{SVG}title") == "Tasks done by day after treatment"
        bars = [g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g")]
        assert bars == [
            "Day 0: 33% (3 of 9 done)",
            "Day 1: 17% (1 of 6 done)",
            "Day 2: 100% (1 of 1 done)",
        ]

    @pytest.mark.parametrize("path", ROUTES[1:])
    def test_charts_without_data(
        self, client: TestClient, riverside: tuple[Clinic, StaffUser], path: str
    ) -> None:
        root = svg_of(client, path)
        assert root.findtext(f"{SVG}desc") == "Nothing was due yet."
        assert list(root.iter(f"{SVG}g")) == []


class TestAccess:
    @pytest.mark.parametrize("path", ROUTES)
    def test_anonymous_is_refused(self, client: TestClient, path: str) -> None:
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    @pytest.mark.parametrize("path", ROUTES)
    def test_a_patients_phone_is_not_staff(self, me: TestClient, path: str) -> None:
        assert me.get(path).status_code == 401

    def test_another_clinic_sees_none_of_it(
        self, two_zones: None, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        with TestClient(app) as other:
            sign_in_staff(
                other, factory, now=clock.now(), clinic_name="Hill Clinic", email="dr@hill.example"
            )
            assert other.get("/api/adherence").json() == {
                "patients": 0, "by_task": [], "by_day": [],
            }  # fmt: skip
            for path in ROUTES[1:]:
                assert svg_of(other, path).findtext(f"{SVG}desc") == "Nothing was due yet."
