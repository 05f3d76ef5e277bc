"""Clinical edge scenarios end to end: HTTP API (FastAPI TestClient), the stored rows, and the
in-process clock seam (the `clock` fixture) set to each moment of the story.

What the issue asks for, and which test covers it:

- re-treatment on day 1, and twice on one day:
  `test_retreatment_on_day_1_keeps_one_stocking_and_six_doses`,
  `test_two_sessions_on_one_day_take_the_stocking_off_once`
- treatments at 19:30, 21:00 and 23:30: `test_late_treatments_get_six_doses_in_waking_hours`
- bed time in the DST gap (New York, London): `test_a_bed_time_in_the_dst_gap_loses_no_dose`
- a day-60 new course: `test_day_60_treatment_starts_a_tentative_second_course`
- a laser re-treatment: `test_laser_retreatment_gets_laser_aftercare_only`
- travel London -> New York mid-plan: `test_travel_to_new_york_moves_wake_tasks_not_visits`
- every triage case (online): `test_every_triage_case_through_the_api`,
  `test_every_triage_error_case_is_refused_through_the_api`

The plans are checked as properties (no dose in the night, doses at least 6 h apart, keys
that name the dose, nothing under a clinic stocking) rather than re-deriving every instant;
tests/careplan/test_careplan_edges.py pins the exact instants of the pure planner. The suite
runs on SQLite and, with AFTERCARE_TEST_DATABASE_URL, on PostgreSQL, through the shared
fixtures; nothing here is specific to either database.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.notifications.models import OutboxMessage
from app.patients.models import Patient
from app.reports.models import SymptomReport
from app.reports.triage import Numbers, PastPain, default_rules, triage
from app.tasks.models import Occurrence
from tests.reports.test_triage_cases import CASES, ERROR_CASES
from tests.support.api import log_in, new_patient_body, pair_phone

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
CLINIC_PHONE = "+44 20 7946 0001"
OUT_OF_HOURS = "+44 20 7946 0999"
DOSE_NAMES = {"first", "removal", "morning", "evening"}
INJECTION_TASKS = {"keep_dry", "elevate_legs", "remove_stocking", "walk_gently", "hydrocortisone"}


# --- helpers ----------------------------------------------------------------------------------


def local(zone: ZoneInfo, text: str) -> datetime:
    """A local wall time "YYYY-MM-DD HH:MM" in `zone`, as an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=zone)


def at(clock: FixedClock, staff: TestClient, when: datetime) -> None:
    """Move the clock, and sign the clinician in again (staff sessions idle out in 30 min)."""
    clock.set(when)
    log_in(staff)


def enrol_at(
    clock: FixedClock,
    staff: TestClient,
    phone: TestClient | None,
    treated: datetime,
    *,
    sign_in: bool = True,
    **fields: Any,
) -> str:
    """Enrol a patient treated at `treated` with the clock there (unless `sign_in` is False:
    then at the clock as it is, with staff signed in at it); pair `phone`; the patient's id."""
    if sign_in:
        at(clock, staff, treated)
    body = new_patient_body(treated.isoformat(), **fields)
    response = staff.post("/api/patients", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    if phone is not None:
        pair_phone(phone, created["enrolment"]["code"])
    return str(created["id"])


def retreat(
    clock: FixedClock, staff: TestClient, patient_id: str, treated: datetime, method: str
) -> None:
    """Record a re-treatment with the clock at its time."""
    at(clock, staff, treated)
    response = staff.post(
        f"/api/patients/{patient_id}/treatments",
        json={"performed_at": treated.isoformat(), "method": method},
    )
    assert response.status_code == 201, response.text


def whole_plan(staff: TestClient, patient_id: str, first: date, last: date) -> list[dict[str, Any]]:
    """The stored plan as staff read it, `first`..`last` (in chunks the API allows)."""
    seen: dict[str, dict[str, Any]] = {}
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=99))
        response = staff.get(
            f"/api/patients/{patient_id}/tasks",
            params={"from": start.isoformat(), "to": end.isoformat()},
        )
        assert response.status_code == 200, response.text
        for item in response.json():
            seen[item["id"]] = item
        start = end + timedelta(days=1)
    return sorted(seen.values(), key=lambda i: (i["due_at"], i["key"]))


