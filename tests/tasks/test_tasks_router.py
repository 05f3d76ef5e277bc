"""Patient plan routes: a local day's occurrences, tick off and undo, idempotently."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.clock import FixedClock
from tests.support.api import enrol, pair_phone


def day(me: TestClient, date: str | None = None) -> list[dict[str, Any]]:
    response = me.get("/api/me/tasks", params={"date": date} if date else {})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


def first(items: list[dict[str, Any]], task: str) -> dict[str, Any]:
    return next(item for item in items if item["task"] == task)


class TestDay:
    def test_today_lists_the_day_in_time_order_with_active_spans(self, me: TestClient) -> None:
        items = day(me)
        assert items == sorted(items, key=lambda i: i["due_at"])
        kinds = {i["task"]: i["kind"] for i in items}
        assert kinds["keep_dry"] == "info"
        assert kinds["avoid_aspirin"] == "restriction"
        assert kinds["elevate_legs"] == "task"
        elevations = [i["local_due"] for i in items if i["task"] == "elevate_legs"]
        # 12:00 (window still open at 12:00 now) to bed time 22:00, every 2 hours.
        assert elevations == [f"2026-03-27T{h}:00:00+00:00" for h in (12, 14, 16, 18, 20, 22)]
        assert {i["status"] for i in items} == {"pending"}

    def test_spans_say_their_last_whole_day_and_tasks_none(self, me: TestClient) -> None:
        items = day(me)
        # Treated Fri 27 Mar 12:00: no aspirin for six weeks, to the midnight after Fri 8 May
        # (British Summer Time by then): that Friday is the last day, for the app and console.
        aspirin = first(items, "avoid_aspirin")
        assert aspirin["window_end"].startswith("2026-05-08T23:00:00")
        assert aspirin["last_day"] == "2026-05-08"
        assert first(items, "elevate_legs")["last_day"] is None

    def test_days_after_the_clock_change_keep_local_times(self, me: TestClient) -> None:
        monday = day(me, "2026-03-30")
        assert first(monday, "stockings_on")["local_due"] == "2026-03-30T07:30:00+01:00"
        assert first(monday, "stockings_on")["due_at"].startswith("2026-03-30T06:30:00")
        doses = [i["local_due"] for i in monday if i["task"] == "hydrocortisone"]
        assert doses == ["2026-03-30T07:30:00+01:00", "2026-03-30T22:00:00+01:00"]

    def test_at_one_instant_the_protocols_order_holds(self, me: TestClient) -> None:
        saturday = [
            i["task"]
            for i in day(me, "2026-03-28")
            if i["local_due"].startswith("2026-03-28T10:00")
        ]
        assert saturday == ["remove_stocking", "hydrocortisone"]

    def test_bad_date_is_refused(self, me: TestClient) -> None:
        assert me.get("/api/me/tasks", params={"date": "30/03/2026"}).status_code == 422

    def test_a_range_of_days_covers_the_whole_plan(self, me: TestClient) -> None:
        response = me.get("/api/me/tasks", params={"from": "2026-03-27", "to": "2026-05-31"})
        assert response.status_code == 200
        items = response.json()
        assert {i["key"] for i in items} >= {
            "follow_up/1",
            "follow_up/2",
            "stockings_on/2026-04-17",
        }
        one_day = day(me, "2026-03-30")
        assert [i for i in items if i["local_due"].startswith("2026-03-30")] == [
            i for i in one_day if i["local_due"].startswith("2026-03-30")
        ]

    @pytest.mark.parametrize(
        "params",
        [
            {"from": "2026-04-02", "to": "2026-04-01"},
            {"from": "2026-01-01", "to": "2026-12-31"},
            {"from": "2026-04-01"},
            {"date": "2026-04-01", "from": "2026-04-01", "to": "2026-04-02"},
        ],
    )
    def test_bad_ranges_are_refused(self, me: TestClient, params: dict[str, str]) -> None:
        response = me.get("/api/me/tasks", params=params)
        assert response.status_code == 422
        assert response.json()["detail"]


class TestComplete:
    def test_tick_is_idempotent_and_undo_reverts(self, me: TestClient, clock: FixedClock) -> None:
        task = first(day(me), "elevate_legs")
        path = f"/api/me/tasks/{task['id']}/complete"
        done = me.post(path)
        assert done.status_code == 200
        assert done.json()["status"] == "done"
        assert done.json()["completed_at"].startswith("2026-03-27T12:00:00")
        clock.advance(timedelta(minutes=5))
        again = me.post(path)
        assert again.json() == done.json()  # the first completion, not a second one
        undone = me.delete(path)
        assert undone.json()["status"] == "pending"
        assert undone.json()["completed_at"] is None
        assert me.delete(path).json() == undone.json()

    def test_an_unticked_task_becomes_missed_after_its_window(
        self, me: TestClient, clock: FixedClock
    ) -> None:
        clock.advance(timedelta(hours=2, minutes=1))
        statuses = {i["key"]: i["status"] for i in day(me)}
        assert statuses["elevate_legs/t1/1"] == "missed"
        assert statuses["elevate_legs/t1/2"] == "pending"

    def test_a_task_far_ahead_cannot_be_ticked_yet(self, me: TestClient) -> None:
        tomorrow = first(day(me, "2026-03-28"), "remove_stocking")
        response = me.post(f"/api/me/tasks/{tomorrow['id']}/complete")
        assert response.status_code == 409
        assert response.json()["code"] == "not_due_yet"

    def test_information_cannot_be_ticked(self, me: TestClient) -> None:
        info = first(day(me), "keep_dry")
        response = me.post(f"/api/me/tasks/{info['id']}/complete")
        assert response.status_code == 409
        assert response.json()["code"] == "not_a_task"

    def test_another_patients_task_is_not_found(
        self, me: TestClient, staff: TestClient, app: Any
    ) -> None:
        with TestClient(app) as other_phone:
            pair_phone(other_phone, enrol(staff, name="Other Person")["enrolment"]["code"])
            theirs = first(day(other_phone), "elevate_legs")
        for method in ("POST", "DELETE"):
            response = me.request(method, f"/api/me/tasks/{theirs['id']}/complete")
            assert response.status_code == 404
        assert me.post(f"/api/me/tasks/{uuid.uuid4()}/complete").status_code == 404
        assert me.post("/api/me/tasks/12/complete").status_code == 422

    def test_needs_a_device_session(self, phone: TestClient) -> None:
        assert phone.post(f"/api/me/tasks/{uuid.uuid4()}/complete").status_code == 401


class TestLanguage:
    def test_titles_and_instructions_come_in_the_patients_language(self, me: TestClient) -> None:
        english = first(day(me), "elevate_legs")
        assert me.patch("/api/me/preferences", json={"language": "pl"}).status_code == 200
        polish = first(day(me), "elevate_legs")
        assert (polish["title"], polish["id"]) == ("Unieś nogi", english["id"])
        assert polish["instructions"].startswith("Odpocznij przez 15 minut")
        assert first(day(me), "avoid_aspirin")["title"] == "Bez aspiryny przez sześć tygodni"
        profile = me.get("/api/me").json()
        assert "Bez aspiryny przez sześć tygodni" in [r["title"] for r in profile["restrictions"]]
        assert profile["appointments"][0]["title"] == "Kontrola i ewentualny zabieg uzupełniający"
        assert me.patch("/api/me/preferences", json={"language": "qps-ploc"}).status_code == 200
        assert first(day(me), "elevate_legs")["title"].startswith("⟦Ŕàîšé ýöüŕ ĺéĝš")

    def test_ticking_off_answers_in_the_patients_language(self, me: TestClient) -> None:
        me.patch("/api/me/preferences", json={"language": "pl"})
        task = first(day(me), "elevate_legs")
        done = me.post(f"/api/me/tasks/{task['id']}/complete")
        assert done.status_code == 200, done.text
        assert done.json()["title"] == "Unieś nogi"
        undone = me.delete(f"/api/me/tasks/{task['id']}/complete")
        assert undone.json()["title"] == "Unieś nogi"
