"""Carers through the API: invited by the patient or the clinic, their own phone, ticks and
reports marked as theirs, one carer for two people, removal at once, and every refusal."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.enrolment.models import DeviceSession
from app.patients.carers import Carer, CarerLink
from app.patients.models import Patient
from app.records.erasure import erase_patient
from app.staff.models import AuditEvent
from tests.support.api import enrol, log_in, pair_phone, send_report

STOCKING = "remove_stocking/t1"  # due 10:00 Sat 28 Mar 2026, 24 h after Ada's treatment


@pytest.fixture
def carer_phone(app: FastAPI) -> Iterator[TestClient]:
    """The carer's own phone: a third browser."""
    with TestClient(app) as browser:
        yield browser


def invite(phone: TestClient, name: str = "Anna", reminders: bool = True) -> dict[str, Any]:
    answer = phone.post("/api/me/carers", json={"name": name, "reminders": reminders})
    assert answer.status_code == 201, answer.text
    invited: dict[str, Any] = answer.json()
    return invited


def task(phone: TestClient, key: str, day: str = "2026-03-28") -> dict[str, Any]:
    tasks = phone.get("/api/me/tasks", params={"date": day}).json()
    found: dict[str, Any] = next(t for t in tasks if t["key"] == key)
    return found


def error(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json()["code"]


class TestInviting:
    def test_the_patient_invites_a_carer_whose_phone_then_shows_the_patient(
        self, me: TestClient, carer_phone: TestClient
    ) -> None:
        invited = invite(me)
        assert invited["carer"]["name"] == "Anna"
        assert invited["carer"]["invited_by"] == "patient"
        assert invited["enrolment"]["url"].endswith(invited["enrolment"]["code"])
        assert invited["enrolment"]["qr_svg"].startswith("<svg")
        profile = pair_phone(carer_phone, invited["enrolment"]["code"])
        ada = me.get("/api/me").json()
        assert profile["id"] == ada["id"]
        assert profile["carer"] == {
            "id": invited["carer"]["id"],
            "name": "Anna",
            "patients": [{"id": ada["id"], "name": "Ada Lovelace"}],
            "current": ada["id"],
        }
        assert ada["carer"] is None  # the patient's own phone
        listed = me.get("/api/me/carers").json()
        assert [(c["name"], c["enrolment"], c["joined_at"] is not None) for c in listed] == [
            ("Anna", "used", True)
        ]

    def test_the_clinic_invites_a_carer_and_the_audit_says_who(
        self, staff: TestClient, me: TestClient, factory: sessionmaker[Session]
    ) -> None:
        patient_id = me.get("/api/me").json()["id"]
        answer = staff.post(f"/api/patients/{patient_id}/carers", json={"name": "Ben"})
        assert answer.status_code == 201, answer.text
        assert answer.json()["carer"]["invited_by"] == "staff"
        assert [c["name"] for c in staff.get(f"/api/patients/{patient_id}/carers").json()] == [
            "Ben"
        ]
        invite(me, "Cara")
        with factory() as session:
            events = session.exec(
                select(AuditEvent).where(AuditEvent.action == "carer.invited")
            ).all()
        by = sorted((e.staff_id is not None, e.detail.get("by")) for e in events)
        assert by == [(False, "patient"), (True, None)]

    def test_a_patients_new_link_leaves_the_carers_link_working_and_back(
        self, staff: TestClient, me: TestClient, carer_phone: TestClient, clock: FixedClock
    ) -> None:
        patient_id = me.get("/api/me").json()["id"]
        invited = invite(me)
        clock.advance(timedelta(minutes=1))  # the newest link is the later one
        assert staff.post(f"/api/patients/{patient_id}/enrolment").status_code == 201
        pair_phone(carer_phone, invited["enrolment"]["code"])  # still works
        again = me.post(f"/api/me/carers/{invited['carer']['id']}/link")
        assert again.status_code == 201
        assert staff.get(f"/api/patients/{patient_id}").json()["enrolment_status"] == "active"

    def test_a_new_link_for_the_carer_stops_the_unused_one(
        self, me: TestClient, carer_phone: TestClient
    ) -> None:
        invited = invite(me)
        fresh = me.post(f"/api/me/carers/{invited['carer']['id']}/link").json()
        old = carer_phone.post("/api/enrol", json={"code": invited["enrolment"]["code"]})
        assert error(old) == (410, "link_revoked")
        pair_phone(carer_phone, fresh["enrolment"]["code"])

    @pytest.mark.parametrize(
        ("body", "words"),
        [
            ({"name": ""}, "the name"),
            ({"name": "   "}, "the name"),
            ({"name": "A" * 121}, "the name"),
            ({"name": "Anna\nBell"}, "the name"),
            ({"name": "Anna", "reminders": "sometimes"}, "whether"),
            ({"name": "Anna", "phone": "+447700900123"}, ""),
        ],
    )
    def test_bad_input_is_refused_in_plain_words_and_changes_nothing(
        self, me: TestClient, body: dict[str, Any], words: str
    ) -> None:
        answer = me.post("/api/me/carers", json=body)
        assert answer.status_code == 422, answer.text
        assert words in answer.json()["detail"].lower()
        assert me.get("/api/me/carers").json() == []

    def test_at_most_five_carers(self, me: TestClient) -> None:
        for n in range(5):
            invite(me, f"Helper {n}")
        assert error(me.post("/api/me/carers", json={"name": "Sixth"})) == (409, "too_many_carers")
        assert len(me.get("/api/me/carers").json()) == 5

    def test_a_carers_link_on_a_patients_phone_is_refused_and_still_works_after(
        self, me: TestClient, carer_phone: TestClient
    ) -> None:
        invited = invite(me)
        refused = me.post("/api/enrol", json={"code": invited["enrolment"]["code"]})
        assert error(refused) == (409, "carer_link_on_patient_phone")
        assert "helper's own phone" in refused.json()["detail"]
        assert me.get("/api/me").json()["carer"] is None  # the patient is still signed in
        pair_phone(carer_phone, invited["enrolment"]["code"])  # nothing was used up

    def test_another_patients_carer_is_not_found(
        self, staff: TestClient, me: TestClient, phone: TestClient, app: FastAPI
    ) -> None:
        ada_carer = invite(me)["carer"]["id"]
        with TestClient(app) as bob:
            pair_phone(bob, enrol(staff, name="Bob Hope")["enrolment"]["code"])
            for call in (
                bob.patch(f"/api/me/carers/{ada_carer}", json={"reminders": False}),
                bob.delete(f"/api/me/carers/{ada_carer}"),
                bob.post(f"/api/me/carers/{ada_carer}/link"),
            ):
                assert error(call) == (404, "not_found")
        assert me.get("/api/me/carers").json()[0]["reminders"] is True


class TestOnTheCarersPhone:
    @pytest.fixture
    def anna(self, me: TestClient, carer_phone: TestClient) -> TestClient:
        pair_phone(carer_phone, invite(me)["enrolment"]["code"])
        return carer_phone

    def test_a_tick_on_the_carers_phone_counts_and_is_marked_as_theirs(
        self,
        me: TestClient,
        anna: TestClient,
        staff: TestClient,
        clock: FixedClock,
    ) -> None:
        clock.set(clock.now().replace(day=28, hour=10, minute=5))
        stocking = task(anna, STOCKING)
        done = anna.post(f"/api/me/tasks/{stocking['id']}/complete")
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["completed_by"]) == ("done", "Anna")
        assert task(me, STOCKING)["completed_by"] == "Anna"  # the patient sees who did it
        patient_id = me.get("/api/me").json()["id"]
        log_in(staff)  # a day later: the clinician signs in again
        plan = staff.get(f"/api/patients/{patient_id}/tasks", params={"to": "2026-03-29"}).json()
        assert next(t for t in plan if t["key"] == STOCKING)["completed_by"] == "Anna"
        # Undone and done again by the patient: theirs now.
        me.delete(f"/api/me/tasks/{stocking['id']}/complete")
        again = me.post(f"/api/me/tasks/{stocking['id']}/complete").json()
        assert again["completed_by"] is None

    def test_a_report_from_the_carers_phone_is_the_carers(
        self, me: TestClient, anna: TestClient, staff: TestClient
    ) -> None:
        sent = send_report(anna, pain=3)
        assert sent["reported_by"] == "Anna"
        assert me.get("/api/me/reports").json()[0]["reported_by"] == "Anna"
        patient_id = me.get("/api/me").json()["id"]
        assert staff.get(f"/api/patients/{patient_id}/reports").json()[0]["reported_by"] == "Anna"
        assert send_report(me)["reported_by"] is None

    def test_the_clinics_alert_says_the_carer_reported_it(
        self, anna: TestClient, staff: TestClient
    ) -> None:
        send_report(anna, pain=None, signs=["chest_pain_breathless"])
        (alert,) = staff.get("/api/alerts").json()
        assert alert["report"]["reported_by"] == "Anna"

    def test_what_only_the_patient_may_change_is_refused_and_unchanged(
        self, me: TestClient, anna: TestClient
    ) -> None:
        before = me.get("/api/me").json()
        for call in (
            anna.patch("/api/me/preferences", json={"wake_time": "09:00"}),
            anna.put("/api/me/reminder-channel", json={"channel": ""}),
            anna.get("/api/me/carers"),
            anna.post("/api/me/carers", json={"name": "Someone"}),
        ):
            assert error(call) == (403, "carer_not_allowed")
            assert "Only Ada Lovelace can change this" in call.json()["detail"]
        assert me.get("/api/me").json()["wake_time"] == before["wake_time"]
        assert len(me.get("/api/me/carers").json()) == 1

    def test_the_patients_own_phones_list_leaves_the_carers_out(
        self, me: TestClient, anna: TestClient, staff: TestClient
    ) -> None:
        patient_id = me.get("/api/me").json()["id"]
        devices = staff.get(f"/api/patients/{patient_id}/devices").json()
        assert len(devices) == 1

    def test_switching_is_refused_on_a_patients_phone(self, me: TestClient) -> None:
        ada = me.get("/api/me").json()["id"]
        assert error(me.post("/api/me/switch", json={"patient_id": ada})) == (403, "carer_only")