def due(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["due_at"])


def local_due(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["local_due"])


def of_task(items: Iterable[dict[str, Any]], task: str) -> list[dict[str, Any]]:
    return [i for i in items if i["task"] == task]


def stored_keys(factory: sessionmaker[Session], patient_id: str) -> set[str]:
    with factory() as session:
        rows = session.exec(
            select(Occurrence.key).where(Occurrence.patient_id == uuid.UUID(patient_id))
        ).all()
    return set(rows)


def in_night(instant: datetime, wake: time, bed: time, zone: ZoneInfo) -> bool:
    """Strictly between a bed time and the next wake time, as real instants: a wall time in
    a spring gap is moved forward by the gap (what zoneinfo gives for it, fold 0)."""
    day = instant.astimezone(zone).date()
    for start in (day - timedelta(days=1), day):
        bed_at = datetime.combine(start, bed, zone).astimezone(UTC)
        wake_day = start + timedelta(days=1) if bed > wake else start
        wake_at = datetime.combine(wake_day, wake, zone).astimezone(UTC)
        if bed_at < instant < wake_at:
            return True
    return False


def check_doses(
    doses: list[dict[str, Any]], *, removal: datetime, wake: time, bed: time, zone: ZoneInfo
) -> None:
    """Six doses, the first at the removal, none in the night, >= 6 h apart, keys naming them."""
    assert len(doses) == 6, [d["key"] for d in doses]
    times = sorted(due(d) for d in doses)
    assert times[0] == removal
    assert all(t >= removal for t in times)
    assert min(b - a for a, b in itertools.pairwise(times)) >= timedelta(hours=6)
    for dose in doses:
        when = local_due(dose).astimezone(zone)
        assert not in_night(due(dose), wake, bed, zone), dose["key"]
        code, _tag, day, name = dose["key"].split("/")
        assert code == "hydrocortisone" and name in DOSE_NAMES, dose["key"]
        assert day == when.date().isoformat(), dose["key"]
        if name == "first":
            assert due(dose) == removal, dose["key"]


# --- 1. re-treatment on day 1, twice on one day ------------------------------------------------


def test_retreatment_on_day_1_keeps_one_stocking_and_six_doses(
    clock: FixedClock, staff: TestClient, factory: sessionmaker[Session]
) -> None:
    t1, t2 = local(LONDON, "2026-05-15 10:00"), local(LONDON, "2026-05-16 09:00")  # Fri, Sat
    patient_id = enrol_at(clock, staff, None, t1)
    retreat(clock, staff, patient_id, t2, "sclerotherapy")
    items = whole_plan(staff, patient_id, date(2026, 5, 15), date(2026, 6, 30))

    assert "remove_stocking/t1" not in stored_keys(factory, patient_id)  # superseded
    removals = of_task(items, "remove_stocking")
    assert [r["key"] for r in removals] == ["remove_stocking/t2"]
    removal = due(removals[0])
    assert removal == t2 + timedelta(hours=24)
    under_stocking = [
        i["key"]
        for i in items
        if i["task"] in {"hydrocortisone", "stockings_on"} and t1 <= due(i) < removal
    ]
    assert under_stocking == []
    assert not [i for i in of_task(items, "stockings_on") if due(i) <= removal]
    cream = of_task(items, "hydrocortisone")
    check_doses(cream, removal=removal, wake=time(7, 30), bed=time(22), zone=LONDON)


