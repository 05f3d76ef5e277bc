"""Triage edges over HTTP: pain not given, out of hours, notes read, rises over days, the
form the app triages offline with, and a sample of the shared case table end to end."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.notifications.models import OutboxKind, OutboxMessage
from app.reports.models import Alert, SymptomReport
from app.reports.triage import Numbers, PastPain, default_rules, triage
from tests.reports.test_triage_cases import CASES

CLINIC_PHONE = "+44 20 7946 0001"
OUT_OF_HOURS = "+44 20 7946 0999"
# Tuesday 31 March 2026 20:27 BST (the clinic closed at 18:00, reopens Wednesday 08:00).
TUESDAY_EVENING = datetime(2026, 3, 31, 19, 27, tzinfo=UTC)
# Friday 3 April 2026 19:30 BST: closed for the weekend.
FRIDAY_EVENING = datetime(2026, 4, 3, 18, 30, tzinfo=UTC)
# Friday 3 April 2026 13:00 BST: open.
FRIDAY_NOON = datetime(2026, 4, 3, 12, 0, tzinfo=UTC)


def report(me: TestClient, **fields: Any) -> Any:
    body = {"client_id": str(uuid.uuid4()), "signs": [], "note": ""} | fields
    return me.post("/api/me/reports", json=body)


def alerts(factory: sessionmaker[Session]) -> list[Alert]:
    with factory() as session:
        return list(session.exec(select(Alert).order_by(col(Alert.created_at))).all())


class TestPainNotGiven:
    def test_a_red_flag_is_taken_without_a_pain_number(
        self, me: TestClient, factory: sessionmaker[Session]
    ) -> None:
        response = report(me, signs=["chest_pain_breathless"])  # no "pain" at all
        assert response.status_code == 201, response.text
        assert (response.json()["level"], response.json()["pain"]) == ("emergency", None)
        assert len(alerts(factory)) == 1
        with factory() as session:
            assert session.exec(select(SymptomReport.pain)).all() == [None]
        assert me.get("/api/me/reports").json()[0]["pain"] is None

    def test_a_note_alone_is_enough(self, me: TestClient) -> None:
        response = report(me, pain=None, note="Feeling fine, just checking in")
        assert response.status_code == 201, response.text
        assert response.json()["level"] == "routine"

    @pytest.mark.parametrize("fields", [{}, {"pain": None}, {"pain": None, "note": "  \n"}])
    def test_nothing_reported_is_refused_in_plain_words(
        self, me: TestClient, factory: sessionmaker[Session], fields: dict[str, Any]
    ) -> None:
        response = report(me, **fields)
        assert response.status_code == 422
        assert response.json()["code"] == "pain_required"
        assert "pain from 0 to 10" in response.json()["detail"]
        with factory() as session:
            assert session.exec(select(SymptomReport)).all() == []

    def test_the_previous_pain_skips_reports_without_one(self, me: TestClient) -> None:
        assert report(me, pain=2).json()["level"] == "routine"
        assert report(me, pain=None, signs=["bruising"]).json()["level"] == "routine"
        response = report(me, pain=4).json()
        assert response["level"] == "urgent"  # 2 -> 4, across the report without a pain

    def test_staff_see_pain_not_given_in_the_alert(self, me: TestClient, staff: TestClient) -> None:
        report(me, signs=["fever"])
        [alert] = staff.get("/api/alerts").json()
        assert alert["report"]["pain"] is None


class TestOutOfHours:
    def test_tuesday_evening_urgent_report_names_the_out_of_hours_route(
        self, me: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        clock.set(TUESDAY_EVENING)
        body = report(me, pain=3, signs=["calf_pain_swelling"]).json()
        assert body["level"] == "urgent"
        assert body["call_number"] == OUT_OF_HOURS
        assert body["title"] == "Call the on-call nurse now"
        assert body["call_label"] == "Call the on-call nurse"
        assert "closed until 8:00 on Wednesday" in body["advice"]
        assert f"the on-call nurse on {OUT_OF_HOURS}" in body["advice"]
        [alert] = alerts(factory)
        # 20:42 BST, not Wednesday 08:15.
        assert alert.escalate_at == TUESDAY_EVENING + timedelta(minutes=15)
        with factory() as session:
            [push] = session.exec(
                select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.ALERT)
            ).all()
        assert push.due_at == TUESDAY_EVENING  # to the on-call staff at once

    def test_friday_evening_likewise_and_the_name_is_the_clinics(
        self, me: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        with factory() as session:
            clinic = session.exec(select(Clinic)).one()
            clinic.out_of_hours_name = "NHS 111"
            clinic.out_of_hours_phone = "111"
            session.add(clinic)
            session.commit()
        clock.set(FRIDAY_EVENING)
        body = report(me, pain=8).json()
        assert (body["level"], body["call_number"]) == ("urgent", "111")
        assert body["title"] == "Call NHS 111 now"
        assert "closed until 8:00 on Monday" in body["advice"]
        [alert] = alerts(factory)
        assert alert.escalate_at == FRIDAY_EVENING + timedelta(minutes=15)

    def test_in_opening_hours_it_is_the_clinics_phone(
        self, me: TestClient, clock: FixedClock
    ) -> None:
        clock.set(FRIDAY_NOON)
        body = report(me, signs=["fever"]).json()
        assert (body["call_number"], body["title"]) == (CLINIC_PHONE, "Contact the clinic now")
        assert CLINIC_PHONE in body["advice"]

    def test_an_emergency_out_of_hours_is_still_the_emergency_number(
        self, me: TestClient, clock: FixedClock
    ) -> None:
        clock.set(TUESDAY_EVENING)
        body = report(me, signs=["sepsis_signs"]).json()
        assert (body["level"], body["call_number"], body["title"]) == (
            "emergency",
            "999",
            "Call 999 now",
        )


class TestNotes:
    def test_a_note_naming_a_red_flag_is_urgent_and_flagged_for_reading(
        self, me: TestClient, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        body = report(me, pain=2, note="I have chest pain and I am short of breath").json()
        assert body["level"] == "urgent"  # not emergency: the patient did not tick it
        assert body["title"] != "Thank you, this is expected"
        [alert] = staff.get("/api/alerts").json()
        assert alert["note_needs_reading"] is True
        with factory() as session:
            [stored] = session.exec(select(SymptomReport)).all()
        assert stored.reasons == ["note mentions: Chest pain or sudden breathlessness"]

    def test_a_ticked_sign_alert_does_not_ask_for_the_note(
        self, me: TestClient, staff: TestClient
    ) -> None:
        report(me, pain=2, signs=["fever"], note="no bruising")
        [alert] = staff.get("/api/alerts").json()
        assert alert["note_needs_reading"] is False

    def test_a_bruising_note_stays_routine(self, me: TestClient) -> None:
        body = report(me, pain=2, note="Some bruising, no other problems").json()
        assert (body["level"], body["title"]) == ("routine", "Thank you for your report")


class TestPainRisingOverDays:
    def _at(self, clock: FixedClock, me: TestClient, when: datetime, pain: int) -> str:
        clock.set(when)
        return str(report(me, pain=pain).json()["level"])

    def test_steps_of_one_over_three_days_are_urgent(
        self, me: TestClient, clock: FixedClock
    ) -> None:
        levels = [
            self._at(clock, me, FRIDAY_NOON + timedelta(days=d), pain)
            for d, pain in ((0, 3), (1, 4), (2, 5), (3, 6))
        ]
        assert levels == ["routine", "routine", "routine", "urgent"]

    def test_the_same_spread_over_four_days_is_routine(
        self, me: TestClient, clock: FixedClock
    ) -> None:
        hours = (0, 32, 64, 96)
        levels = [
            self._at(clock, me, FRIDAY_NOON + timedelta(hours=h), pain)
            for h, pain in zip(hours, (3, 4, 5, 6), strict=True)
        ]
        assert levels == ["routine"] * 4


class TestReportForm:
    def test_the_form_carries_what_the_app_needs_to_triage_offline(
        self, me: TestClient, clock: FixedClock
    ) -> None:
        clock.set(TUESDAY_EVENING)
        form = me.get("/api/me/report-form").json()
        assert form["rules"] == default_rules().model_dump(mode="json")
        assert form["rules"]["pain"]["rise_over_days"] == 3
        assert (form["out_of_hours_name"], form["out_of_hours_phone"]) == (
            "the on-call nurse",
            OUT_OF_HOURS,
        )
        periods = form["closed_periods"]
        assert periods[0] == {
            "starts_at": "2026-03-31T17:00:00Z",
            "ends_at": "2026-04-01T07:00:00Z",
            "reopens": "8:00 on Wednesday",
        }
        assert len(periods) == 11  # to Tuesday 14 April 20:27: its evening is the last
        assert (form["urgent_pain_at_least"], form["urgent_pain_rise"]) == (7, 2)  # kept

    def test_a_clinics_own_version_1_rules_reach_the_app_as_version_2(
        self, me: TestClient, factory: sessionmaker[Session]
    ) -> None:
        from tests.reports.test_triage import V1_RULES

        with factory() as session:
            clinic = session.exec(select(Clinic)).one()
            clinic.triage_rules = dict(V1_RULES)
            session.add(clinic)
            session.commit()
        form = me.get("/api/me/report-form").json()
        assert form["rules"]["version"] == 2
        assert form["rules"]["pain"]["urgent_at_least"] == 6
        assert report(me, pain=6).json()["level"] == "urgent"

    def test_the_reports_give_when_and_the_pain(self, me: TestClient, clock: FixedClock) -> None:
        report(me, pain=None, signs=["bruising"])
        [listed] = me.get("/api/me/reports").json()
        assert listed["pain"] is None
        assert datetime.fromisoformat(listed["created_at"]) == clock.now()


SAMPLE = [
    "sign-sepsis_signs", "sign-rash_hives", "pain-5-moderate", "pain-7-urgent",
    "pain-10-urgent-closed", "rise-2-since-previous", "rise-1-since-previous", "rise-3-to-5",
    "rise-in-steps-of-1-over-3-days", "rise-in-steps-of-1-over-4-days",
    "rise-previous-skips-null-pain", "pain-null-note-only", "pain-null-note-red-flag",
    "rash-and-throat-is-emergency", "note-curly-apostrophe", "note-clinic-closed",
    "note-bruising-only", "note-expected-ticked-and-written", "urgent-sign-when-closed",
]  # fmt: skip
CALL = {"emergency": "999", "clinic": CLINIC_PHONE, "out_of_hours": OUT_OF_HOURS, None: None}


@pytest.mark.parametrize("case", [c for c in CASES if c["id"] in SAMPLE], ids=lambda c: c["id"])
def test_a_case_through_the_api(
    case: dict[str, Any], me: TestClient, factory: sessionmaker[Session], clock: FixedClock
) -> None:
    now = FRIDAY_NOON if case["clinic_open"] else TUESDAY_EVENING + timedelta(days=7)
    for earlier in sorted(case["history"], key=lambda h: -h["hours_ago"]):
        clock.set(now - timedelta(hours=earlier["hours_ago"]))
        # Earlier reports: their own answer does not matter here, only their pain.
        sent = report(me, pain=earlier["pain"], note="" if earlier["pain"] is not None else "ok")
        assert sent.status_code == 201, sent.text
    clock.set(now)
    response = report(me, pain=case["pain"], signs=case["signs"], note=case["note"])
    assert response.status_code == 201, response.text
    body = response.json()
    expect = case["expect"]
    assert (body["level"], body["call_number"]) == (expect["level"], CALL[expect["call"]])
    pure = triage(
        default_rules(),
        pain=case["pain"],
        signs=case["signs"],
        note=case["note"],
        history=[PastPain(h["hours_ago"], h["pain"]) for h in case["history"]],
        clinic_open=case["clinic_open"],
        numbers=Numbers(
            "999", CLINIC_PHONE, OUT_OF_HOURS, "the on-call nurse", "8:00 on Wednesday"
        ),
    )
    assert pure.advice_key == expect["advice"]
    assert (body["title"], body["advice"]) == (pure.title, pure.advice)
    with factory() as session:
        stored = session.exec(select(SymptomReport).where(SymptomReport.created_at == now)).one()
    assert all(reason in stored.reasons for reason in expect["reasons_include"])
    flagged = [a.note_needs_reading for a in alerts(factory) if a.created_at == now]
    assert flagged == ([bool(expect["note_signs"])] if expect["level"] != "routine" else [])
