"""The visits calendar: valid iCalendar a phone's calendar app can import."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.appointments.calendar import escape, fold
from app.clock import FixedClock
from tests.support.api import enrol, pair_phone, sign_in_staff


def test_text_is_escaped() -> None:
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


@pytest.mark.parametrize("text", ["x" * 200, "é" * 100, "ab" * 37 + "é"])
def test_long_lines_fold_at_75_octets_without_splitting_characters(text: str) -> None:
    folded = fold(text)
    lines = folded.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "".join(line[1:] if n else line for n, line in enumerate(lines)) == text


def test_the_calendar_lists_the_coming_visits(
    client: TestClient, phone: TestClient, factory: sessionmaker[Session], clock: FixedClock
) -> None:
    sign_in_staff(client, factory, now=clock.now())
    created = enrol(client)
    pair_phone(phone, created["enrolment"]["code"])
    # Only booked visits go in (tests/appointments/test_tentative_visits.py): book both.
    for key, at in (
        ("follow_up/1", "2026-04-10T10:00:00+01:00"),
        ("follow_up/2", "2026-05-22T10:00:00+01:00"),
    ):
        booked = client.put(
            f"/api/patients/{created['id']}/appointments/{key}", json={"booked_at": at}
        )
        assert booked.status_code == 200, booked.text
    response = phone.get("/api/me/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    text = response.text
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 2
    assert "DTSTART:20260410T090000Z" in text  # 10:00 BST
    assert "SUMMARY:Final review" in text
    assert "LOCATION:Riverside Vein Clinic" in text
    with TestClient(phone.app) as stranger:
        assert stranger.get("/api/me/calendar.ics").status_code == 401


def _event(text: str) -> dict[str, str]:
    """The one VEVENT's properties (name -> value)."""
    body = text.split("BEGIN:VEVENT\r\n", 1)[1].split("END:VEVENT", 1)[0]
    return dict(line.split(":", 1) for line in body.replace("\r\n ", "").split("\r\n") if line)


def test_a_moved_visit_keeps_its_uid_with_a_new_time_and_a_larger_sequence(
    client: TestClient, phone: TestClient, factory: sessionmaker[Session], clock: FixedClock
) -> None:
    sign_in_staff(client, factory, now=clock.now())
    created = enrol(client)
    pair_phone(phone, created["enrolment"]["code"])
    path = f"/api/patients/{created['id']}/appointments/follow_up/1"
    assert client.put(path, json={"booked_at": "2026-04-10T10:00:00+01:00"}).status_code == 200
    first = _event(phone.get("/api/me/calendar.ics").text)
    clock.advance(timedelta(minutes=20))  # (inside the staff session's idle time)
    assert client.put(path, json={"booked_at": "2026-04-13T14:30:00+01:00"}).status_code == 200
    moved = _event(phone.get("/api/me/calendar.ics").text)
    assert moved["UID"] == first["UID"]
    assert (first["DTSTART"], moved["DTSTART"]) == ("20260410T090000Z", "20260413T133000Z")
    assert (first["LAST-MODIFIED"], moved["LAST-MODIFIED"]) == (
        "20260327T120000Z",
        "20260327T122000Z",
    )
    assert int(moved["SEQUENCE"]) == int(first["SEQUENCE"]) + 20 * 60
    assert moved["DTSTAMP"] > first["DTSTAMP"]
    # Fetched again with nothing changed: the same event, only DTSTAMP says when it was made.
    clock.advance(timedelta(minutes=5))
    again = _event(phone.get("/api/me/calendar.ics").text)
    assert {k: v for k, v in again.items() if k != "DTSTAMP"} == {
        k: v for k, v in moved.items() if k != "DTSTAMP"
    }