class TestTwoPeople:
    def test_one_carer_helps_two_people_and_switches_between_them(
        self, staff: TestClient, me: TestClient, carer_phone: TestClient, app: FastAPI
    ) -> None:
        ada = me.get("/api/me").json()["id"]
        pair_phone(carer_phone, invite(me, "Anna")["enrolment"]["code"])
        with TestClient(app) as bob_phone:
            bob = pair_phone(bob_phone, enrol(staff, name="Bob Lovelace")["enrolment"]["code"])
            second = invite(bob_phone, "My daughter")
            now_bob = pair_phone(carer_phone, second["enrolment"]["code"])  # the same phone
        assert now_bob["id"] == bob["id"]
        helped = now_bob["carer"]
        assert helped["name"] == "My daughter"  # as Bob named her
        assert [p["name"] for p in helped["patients"]] == ["Ada Lovelace", "Bob Lovelace"]
        assert helped["current"] == bob["id"]
        back = carer_phone.post("/api/me/switch", json={"patient_id": ada})
        assert back.status_code == 200, back.text
        assert (back.json()["id"], back.json()["carer"]["name"]) == (ada, "Anna")
        assert carer_phone.get("/api/me").json()["id"] == ada
        stranger = enrol(staff, name="Cy Stranger")["id"]
        refused = carer_phone.post("/api/me/switch", json={"patient_id": stranger})
        assert error(refused) == (404, "not_found")
        assert carer_phone.get("/api/me").json()["id"] == ada

    def test_removing_one_switches_the_phone_to_the_other(
        self,
        staff: TestClient,
        me: TestClient,
        carer_phone: TestClient,
        app: FastAPI,
    ) -> None:
        first = invite(me, "Anna")
        pair_phone(carer_phone, first["enrolment"]["code"])
        with TestClient(app) as bob_phone:
            bob = pair_phone(bob_phone, enrol(staff, name="Bob Lovelace")["enrolment"]["code"])
            pair_phone(carer_phone, invite(bob_phone)["enrolment"]["code"])
        carer_phone.post("/api/me/switch", json={"patient_id": me.get("/api/me").json()["id"]})
        assert me.delete(f"/api/me/carers/{first['carer']['id']}").status_code == 204
        shown = carer_phone.get("/api/me").json()
        assert shown["id"] == bob["id"]
        assert [p["name"] for p in shown["carer"]["patients"]] == ["Bob Lovelace"]

    def test_a_report_written_for_one_person_is_never_filed_on_the_other(
        self,
        staff: TestClient,
        me: TestClient,
        carer_phone: TestClient,
        app: FastAPI,
    ) -> None:
        """Written for Ada while offline; Ada removed the carer meanwhile, so the phone now
        shows Bob: the report is refused in plain words and nothing is stored for either."""
        first = invite(me, "Anna")
        pair_phone(carer_phone, first["enrolment"]["code"])
        with TestClient(app) as bob_phone:
            bob = pair_phone(bob_phone, enrol(staff, name="Bob Lovelace")["enrolment"]["code"])
            pair_phone(carer_phone, invite(bob_phone)["enrolment"]["code"])
        ada = me.get("/api/me").json()["id"]
        carer_phone.post("/api/me/switch", json={"patient_id": ada})
        assert me.delete(f"/api/me/carers/{first['carer']['id']}").status_code == 204
        body = {"client_id": str(uuid.uuid4()), "pain": None, "signs": ["chest_pain_breathless"]}
        refused = carer_phone.post("/api/me/reports", json={**body, "for_patient": ada})
        assert error(refused) == (409, "report_for_another_person")
        assert "someone other than Bob Lovelace" in refused.json()["detail"]
        assert "call their clinic now" in refused.json()["detail"]
        assert staff.get(f"/api/patients/{bob['id']}/reports").json() == []
        assert staff.get(f"/api/patients/{ada}/reports").json() == []
        assert staff.get("/api/alerts").json() == []
        # Written for Bob, it is Bob's.
        sent = carer_phone.post("/api/me/reports", json={**body, "for_patient": bob["id"]})
        assert sent.status_code == 201, sent.text


