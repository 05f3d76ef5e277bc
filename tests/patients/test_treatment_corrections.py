"""Staff correct or void a treatment (PATCH /api/patients/{id}/treatments/{tid}, POST …/void):
the plan follows, done tasks stay done (marked when their treatment is voided), the voided
treatment stays in the record, every refusal changes nothing, and the audit has before/after."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.staff.models import AuditEvent
from app.tasks.models import Occurrence
from tests.support.api import enrol, log_in, pair_phone

# Ada (tests/conftest.py): treated 10:00 Fri 27 Mar 2026 in London (GMT), now 12:00.
TREATED = "2026-03-27T10:00:00+00:00"
LATER = "2026-03-27T15:00:00+00:00"
LONG_AGO = "2026-01-01T10:00:00+00:00"


@pytest.fixture
def ada(staff: TestClient, phone: TestClient) -> dict[str, Any]:
    """Ada enrolled and paired, with her first task of the day ticked."""
    created = enrol(staff)
    pair_phone(phone, created["enrolment"]["code"])
    first = pending_tasks(phone, "2026-03-27")[0]
    assert phone.post(f"/api/me/tasks/{first['id']}/complete").status_code == 200
    detail = staff.get(f"/api/patients/{created['id']}").json()
    return {"id": created["id"], "done": first["key"], "t1": detail["treatments"][0]["id"]}


def pending_tasks(phone: TestClient, day: str) -> list[dict[str, Any]]:
    today = phone.get("/api/me/tasks", params={"date": day}).json()
    return [t for t in today if t["kind"] == "task" and t["status"] == "pending"]


def plan(factory: sessionmaker[Session], patient_id: str) -> dict[str, tuple[Any, ...]]:
    """Every occurrence: key -> (due, status, voided)."""
    with factory() as session:
        rows = session.exec(
            select(Occurrence).where(Occurrence.patient_id == uuid.UUID(patient_id))
        ).all()
        return {o.key: (o.due_at, o.status, o.voided) for o in rows}


def audited(factory: sessionmaker[Session], action: str) -> list[dict[str, Any]]:
    with factory() as session:
        return [
            e.detail for e in session.exec(select(AuditEvent).where(AuditEvent.action == action))
        ]


def correct(
    staff: TestClient, ada: dict[str, Any], treatment: str | None = None, preview: bool = False,
    **fields: Any,
) -> Any:  # fmt: skip
    return staff.patch(
        f"/api/patients/{ada['id']}/treatments/{treatment or ada['t1']}",
        params={"preview": "true"} if preview else {},
        json=fields,
    )


def void(staff: TestClient, ada: dict[str, Any], treatment: str, **fields: Any) -> Any:
    return staff.post(f"/api/patients/{ada['id']}/treatments/{treatment}/void", json=fields)


def treatments(staff: TestClient, ada: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = staff.get(f"/api/patients/{ada['id']}").json()["treatments"]
    return result


@pytest.fixture
def retreated(staff: TestClient, phone: TestClient, ada: dict[str, Any]) -> dict[str, Any]:
    """A second treatment at 11:30 the same day (the area treated again), one of its tasks
    ticked."""
    answer = staff.post(
        f"/api/patients/{ada['id']}/treatments",
        json={"performed_at": "2026-03-27T11:30:00+00:00", "notes": "top-up"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["number"] == 2
    tick = next(t for t in pending_tasks(phone, "2026-03-27") if "/t2" in t["key"])
    assert phone.post(f"/api/me/tasks/{tick['id']}/complete").status_code == 200, tick
    return ada | {"t2": answer.json()["id"], "t2_done": tick["key"]}


class TestCorrect:
    def test_a_wrong_time_moves_what_the_treatment_still_owes_and_keeps_what_was_done(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before = plan(factory, ada["id"])
        # Any offset: 10:30 in Paris is 09:30 in London.
        answer = correct(staff, ada, performed_at="2026-03-27T10:30:00+01:00", reason="Typo")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["changed"] == ["performed_at"]
        assert body["tasks_moved"] > 0 and body["preview"] is False
        assert body["treatment"]["performed_at"].startswith("2026-03-27T09:30:00")
        assert body["treatment"]["correction_reason"] == "Typo"
        assert body["treatment"]["corrected_at"] is not None
        after = plan(factory, ada["id"])
        assert after[ada["done"]] == before[ada["done"]]  # done stays done, where it was

    def test_an_earlier_time_moves_pending_tasks_already_past_too(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before = plan(factory, ada["id"])
        answer = correct(staff, ada, performed_at="2026-03-27T08:00:00+00:00", reason="Typo")
        assert answer.status_code == 200, answer.text
        after = plan(factory, ada["id"])
        moved = [k for k in before if k in after and after[k][0] != before[k][0]]
        assert moved, "the plan follows the corrected time"
        now = datetime.fromisoformat("2026-03-27T12:00:00+00:00")
        # A pending task of this treatment already past moves with it (it was planned from a
        # wrong time); nothing done moves.
        assert any(before[k][0] <= now for k in moved)
        assert all(before[k][1] == "pending" for k in moved)

    def test_the_preview_counts_and_saves_nothing(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before, record = plan(factory, ada["id"]), treatments(staff, ada)
        preview = correct(
            staff, ada, preview=True, performed_at="2026-03-27T09:00:00+00:00", reason="Typo"
        )
        assert preview.status_code == 200, preview.text
        assert preview.json()["preview"] is True and preview.json()["tasks_moved"] > 0
        assert plan(factory, ada["id"]) == before
        assert treatments(staff, ada) == record
        assert audited(factory, "treatment.correct") == []
        saved = correct(staff, ada, performed_at="2026-03-27T09:00:00+00:00", reason="Typo")
        assert saved.json()["tasks_moved"] == preview.json()["tasks_moved"]

    def test_another_method_follows_its_own_protocol(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before = plan(factory, ada["id"])
        body = correct(staff, ada, method="laser", reason="Was a laser session").json()
        assert body["changed"] == ["method"] and body["treatment"]["method"] == "laser"
        assert body["tasks_added"] + body["tasks_removed"] + body["tasks_moved"] > 0
        assert plan(factory, ada["id"]) != before

    def test_notes_alone_do_not_replan_and_the_audit_keeps_no_text(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before = plan(factory, ada["id"])
        body = correct(staff, ada, notes="Left calf, 3 sites", reason="Ada Lovelace asked").json()
        assert (body["changed"], body["tasks_moved"]) == (["notes"], 0)
        assert treatments(staff, ada)[0]["notes"] == "Left calf, 3 sites"
        assert plan(factory, ada["id"]) == before
        [entry] = audited(factory, "treatment.correct")
        assert entry["changed"] == ["notes"] and entry["before"] == entry["after"] == {}
        assert "Ada" not in str(entry) and "calf" not in str(entry)
        assert entry["reason_length"] == len("Ada Lovelace asked")

    def test_the_audit_has_the_time_before_and_after(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        correct(staff, ada, performed_at="2026-03-27T09:30:00+00:00", method="laser", reason="x")
        [entry] = audited(factory, "treatment.correct")
        assert entry["treatment_id"] == ada["t1"]
        assert entry["before"]["method"] == "sclerotherapy" and entry["after"]["method"] == "laser"
        assert entry["before"]["performed_at"].startswith("2026-03-27T10:00:00")
        assert entry["after"]["performed_at"].startswith("2026-03-27T09:30:00")

    def test_the_same_values_again_change_nothing(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        body = correct(staff, ada, performed_at=TREATED, method="sclerotherapy", reason="x").json()
        assert body["changed"] == [] and body["treatment"]["corrected_at"] is None
        assert audited(factory, "treatment.correct") == []


class TestVoid:
    def test_a_voided_treatment_leaves_the_plan_and_stays_in_the_record(
        self, staff: TestClient, retreated: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before = plan(factory, retreated["id"])
        answer = void(staff, retreated, retreated["t2"], reason="Wrong patient")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["changed"] == ["voided"] and body["tasks_removed"] > 0
        assert body["treatment"]["voided_at"] is not None
        assert body["treatment"]["void_reason"] == "Wrong patient"
        after = plan(factory, retreated["id"])
        # Its done task stays done, marked as a voided treatment's; nothing else of it is left.
        assert after[retreated["t2_done"]][1:] == ("done", True)
        assert after[retreated["t2_done"]][0] == before[retreated["t2_done"]][0]
        left = [k for k in after if "/t2" in k]
        assert left == [retreated["t2_done"]]
        # The first treatment's done task is untouched and not marked.
        assert after[retreated["done"]] == (*before[retreated["done"]][:2], False)
        record = treatments(staff, retreated)
        assert [t["number"] for t in record] == [1, 2]
        assert record[1]["voided_at"] is not None
        [entry] = audited(factory, "treatment.void")
        assert entry["treatment_id"] == retreated["t2"] and entry["after"] == {"voided": True}
        assert "Wrong" not in str(entry)

    def test_the_staff_plan_and_the_phone_show_the_voided_task_as_done(
        self,
        staff: TestClient,
        phone: TestClient,
        retreated: dict[str, Any],
    ) -> None:
        void(staff, retreated, retreated["t2"], reason="Never happened")
        rows = staff.get(f"/api/patients/{retreated['id']}/tasks").json()
        marked = [r for r in rows if r["voided"]]
        assert [(r["key"], r["status"]) for r in marked] == [(retreated["t2_done"], "done")]
        mine = phone.get("/api/me/tasks", params={"date": "2026-03-28"}).json()
        assert all("/t2" not in t["key"] or t["status"] == "done" for t in mine)

    def test_a_new_treatment_after_a_voided_one_takes_the_next_number(
        self, staff: TestClient, retreated: dict[str, Any], factory: sessionmaker[Session],
        clock: FixedClock,
    ) -> None:  # fmt: skip
        void(staff, retreated, retreated["t2"], reason="Wrong patient")
        clock.set(datetime.fromisoformat("2026-03-29T12:00:00+00:00"))
        log_in(staff)  # the day's session has ended
        answer = staff.post(
            f"/api/patients/{retreated['id']}/treatments",
            json={"performed_at": "2026-03-29T10:00:00+00:00"},
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["number"] == 3
        after = plan(factory, retreated["id"])
        assert after[retreated["t2_done"]][1:] == ("done", True)  # never taken for t3's
        assert any("/t3" in k for k in after)

    def test_voiding_the_first_keeps_the_seconds_keys(
        self, staff: TestClient, retreated: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before = plan(factory, retreated["id"])
        assert void(staff, retreated, retreated["t1"], reason="Wrong patient").status_code == 200
        after = plan(factory, retreated["id"])
        assert after[retreated["t2_done"]] == before[retreated["t2_done"]]
        assert after[retreated["done"]][1:] == ("done", True)

    def test_voiding_again_changes_nothing(
        self, staff: TestClient, retreated: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        void(staff, retreated, retreated["t2"], reason="Wrong patient")
        again = void(staff, retreated, retreated["t2"], reason="Wrong patient")
        assert again.status_code == 200 and again.json()["changed"] == []
        assert len(audited(factory, "treatment.void")) == 1

    def test_the_patient_list_counts_only_live_treatments(
        self, staff: TestClient, retreated: dict[str, Any]
    ) -> None:
        void(staff, retreated, retreated["t2"], reason="Wrong patient")
        [row] = staff.get("/api/patients").json()["items"]
        assert row["treatment_count"] == 1
        assert row["last_treatment_at"].startswith("2026-03-27T10:00:00")


class TestRefusals:
    @pytest.mark.parametrize(
        ("fields", "code", "words"),
        [
            ({"notes": "x"}, "reason_required", "why the treatment is corrected"),
            ({"notes": "x", "reason": "   "}, "reason_required", "why"),
            ({"performed_at": LATER, "reason": "x"}, "treatment_in_future", "future"),
            ({"performed_at": LONG_AGO, "reason": "x"}, "treatment_too_old", "8 weeks"),
            ({"performed_at": None, "reason": "x"}, "invalid_input", "cannot be left empty"),
            ({"performed_at": "2026-03-27T10:00:00", "reason": "x"}, "invalid_input", "zone"),
            ({"method": "magic", "reason": "x"}, "invalid_input", ""),
            ({"reason": "x", "voided": True}, "invalid_input", ""),  # not a field to set
        ],
    )  # fmt: skip
    def test_bad_corrections_are_refused_and_change_nothing(
        self,
        staff: TestClient,
        ada: dict[str, Any],
        factory: sessionmaker[Session],
        fields: dict[str, Any],
        code: str,
        words: str,
    ) -> None:
        before, record = plan(factory, ada["id"]), treatments(staff, ada)
        answer = correct(staff, ada, **fields)
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == code
        assert words.lower() in answer.json()["detail"].lower()
        assert (plan(factory, ada["id"]), treatments(staff, ada)) == (before, record)
        assert audited(factory, "treatment.correct") == []

    def test_a_correction_cannot_move_one_treatment_past_another(
        self, staff: TestClient, retreated: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before = plan(factory, retreated["id"])
        later = correct(
            staff, retreated, retreated["t1"], performed_at="2026-03-27T11:45:00+00:00", reason="x"
        )
        assert (later.status_code, later.json()["code"]) == (422, "treatment_out_of_order")
        assert "before the next treatment" in later.json()["detail"]
        earlier = correct(
            staff, retreated, retreated["t2"], performed_at="2026-03-27T09:45:00+00:00", reason="x"
        )
        assert (earlier.status_code, earlier.json()["code"]) == (422, "treatment_out_of_order")
        assert plan(factory, retreated["id"]) == before

    def test_a_voided_treatment_cannot_be_corrected(
        self, staff: TestClient, retreated: dict[str, Any]
    ) -> None:
        void(staff, retreated, retreated["t2"], reason="Wrong patient")
        answer = correct(staff, retreated, retreated["t2"], notes="x", reason="x")
        assert (answer.status_code, answer.json()["code"]) == (409, "treatment_voided")

    def test_the_only_treatment_cannot_be_voided(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before = plan(factory, ada["id"])
        answer = void(staff, ada, ada["t1"], reason="Wrong patient")
        assert (answer.status_code, answer.json()["code"]) == (409, "treatment_only_one")
        assert "correct its time" in answer.json()["detail"]
        assert plan(factory, ada["id"]) == before
        assert treatments(staff, ada)[0]["voided_at"] is None

    def test_a_void_needs_a_reason(self, staff: TestClient, retreated: dict[str, Any]) -> None:
        answer = void(staff, retreated, retreated["t2"])
        assert (answer.status_code, answer.json()["code"]) == (422, "reason_required")
        assert treatments(staff, retreated)[1]["voided_at"] is None

    def test_an_unknown_or_another_patients_treatment_is_not_found(
        self, staff: TestClient, ada: dict[str, Any]
    ) -> None:
        other = enrol(staff, name="Grace Hopper")
        theirs = treatments(staff, {"id": other["id"]})[0]["id"]
        for treatment in (str(uuid.uuid4()), theirs):
            answer = correct(staff, ada, treatment, notes="x", reason="x")
            assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
            answer = void(staff, ada, treatment, reason="x")
            assert (answer.status_code, answer.json()["code"]) == (404, "not_found")

    def test_another_clinics_staff_get_not_found(
        self, hill: TestClient, ada: dict[str, Any]
    ) -> None:
        assert correct(hill, ada, notes="x", reason="x").status_code == 404
        assert void(hill, ada, ada["t1"], reason="x").status_code == 404


def test_the_clock_moves_on_and_the_past_stays(
    staff: TestClient, retreated: dict[str, Any], factory: sessionmaker[Session], clock: FixedClock
) -> None:
    """A correction days later rewrites only what its treatment still owes."""
    clock.advance(timedelta(days=2))
    log_in(staff)  # the day's session has ended
    before = plan(factory, retreated["id"])
    answer = correct(
        staff, retreated, retreated["t1"], performed_at="2026-03-27T09:00:00+00:00", reason="x"
    )
    assert answer.status_code == 200, answer.text
    after = plan(factory, retreated["id"])
    now = clock.now()
    past = {k: v for k, v in before.items() if "/t1" not in k and (v[0] <= now or v[1] == "done")}
    assert past, "the scenario has history besides the first treatment's"
    for key, value in past.items():
        assert after[key] == value, key  # another treatment's or the course's past stays
    assert after["follow_up/1"][0] != before["follow_up/1"][0]  # the visits ahead follow