def test_two_sessions_on_one_day_take_the_stocking_off_once(
    clock: FixedClock, staff: TestClient, factory: sessionmaker[Session]
) -> None:
    t1, t2 = local(LONDON, "2026-05-15 10:00"), local(LONDON, "2026-05-15 15:00")
    patient_id = enrol_at(clock, staff, None, t1)
    retreat(clock, staff, patient_id, t2, "sclerotherapy")
    items = whole_plan(staff, patient_id, date(2026, 5, 15), date(2026, 6, 30))

    assert "remove_stocking/t1" not in stored_keys(factory, patient_id)
    removals = of_task(items, "remove_stocking")
    assert [(r["key"], local_due(r)) for r in removals] == [
        ("remove_stocking/t2", local(LONDON, "2026-05-16 15:00"))
    ]
    cream = of_task(items, "hydrocortisone")
    assert [c["key"] for c in cream if due(c) < due(removals[0])] == []
    # the morning after is still under the merged stocking: no support stockings yet
    assert [i["key"] for i in of_task(items, "stockings_on") if due(i) <= due(removals[0])] == []
    check_doses(cream, removal=due(removals[0]), wake=time(7, 30), bed=time(22), zone=LONDON)


# --- 2. late treatments ------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["19:30", "21:00", "23:30"])
def test_late_treatments_get_six_doses_in_waking_hours(
    start: str, clock: FixedClock, staff: TestClient
) -> None:
    treated = local(LONDON, f"2026-05-12 {start}")
    patient_id = enrol_at(clock, staff, None, treated, wake_time="07:30", bed_time="22:00")
    items = whole_plan(staff, patient_id, date(2026, 5, 12), date(2026, 6, 30))
    [removal] = of_task(items, "remove_stocking")
    # 24 h later, or at the next wake time when that is in the night
    assert due(removal) >= treated + timedelta(hours=24)
    check_doses(
        of_task(items, "hydrocortisone"),
        removal=due(removal),
        wake=time(7, 30),
        bed=time(22),
        zone=LONDON,
    )


# --- 3. bed time in the spring gap --------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "treated", "bed", "change_day", "moved_bed"),
    [
        pytest.param(NEW_YORK, "2026-03-06 10:00", "02:30", "2026-03-08", "03:30", id="new-york"),
        pytest.param(LONDON, "2026-03-27 10:00", "01:30", "2026-03-29", "02:30", id="london"),
    ],
)
def test_a_bed_time_in_the_dst_gap_loses_no_dose(
    zone: ZoneInfo,
    treated: str,
    bed: str,
    change_day: str,
    moved_bed: str,
    clock: FixedClock,
    staff: TestClient,
) -> None:
    start = local(zone, treated)
    patient_id = enrol_at(
        clock, staff, None, start, time_zone=zone.key, wake_time="08:00", bed_time=bed
    )
    items = whole_plan(staff, patient_id, start.date(), start.date() + timedelta(days=30))
    [removal] = of_task(items, "remove_stocking")
    doses = of_task(items, "hydrocortisone")
    check_doses(
        doses,
        removal=due(removal),
        wake=time(8),
        bed=time.fromisoformat(bed),
        zone=zone,
    )
    # the bed-time dose of the change night is there, moved forward by the gap
    that_night = [d for d in doses if d["key"].split("/")[2] == change_day]
    assert "evening" in {d["key"].split("/")[3] for d in that_night}, that_night
    evening = next(d for d in that_night if d["key"].endswith("/evening"))
    assert local_due(evening).astimezone(zone).strftime("%H:%M") == moved_bed
    # the planner's wall time is real: the UTC offset changed under it
    assert local_due(evening).utcoffset() != start.utcoffset()


# --- 4. a new course on day 60 ------------------------------------------------------------------


