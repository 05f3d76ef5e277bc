"""GET /api/me/progress: the stored plan in words, ticks counted, re-treatments joined."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.clock import FixedClock
from app.protocols.loader import load_protocol
from app.tasks.progress import course_tasks
from tests.support.api import enrol, log_in, pair_phone


def progress(phone: TestClient, date: str | None = None) -> dict[str, dict[str, Any]]:
    response = phone.get("/api/me/progress", params={"date": date} if date else {})
    assert response.status_code == 200, response.text
    return {line["key"]: line for line in response.json()["lines"]}


@pytest.fixture
def carer_phone(app: FastAPI) -> Iterator[TestClient]:
    """The carer's own phone: a third browser."""
    with TestClient(app) as browser:
        yield browser


def test_the_plans_courses_are_its_daily_course_tasks() -> None:
    assert course_tasks(load_protocol(version=2)) == {"stockings_on"}
    assert course_tasks(load_protocol(version=1)) == {"stockings_on"}


class TestToday:
    def test_today_by_default_in_the_patients_zone(self, me: TestClient) -> None:
        response = me.get("/api/me/progress")
        assert response.json()["date"] == "2026-03-27"
        lines = [(line["key"], line["kind"]) for line in response.json()["lines"]]
        assert lines == [
            ("stockings_on", "course"),
            ("avoid_aspirin", "span"),
            ("visit", "visit"),
            ("tasks", "tasks"),
        ]

    def test_words_and_numbers_for_the_visual(self, me: TestClient) -> None:
        lines = progress(me, "2026-04-05")
        aspirin = lines["avoid_aspirin"]
        assert aspirin["title"] == "No aspirin for six weeks"
        assert aspirin["text"] == "Day 9 of 42."
        assert aspirin["more"] == "33 more days after today: until and including Friday 8 May."
        assert (aspirin["day"], aspirin["total"]) == (9, 42)
        assert lines["stockings_on"]["text"] == "Day 8 of 20."
        assert lines["visit"]["text"] == "Your next visit is in 5 days, on Friday 10 April."
        assert (lines["visit"]["day"], lines["tasks"]["total"]) == (None, None)

    def test_after_the_six_weeks_the_restriction_line_is_gone(self, me: TestClient) -> None:
        assert progress(me, "2026-05-08")["avoid_aspirin"]["more"] == (
            "Today, Friday 8 May, is the last day."
        )
        assert "avoid_aspirin" not in progress(me, "2026-05-09")

    @pytest.mark.parametrize("bad", ["30/03/2026", "2026-02-30", "today"])
    def test_a_bad_date_is_refused_in_plain_words(self, me: TestClient, bad: str) -> None:
        response = me.get("/api/me/progress", params={"date": bad})
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_input"
        assert response.json()["detail"] == "The date must be a date like 2026-03-27."

    def test_a_day_at_the_calendars_end_is_refused(self, me: TestClient) -> None:
        response = me.get("/api/me/progress", params={"date": "0001-01-02"})
        assert response.status_code == 422
        assert response.json()["detail"].startswith("ask for a day from")

    def test_not_advised_stockings_no_stockings_line(
        self, staff: TestClient, phone: TestClient
    ) -> None:
        pair_phone(phone, enrol(staff, stockings_advised=False)["enrolment"]["code"])
        lines = progress(phone, "2026-04-05")
        assert "stockings_on" not in lines
        assert "avoid_aspirin" in lines


class TestTicks:
    def test_a_tick_and_its_undo_change_the_count(self, me: TestClient) -> None:
        assert progress(me)["tasks"]["text"] == "Tasks you tick off are counted here."
        tasks = me.get("/api/me/tasks").json()
        now = next(t for t in tasks if t["key"] == "elevate_legs/t1/1")
        me.post(f"/api/me/tasks/{now['id']}/complete")
        ticked = progress(me)["tasks"]
        assert ticked["text"] == "You ticked off 1 of 1 task in the last 7 days."
        assert ticked["more"] == "6 tasks still to come."
        me.delete(f"/api/me/tasks/{now['id']}/complete")
        assert progress(me)["tasks"]["text"] == "Tasks you tick off are counted here."

    def test_missed_tasks_are_counted_never_named(self, me: TestClient, clock: FixedClock) -> None:
        clock.advance(timedelta(days=2))  # Sunday noon: nothing was ticked
        tasks = me.get("/api/me/tasks").json()
        now = next(t for t in tasks if t["task"] == "stockings_on")  # 07:30, missed by noon
        assert now["status"] == "missed"
        assert progress(me)["tasks"]["text"] == "Tasks you tick off are counted here."
        me.post(f"/api/me/tasks/{now['id']}/complete")  # a missed one may still be ticked
        line = progress(me)["tasks"]
        assert line["text"].startswith("You ticked off 1 of ")
        assert "%" not in line["text"] + line["more"]
        assert "missed" not in (line["text"] + line["more"]).lower()

    def test_the_carers_phone_shows_the_patients_progress(
        self, me: TestClient, carer_phone: TestClient
    ) -> None:
        invited = me.post("/api/me/carers", json={"name": "Anna", "reminders": True})
        pair_phone(carer_phone, invited.json()["enrolment"]["code"])
        tasks = carer_phone.get("/api/me/tasks").json()
        now = next(t for t in tasks if t["key"] == "elevate_legs/t1/1")
        assert carer_phone.post(f"/api/me/tasks/{now['id']}/complete").status_code == 200
        assert progress(carer_phone) == progress(me)
        assert progress(me)["tasks"]["text"].startswith("You ticked off 1 of 1")


class TestReTreatment:
    def test_a_re_treatment_extends_the_restriction_here_and_in_the_profile(
        self, staff: TestClient, me: TestClient, clock: FixedClock
    ) -> None:
        patient_id = me.get("/api/me").json()["id"]
        clock.advance(timedelta(days=14))
        log_in(staff)
        answer = staff.post(
            f"/api/patients/{patient_id}/treatments",
            json={"performed_at": "2026-04-10T10:00:00+01:00", "method": "sclerotherapy"},
        )
        assert answer.status_code == 201, answer.text
        aspirin = progress(me, "2026-05-09")["avoid_aspirin"]
        assert aspirin["text"] == "Day 43 of 56."
        assert aspirin["more"] == "13 more days after today: until and including Friday 22 May."
        [restriction] = me.get("/api/me").json()["restrictions"]
        assert restriction["until"] == "2026-05-22"  # the same last day, from the same rule
        assert "avoid_aspirin" not in progress(me, "2026-05-23")


def test_a_polish_patient_reads_it_in_polish(me: TestClient) -> None:
    assert me.patch("/api/me/preferences", json={"language": "pl"}).status_code == 200
    lines = progress(me, "2026-04-05")
    assert lines["avoid_aspirin"]["text"] == "Dzień 9 z 42."
    assert lines["avoid_aspirin"]["more"].endswith("Ostatni dzień: piątek 8 maja.")
    assert lines["visit"]["text"] == "Następna wizyta: za 5 dni, piątek 10 kwietnia."
    assert lines["tasks"]["title"] == "Twoje zadania w ostatnich 7 dniach"
    assert all("day" not in line["text"] for line in lines.values())