class TestRemoval:
    def test_the_patient_removes_the_carer_and_their_phone_is_signed_out_at_once(
        self, me: TestClient, carer_phone: TestClient, factory: sessionmaker[Session]
    ) -> None:
        invited = invite(me)
        pair_phone(carer_phone, invited["enrolment"]["code"])
        assert me.delete(f"/api/me/carers/{invited['carer']['id']}").status_code == 204
        assert error(carer_phone.get("/api/me")) == (401, "not_authenticated")
        assert me.get("/api/me/carers").json() == []
        assert error(me.delete(f"/api/me/carers/{invited['carer']['id']}")) == (404, "not_found")
        with factory() as session:
            (link,) = session.exec(select(CarerLink)).all()
            assert (link.removed_by, link.removed_at is not None) == ("patient", True)

    def test_staff_remove_a_carer_and_the_unused_link_stops(
        self, staff: TestClient, me: TestClient, carer_phone: TestClient
    ) -> None:
        patient_id = me.get("/api/me").json()["id"]
        invited = invite(me)
        removed = staff.delete(f"/api/patients/{patient_id}/carers/{invited['carer']['id']}")
        assert removed.status_code == 204
        late = carer_phone.post("/api/enrol", json={"code": invited["enrolment"]["code"]})
        assert late.status_code == 410

    def test_the_done_task_still_names_a_removed_carer(
        self, me: TestClient, carer_phone: TestClient, clock: FixedClock
    ) -> None:
        invited = invite(me)
        pair_phone(carer_phone, invited["enrolment"]["code"])
        clock.advance(timedelta(hours=24, minutes=5))
        carer_phone.post(f"/api/me/tasks/{task(carer_phone, STOCKING)['id']}/complete")
        me.delete(f"/api/me/carers/{invited['carer']['id']}")
        assert task(me, STOCKING)["completed_by"] == "Anna"

    def test_erasing_the_patient_erases_their_carers(
        self,
        staff: TestClient,
        me: TestClient,
        carer_phone: TestClient,
        factory: sessionmaker[Session],
    ) -> None:
        pair_phone(carer_phone, invite(me)["enrolment"]["code"])
        patient_id = me.get("/api/me").json()["id"]
        with factory() as session, session.begin():
            patient = session.get(Patient, uuid.UUID(patient_id))
            assert patient is not None
            counts = erase_patient(session, patient=patient)
        assert (counts["carer_link"], counts["carer"]) == (1, 1)
        with factory() as session:
            assert session.exec(select(Carer)).all() == []
            assert session.exec(select(DeviceSession)).all() == []
        assert carer_phone.get("/api/me").status_code == 401