def test_day_60_treatment_starts_a_tentative_second_course(
    clock: FixedClock, staff: TestClient, factory: sessionmaker[Session]
) -> None:
    t1, t2 = local(LONDON, "2026-05-12 10:00"), local(LONDON, "2026-07-11 10:00")
    patient_id = enrol_at(clock, staff, None, t1)
    before = {
        a["key"]: a["due_at"] for a in staff.get(f"/api/patients/{patient_id}/appointments").json()
    }
    assert sorted(before) == ["follow_up/1", "follow_up/2"]
    retreat(clock, staff, patient_id, t2, "sclerotherapy")

    visits = {a["key"]: a for a in staff.get(f"/api/patients/{patient_id}/appointments").json()}
    assert sorted(visits) == ["follow_up/1", "follow_up/2", "follow_up/c2/1", "follow_up/c2/2"]
    assert {k: visits[k]["due_at"] for k in before} == before  # course 1 keeps keys and times
    items = whole_plan(staff, patient_id, date(2026, 5, 12), date(2026, 9, 30))
    second = [i for i in of_task(items, "follow_up") if "/c2/" in i["key"]]
    assert [(i["key"], i["tentative"], i["notifies"]) for i in second] == [
        ("follow_up/c2/1", True, False),
        ("follow_up/c2/2", True, False),
    ]
    assert all(visits[i["key"]]["tentative"] and not visits[i["key"]]["booked"] for i in second)
    with factory() as session:
        reminders = session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.occurrence_id).in_([uuid.UUID(i["id"]) for i in second])
            )
        ).all()
    assert reminders == []
    # support stockings: three weeks after each treatment, nothing in the weeks between
    mornings = [local_due(i).date() for i in of_task(items, "stockings_on")]
    between = [d for d in mornings if date(2026, 6, 3) <= d <= date(2026, 7, 11)]
    assert between == []
    assert date(2026, 6, 2) in mornings and max(mornings) == date(2026, 8, 1)


# --- 5. laser re-treatment ----------------------------------------------------------------------


def test_laser_retreatment_gets_laser_aftercare_only(
    clock: FixedClock, staff: TestClient, factory: sessionmaker[Session]
) -> None:
    t1, t2 = local(LONDON, "2026-05-12 10:00"), local(LONDON, "2026-05-26 10:00")
    patient_id = enrol_at(clock, staff, None, t1)
    first, last = date(2026, 5, 12), date(2026, 7, 31)
    before = whole_plan(staff, patient_id, first, last)
    retreat(clock, staff, patient_id, t2, "laser")
    items = whole_plan(staff, patient_id, first, last)
    keys = {i["key"] for i in items}
    assert keys <= stored_keys(factory, patient_id)

    own = [k for k in keys if k.split("/")[0] in INJECTION_TASKS and k.split("/")[1] == "t2"]
    assert own == []
    assert {"avoid_heat/t2", "sun_protection/t2"} <= keys
    checks = sorted(i["local_due"][:10] for i in of_task(items, "skin_check"))
    assert checks == [(t2.date() + timedelta(days=n)).isoformat() for n in range(7)]
    # the course-long periods are the first treatment's, unchanged
    assert "avoid_aspirin/t2" not in keys

    def periods(plan: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str]]]:
        stockings = [i["key"] for i in of_task(plan, "stockings_on")]
        aspirin = [(i["key"], i["window_end"]) for i in of_task(plan, "avoid_aspirin")]
        return stockings, aspirin

    assert periods(items) == periods(before)
    assert max(local_due(i).date() for i in of_task(items, "stockings_on")) == date(2026, 6, 2)
    assert "stockings_on/2026-05-27" in keys  # no stocking of its own to pause for


# --- 6. travel London -> New York ---------------------------------------------------------------


