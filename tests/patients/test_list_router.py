"""GET /api/patients: the clinic's list with its figures, every sort order, filters and paging."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.staff.models import StaffUser
from tests.adherence.world import Ward, at, report, treated
from tests.support.api import sign_in_staff
from tests.support.factories import make_clinic_with_staff

ROW_FIELDS = {
    "id", "name", "time_zone", "first_treatment_at", "last_treatment_at", "treatment_count",
    "adherence", "last_active_at", "push_devices", "reminders_on", "open_alerts",
    "open_alert_level", "next_follow_up_at", "booked_treatment_at", "doppler_checked", "created_at",
}  # fmt: skip


def names(client: TestClient, **params: Any) -> list[str]:
    response = client.get("/api/patients", params=params)
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()["items"]]


def row_of(client: TestClient, name: str) -> dict[str, Any]:
    [row] = client.get("/api/patients", params={"q": name}).json()["items"]
    assert row["name"] == name
    return row


class TestRows:
    def test_a_row_has_exactly_the_documented_fields(self, client: TestClient, ward: Ward) -> None:
        page = client.get("/api/patients").json()
        assert set(page) == {"items", "total", "limit", "offset"}
        assert {frozenset(row) for row in page["items"]} == {frozenset(ROW_FIELDS)}
        assert set(page["items"][0]["adherence"]) == {"done", "due", "percent", "by_task"}

    def test_figures_of_a_re_treated_active_patient_with_devices_and_alerts(
        self, client: TestClient, ward: Ward
    ) -> None:
        row = row_of(client, "Ada Able")
        assert row["id"] == str(ward.ada.id)
        assert row["time_zone"] == "Europe/London"
        assert row["first_treatment_at"].startswith("2026-03-25T10:00:00")
        assert row["last_treatment_at"].startswith("2026-03-27T11:30:00")
        assert row["treatment_count"] == 2
        # Due by 12:00 on 27 Mar (worked out by hand from the protocol, London, 07:30-22:00):
        # legs raised 12-22h on the 25th and 08:00 on the 26th (7); stocking off 10:00 on the
        # 26th (1); cream 10:00 (held back for the stocking) and 22:00 on the 26th, 07:30 on
        # the 27th (3); legs looked at 20:00 on the 25th and 26th (2). Nothing of the
        # re-treatment at 11:30 is due yet.
        assert row["adherence"] == {
            "done": 4,
            "due": 13,
            "percent": 31,
            "by_task": {
                "elevate_legs": {"done": 2, "due": 7},
                "hydrocortisone": {"done": 1, "due": 3},
                "remove_stocking": {"done": 1, "due": 1},
                "symptom_check": {"done": 0, "due": 2},
            },
        }
        assert row["last_active_at"].startswith("2026-03-27T09:00:00")
        assert row["push_devices"] == 2
        assert row["reminders_on"] is True
        assert row["open_alerts"] == 2
        assert row["open_alert_level"] == "emergency"
        # Day 14 after the FIRST treatment at its local time: 10:00 BST is 09:00 UTC.
        assert row["next_follow_up_at"].startswith("2026-04-08T09:00:00")
        assert row["doppler_checked"] is True
        assert row["created_at"].startswith("2026-03-25T10:00:00")

    def test_devices_with_an_old_key_or_past_expiry_do_not_count(
        self, client: TestClient, ward: Ward
    ) -> None:
        for name in ("bea Bell", "Cy Cole", "Di Dunn"):
            row = row_of(client, name)
            assert (row["push_devices"], row["reminders_on"]) == (0, False), name

    def test_acknowledged_alerts_are_not_open(self, client: TestClient, ward: Ward) -> None:
        bea, cy = row_of(client, "bea Bell"), row_of(client, "Cy Cole")
        assert (bea["open_alerts"], bea["open_alert_level"]) == (1, "urgent")
        assert (cy["open_alerts"], cy["open_alert_level"]) == (0, None)

    def test_percent_is_null_while_nothing_is_due(self, client: TestClient, ward: Ward) -> None:
        di = row_of(client, "Di Dunn")
        assert di["adherence"] == {"done": 0, "due": 0, "percent": None, "by_task": {}}
        assert di["doppler_checked"] is False
        assert di["last_active_at"] is None
        assert di["next_follow_up_at"].startswith("2026-04-10T10:00:00")

    def test_no_follow_up_once_every_visit_is_past(self, client: TestClient, ward: Ward) -> None:
        cy = row_of(client, "Cy Cole")
        assert cy["next_follow_up_at"] is None
        assert cy["adherence"]["due"] == 28
        assert cy["adherence"]["percent"] == 0

    def test_an_empty_clinic_has_an_empty_page(
        self, client: TestClient, riverside: tuple[Clinic, StaffUser]
    ) -> None:
        page = client.get("/api/patients").json()
        assert page == {"items": [], "total": 0, "limit": 50, "offset": 0}


SORTED = {
    "name": ["Ada Able", "bea Bell", "Cy Cole", "Di Dunn"],  # case-blind
    "-name": ["Di Dunn", "Cy Cole", "bea Bell", "Ada Able"],
    "last_treatment": ["Cy Cole", "bea Bell", "Di Dunn", "Ada Able"],
    "-last_treatment": ["Ada Able", "Di Dunn", "bea Bell", "Cy Cole"],
    # NULLs last both ways; ties (all NULL) by name.
    "next_follow_up": ["Ada Able", "bea Bell", "Di Dunn", "Cy Cole"],
    "-next_follow_up": ["Di Dunn", "bea Bell", "Ada Able", "Cy Cole"],
    "last_active": ["Cy Cole", "Ada Able", "bea Bell", "Di Dunn"],
    "-last_active": ["Ada Able", "Cy Cole", "bea Bell", "Di Dunn"],
    "adherence": ["Cy Cole", "Ada Able", "bea Bell", "Di Dunn"],  # 0%, 31%, 100%, nothing due
    "-adherence": ["bea Bell", "Ada Able", "Cy Cole", "Di Dunn"],
    "open_alerts": ["Cy Cole", "Di Dunn", "bea Bell", "Ada Able"],  # 0, 0, 1, 2
    "-open_alerts": ["Ada Able", "bea Bell", "Cy Cole", "Di Dunn"],
}


class TestSorting:
    @pytest.mark.parametrize("sort", SORTED)
    def test_each_order_both_ways(self, client: TestClient, ward: Ward, sort: str) -> None:
        assert names(client, sort=sort) == SORTED[sort]

    def test_orders_within_a_filter(self, client: TestClient, ward: Ward) -> None:
        assert names(client, sort="-adherence", alerts="open") == ["bea Bell", "Ada Able"]
        assert names(client, sort="next_follow_up", reminders="off") == [
            "bea Bell", "Di Dunn", "Cy Cole",
        ]  # fmt: skip
        assert names(client, sort="-open_alerts", q="e") == ["Ada Able", "bea Bell", "Cy Cole"]

    def test_default_is_by_name(self, client: TestClient, ward: Ward) -> None:
        assert names(client) == SORTED["name"]

    def test_paging_follows_the_order(self, client: TestClient, ward: Ward) -> None:
        first = names(client, sort="-adherence", limit=3)
        rest = names(client, sort="-adherence", limit=3, offset=3)
        assert first + rest == SORTED["-adherence"]

    def test_equal_names_keep_one_order_by_id_both_ways(
        self,
        client: TestClient,
        riverside: tuple[Clinic, StaffUser],
        factory: sessionmaker[Session],
        settings: Settings,
    ) -> None:
        clinic, nurse = riverside
        for _ in range(3):
            treated(
                factory, settings, clinic=clinic, staff=nurse, name="Eve Same",
                performed_at=at("2026-03-26 10:00"),
            )  # fmt: skip
        for sort in ("name", "-name", "adherence", "-last_treatment"):
            ids = [
                row["id"]
                for row in client.get("/api/patients", params={"sort": sort}).json()["items"]
            ]
            assert ids == sorted(ids), sort
            paged = [
                client.get("/api/patients", params={"sort": sort, "limit": 1, "offset": n}).json()[
                    "items"
                ][0]["id"]
                for n in range(3)
            ]
            assert paged == ids, sort


class TestFilters:
    def test_name_search_is_case_blind_and_literal(self, client: TestClient, ward: Ward) -> None:
        assert names(client, q="BE") == ["bea Bell"]
        assert names(client, q="d") == ["Ada Able", "Di Dunn"]
        assert names(client, q="%") == []
        assert names(client, q="_") == []
        assert names(client, q="") == SORTED["name"]

    def test_reminders_on_means_a_live_subscription(self, client: TestClient, ward: Ward) -> None:
        assert names(client, reminders="on") == ["Ada Able"]
        assert names(client, reminders="off") == ["bea Bell", "Cy Cole", "Di Dunn"]

    def test_open_alerts(self, client: TestClient, ward: Ward) -> None:
        assert names(client, alerts="open") == ["Ada Able", "bea Bell"]

    def test_filters_combine_and_total_counts_the_filtered(
        self, client: TestClient, ward: Ward
    ) -> None:
        page = client.get(
            "/api/patients", params={"reminders": "off", "alerts": "open", "sort": "-name"}
        ).json()
        assert [row["name"] for row in page["items"]] == ["bea Bell"]
        assert page["total"] == 1
        page = client.get("/api/patients", params={"q": "e", "limit": 1}).json()
        assert page["total"] == 3  # Ada Able, bea Bell, Cy Cole
        assert [row["name"] for row in page["items"]] == ["Ada Able"]


class TestPaging:
    def test_pages_and_total(self, client: TestClient, ward: Ward) -> None:
        page = client.get("/api/patients", params={"limit": 2}).json()
        assert [row["name"] for row in page["items"]] == ["Ada Able", "bea Bell"]
        assert (page["total"], page["limit"], page["offset"]) == (4, 2, 0)
        page = client.get("/api/patients", params={"limit": 2, "offset": 2}).json()
        assert [row["name"] for row in page["items"]] == ["Cy Cole", "Di Dunn"]
        assert page["total"] == 4

    @pytest.mark.parametrize("offset", [4, 1000])
    def test_past_the_end_is_empty_with_the_total(
        self, client: TestClient, ward: Ward, offset: int
    ) -> None:
        page = client.get("/api/patients", params={"offset": offset}).json()
        assert (page["items"], page["total"], page["offset"]) == ([], 4, offset)

    def test_largest_page(self, client: TestClient, ward: Ward) -> None:
        assert len(names(client, limit=200)) == 4

    @pytest.mark.parametrize(
        "params",
        [
            {"limit": 0},
            {"limit": 201},
            {"limit": "ten"},
            {"offset": -1},
            {"offset": 1_000_001},
            {"sort": "age"},
            {"sort": "--name"},
            {"sort": "Name"},
            {"sort": ""},
            {"reminders": "yes"},
            {"alerts": "closed"},
            {"q": "x" * 101},
        ],
    )
    def test_bad_values_are_refused(
        self, client: TestClient, riverside: tuple[Clinic, StaffUser], params: dict[str, Any]
    ) -> None:
        response = client.get("/api/patients", params=params)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_input"


class TestAccess:
    def test_anonymous_is_refused(self, client: TestClient) -> None:
        response = client.get("/api/patients")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    def test_a_patients_phone_is_not_staff(self, me: TestClient) -> None:
        assert me.get("/api/patients").status_code == 401

    def test_another_clinic_sees_only_its_own(
        self,
        client: TestClient,
        ward: Ward,
        app: FastAPI,
        factory: sessionmaker[Session],
        clock: FixedClock,
        settings: Settings,
    ) -> None:
        with TestClient(app) as other:
            sign_in_staff(
                other, factory, now=clock.now(), clinic_name="Hill Clinic", email="dr@hill.example"
            )
            assert other.get("/api/patients").json() == {
                "items": [], "total": 0, "limit": 50, "offset": 0,
            }  # fmt: skip
            hill, hill_nurse = make_clinic_with_staff(
                factory, now=clock.now(), clinic_name="Hill Annex", email="x@hill.example"
            )
            stranger, _ = treated(
                factory, settings, clinic=hill, staff=hill_nurse, name="Ada Able Hill",
                performed_at=at("2026-03-25 10:00"),
            )  # fmt: skip
            report(factory, stranger, hill, signs=["fever"], now=at("2026-03-27 09:00"))
            for params in ({}, {"alerts": "open"}, {"q": "Ada"}, {"sort": "-open_alerts"}):
                assert other.get("/api/patients", params=params).json()["total"] == 0
        assert names(client, q="Ada") == ["Ada Able"]
        assert names(client, alerts="open") == ["Ada Able", "bea Bell"]
        assert row_of(client, "Ada Able")["open_alerts"] == 2