def test_travel_to_new_york_moves_wake_tasks_not_visits(
    clock: FixedClock, staff: TestClient, phone: TestClient
) -> None:
    treated = local(LONDON, "2026-05-12 10:00")
    patient_id = enrol_at(clock, staff, phone, treated)
    booked_at = local(LONDON, "2026-07-08 14:00")
    response = staff.put(
        f"/api/patients/{patient_id}/appointments/follow_up/2",
        json={"booked_at": booked_at.isoformat()},
    )
    assert response.status_code == 200, response.text

    # day 3, 08:00 in London: this morning's stockings are on, ticked off
    at(clock, staff, local(LONDON, "2026-05-15 08:00"))
    today = phone.get("/api/me/tasks", params={"date": "2026-05-15"}).json()
    [stockings] = [t for t in today if t["key"] == "stockings_on/2026-05-15"]
    done = phone.post(f"/api/me/tasks/{stockings['id']}/complete")
    assert done.status_code == 200, done.text
    done_before = done.json()
    visits_before = {a["key"]: a["due_at"] for a in phone.get("/api/me").json()["appointments"]}

    moved = phone.patch("/api/me/preferences", json={"time_zone": "America/New_York"})
    assert moved.status_code == 200, moved.text
    now = clock.now()
    items = whole_plan(staff, patient_id, date(2026, 5, 12), date(2026, 7, 31))

    [still_done] = [i for i in items if i["id"] == stockings["id"]]
    assert (still_done["due_at"], still_done["status"]) == (done_before["due_at"], "done")
    assert still_done["completed_at"] == done_before["completed_at"]
    wake_tasks = [
        i
        for i in items
        if due(i) > now and (i["task"] == "stockings_on" or i["key"].endswith("/morning"))
    ]
    assert wake_tasks, "no wake-time task ahead"
    for item in wake_tasks:
        there = local_due(item)
        assert there.utcoffset() == timedelta(hours=-4), item  # shown in New York time
        assert there.strftime("%H:%M") == "07:30", item["key"]
        assert item["key"].split("/")[-1] in {"morning", there.date().isoformat()}, item["key"]

    # the cream course is still six doses, none in the night there, none closer than 6 h
    doses = of_task(items, "hydrocortisone")
    assert len(doses) == 6, [d["key"] for d in doses]
    times = sorted(due(d) for d in doses)
    assert min(b - a for a, b in itertools.pairwise(times)) >= timedelta(hours=6)
    for dose in (d for d in doses if due(d) > now):
        assert not in_night(due(dose), time(7, 30), time(22), NEW_YORK), dose["key"]
        assert dose["key"].split("/")[2] == local_due(dose).date().isoformat(), dose["key"]

    visits = {a["key"]: a for a in staff.get(f"/api/patients/{patient_id}/appointments").json()}
    assert visits["follow_up/2"]["booked"] and not visits["follow_up/2"]["tentative"]
    assert due(visits["follow_up/2"]) == booked_at
    assert visits["follow_up/1"]["tentative"]
    assert due(visits["follow_up/1"]) == local(LONDON, "2026-05-26 10:00")
    me_visits = {a["key"]: a["due_at"] for a in phone.get("/api/me").json()["appointments"]}
    assert me_visits == visits_before

    ics = phone.get("/api/me/calendar.ics")
    assert ics.status_code == 200, ics.text
    assert ics.text.count("BEGIN:VEVENT") == 1
    assert f"DTSTART:{booked_at.astimezone(UTC):%Y%m%dT%H%M%SZ}" in ics.text
    tentative_at = local(LONDON, "2026-05-26 10:00").astimezone(UTC)
    assert f"{tentative_at:%Y%m%dT%H%M%SZ}" not in ics.text


# --- 7. every triage case, online ---------------------------------------------------------------

# Friday 3 April 2026 13:00 BST: open. Tuesday 7 April 2026 20:27 BST: closed until Wednesday.
OPEN_AT = datetime(2026, 4, 3, 12, 0, tzinfo=UTC)
CLOSED_AT = datetime(2026, 4, 7, 19, 27, tzinfo=UTC)
CALL = {"emergency": "999", "clinic": CLINIC_PHONE, "out_of_hours": OUT_OF_HOURS, None: None}


def set_numbers(factory: sessionmaker[Session], **numbers: str) -> None:
    """Set the clinic's phones directly (the API refuses blank ones; enrolment needs both)."""
    with factory() as session:
        clinic = session.exec(select(Clinic)).one()
        clinic.phone = numbers.get("clinic_phone", CLINIC_PHONE)
        clinic.out_of_hours_phone = numbers.get("out_of_hours_phone", OUT_OF_HOURS)
        session.add(clinic)
        session.commit()


def report(phone: TestClient, **fields: Any) -> Any:
    body = {"client_id": str(uuid.uuid4()), "signs": [], "note": ""} | fields
    return phone.post("/api/me/reports", json=body)


def run_case(
    case: dict[str, Any],
    clock: FixedClock,
    staff: TestClient,
    phone: TestClient,
    factory: sessionmaker[Session],
) -> tuple[str, dict[str, Any], datetime]:
    """Enrol a fresh patient, send the case's history as real reports, then the case itself."""
    now = OPEN_AT if case["clinic_open"] else CLOSED_AT
    if clock.now() != now:  # sign in once per moment: argon2 makes each sign-in slow
        at(clock, staff, now)
    # treated 9 days ago, so the earliest earlier report (200 h) is already in the plan
    patient_id = enrol_at(clock, staff, phone, now - timedelta(days=9), sign_in=False)
    for earlier in sorted(case["history"], key=lambda h: -h["hours_ago"]):
        clock.set(now - timedelta(hours=earlier["hours_ago"]))
        pain = earlier["pain"]
        sent = report(phone, pain=pain, note="" if pain is not None else "ok")
        assert sent.status_code == 201, sent.text
    clock.set(now)
    set_numbers(factory, **case.get("numbers", {}))
    try:
        response = report(phone, pain=case["pain"], signs=case["signs"], note=case["note"])
    finally:
        set_numbers(factory)
    return patient_id, response, now


def test_every_triage_case_through_the_api(
    clock: FixedClock, staff: TestClient, phone: TestClient, factory: sessionmaker[Session]
) -> None:
    failures: list[str] = []
    for case in CASES:
        try:
            check_case(case, clock, staff, phone, factory)
        except Exception as exc:  # every failing case is named, not just the first
            failures.append(f"{case['id']}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def check_case(
    case: dict[str, Any],
    clock: FixedClock,
    staff: TestClient,
    phone: TestClient,
    factory: sessionmaker[Session],
) -> None:
    patient_id, response, now = run_case(case, clock, staff, phone, factory)
    assert response.status_code == 201, response.text
    body, expect = response.json(), case["expect"]
    given = case.get("numbers", {})
    numbers = Numbers(
        "999",
        given.get("clinic_phone", CLINIC_PHONE),
        given.get("out_of_hours_phone", OUT_OF_HOURS),
        "the on-call nurse",
        "" if case["clinic_open"] else "8:00 on Wednesday",
    )
    pure = triage(
        default_rules(),
        pain=case["pain"],
        signs=case["signs"],
        note=case["note"],
        history=[PastPain(h["hours_ago"], h["pain"]) for h in case["history"]],
        clinic_open=case["clinic_open"],
        numbers=numbers,
    )
    call = {"clinic": numbers.clinic, "out_of_hours": numbers.out_of_hours_phone}
    expected_number = call.get(expect["call"], CALL[expect["call"]])
    assert (body["level"], body["call_number"]) == (expect["level"], expected_number)
    assert pure.advice_key == expect["advice"]
    assert (body["title"], body["advice"], body["call_label"]) == (
        pure.title,
        pure.advice,
        pure.call_label,
    )
    with factory() as session:
        stored = session.exec(
            select(SymptomReport).where(
                SymptomReport.patient_id == uuid.UUID(patient_id), SymptomReport.created_at == now
            )
        ).one()
    missing = [r for r in expect["reasons_include"] if r not in stored.reasons]
    assert not missing, f"reasons {stored.reasons} lack {missing}"

    listed = staff.get("/api/alerts", params={"limit": 500})
    assert listed.status_code == 200, listed.text
    mine = [
        a
        for a in listed.json()
        if a["patient_id"] == patient_id and datetime.fromisoformat(a["created_at"]) == now
    ]
    if expect["level"] == "routine":
        assert mine == []
    else:
        assert [(a["level"], a["status"], a["note_needs_reading"]) for a in mine] == [
            (expect["level"], "open", bool(expect["note_signs"]))
        ]
        assert mine[0]["report"]["id"] == body["id"]


def test_every_triage_error_case_is_refused_through_the_api(
    clock: FixedClock, staff: TestClient, phone: TestClient, factory: sessionmaker[Session]
) -> None:
    for case in ERROR_CASES:
        patient_id, response, _ = run_case(case, clock, staff, phone, factory)
        assert response.status_code == 422, f"{case['id']}: {response.text}"
        assert response.json()["code"] == case["expect"]["error"], case["id"]
        with factory() as session:
            stored = session.exec(
                select(SymptomReport).where(SymptomReport.patient_id == uuid.UUID(patient_id))
            ).all()
        assert stored == [], case["id"]
    with factory() as session:
        assert len(session.exec(select(Patient)).all()) == len(ERROR_CASES)
