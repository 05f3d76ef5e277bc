"""Table-driven tests of compute_plan: exact local times and keys for hand-checked scenarios."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.careplan import (
    OccurrenceKind,
    PlannedOccurrence,
    Preferences,
    TreatmentSession,
    compute_plan,
    treatment_number_of,
)
from app.protocols.loader import load_protocol, load_protocol_file

FMT = "%Y-%m-%d %H:%M"
# These hand-checked scenarios pin version 1 (patients enrolled on it keep these plans);
# version 2 is pinned in test_careplan_edges.py.
V1 = load_protocol(version=1)


def treat(zone: str, *locals_: str) -> list[TreatmentSession]:
    tz = ZoneInfo(zone)
    return [TreatmentSession(datetime.strptime(s, FMT).replace(tzinfo=tz)) for s in locals_]


def plan_for(
    zone: str,
    *locals_: str,
    wake: time = time(7, 30),
    bed: time = time(22, 0),
    stockings: bool = False,
    bookings: dict[str, datetime] | None = None,
) -> list[PlannedOccurrence]:
    prefs = Preferences(time_zone=zone, wake_time=wake, bed_time=bed, stockings_advised=stockings)
    return compute_plan(V1, treat(zone, *locals_), prefs, bookings)


def show(at: datetime | None, zone: str) -> str | None:
    return None if at is None else at.astimezone(ZoneInfo(zone)).strftime(FMT)


@dataclass(frozen=True)
class Scenario:
    id: str
    zone: str
    treatments: tuple[str, ...]
    # key -> (local due, local window_end); times in the patient's zone
    expect: dict[str, tuple[str, str]]
    counts: dict[str, int]  # task code -> number of occurrences
    absent: tuple[str, ...] = ()
    wake: time = time(7, 30)
    bed: time = time(22, 0)
    stockings: bool = True
    # key -> local remind_at
    reminds: dict[str, str | None] = field(default_factory=dict)


SCENARIOS = [
    Scenario(
        id="plain-london-10am",
        zone="Europe/London",
        treatments=("2026-05-12 10:00",),
        expect={
            "keep_dry/t1": ("2026-05-12 10:00", "2026-05-13 10:00"),
            "elevate_legs/t1/1": ("2026-05-12 12:00", "2026-05-12 14:00"),
            "elevate_legs/t1/6": ("2026-05-12 22:00", "2026-05-13 00:00"),  # at bed: not night
            "elevate_legs/t1/11": ("2026-05-13 08:00", "2026-05-13 10:00"),
            "remove_stocking/t1": ("2026-05-13 10:00", "2026-05-13 14:00"),
            "walk_gently/t1": ("2026-05-12 10:00", "2026-05-16 00:00"),
            # day-1 morning dose waits for the stocking to come off
            "hydrocortisone/t1/d1/morning": ("2026-05-13 10:00", "2026-05-13 13:00"),
            "hydrocortisone/t1/d1/evening": ("2026-05-13 22:00", "2026-05-14 01:00"),
            "hydrocortisone/t1/d2/morning": ("2026-05-14 07:30", "2026-05-14 10:30"),
            "hydrocortisone/t1/d2/evening": ("2026-05-14 22:00", "2026-05-15 01:00"),
            "hydrocortisone/t1/d3/morning": ("2026-05-15 07:30", "2026-05-15 10:30"),
            "hydrocortisone/t1/d3/evening": ("2026-05-15 22:00", "2026-05-16 01:00"),
            "stockings_on/2026-05-14": ("2026-05-14 07:30", "2026-05-14 09:30"),
            "stockings_on/2026-06-02": ("2026-06-02 07:30", "2026-06-02 09:30"),
            "avoid_aspirin/t1": ("2026-05-12 10:00", "2026-06-24 00:00"),
            "symptom_check/2026-05-12": ("2026-05-12 20:00", "2026-05-13 00:00"),
            "symptom_check/2026-05-25": ("2026-05-25 20:00", "2026-05-26 00:00"),
            "follow_up/1": ("2026-05-26 10:00", "2026-05-26 11:00"),
            "follow_up/2": ("2026-07-07 10:00", "2026-07-07 11:00"),
        },
        counts={
            "keep_dry": 1,
            "elevate_legs": 7,
            "remove_stocking": 1,
            "walk_gently": 1,
            "hydrocortisone": 6,
            "stockings_on": 20,
            "avoid_aspirin": 1,
            "symptom_check": 14,
            "follow_up": 2,
        },
        absent=(
            "elevate_legs/t1/7",  # midnight .. 06:00 are in the night: dropped
            "elevate_legs/t1/10",
            "stockings_on/2026-05-13",  # that morning the clinic's stocking is still on
            "stockings_on/2026-06-03",
            "symptom_check/2026-05-26",
        ),
        reminds={
            # not booked: tentative, no reminder (a booked visit's is pinned below)
            "follow_up/1": None,
            "hydrocortisone/t1/d2/morning": "2026-05-14 07:30",
            "keep_dry/t1": None,
            "avoid_aspirin/t1": None,
        },
    ),
    Scenario(
        id="plain-london-no-stockings",
        zone="Europe/London",
        treatments=("2026-05-12 10:00",),
        stockings=False,
        expect={"remove_stocking/t1": ("2026-05-13 10:00", "2026-05-13 14:00")},
        counts={"stockings_on": 0, "hydrocortisone": 6, "symptom_check": 14, "elevate_legs": 7},
        absent=("stockings_on/2026-05-14",),
    ),
    Scenario(
        id="dst-spring-london-week-of-change",
        zone="Europe/London",  # clocks go forward 2026-03-29 01:00 GMT -> 02:00 BST
        treatments=("2026-03-27 10:00",),
        expect={
            "elevate_legs/t1/11": ("2026-03-28 08:00", "2026-03-28 10:00"),
            "remove_stocking/t1": ("2026-03-28 10:00", "2026-03-28 14:00"),
            # windows are real hours: 22:00 GMT + 3h is 02:00 BST
            "hydrocortisone/t1/d1/evening": ("2026-03-28 22:00", "2026-03-29 02:00"),
            "hydrocortisone/t1/d2/morning": ("2026-03-29 07:30", "2026-03-29 10:30"),
            "hydrocortisone/t1/d3/morning": ("2026-03-30 07:30", "2026-03-30 10:30"),
            "stockings_on/2026-03-29": ("2026-03-29 07:30", "2026-03-29 09:30"),
            "stockings_on/2026-04-17": ("2026-04-17 07:30", "2026-04-17 09:30"),
            "symptom_check/2026-03-28": ("2026-03-28 20:00", "2026-03-29 00:00"),
            "symptom_check/2026-03-29": ("2026-03-29 20:00", "2026-03-30 00:00"),
            "walk_gently/t1": ("2026-03-27 10:00", "2026-03-31 00:00"),
            "avoid_aspirin/t1": ("2026-03-27 10:00", "2026-05-09 00:00"),
            "follow_up/1": ("2026-04-10 10:00", "2026-04-10 11:00"),
        },
        counts={"elevate_legs": 7, "hydrocortisone": 6, "stockings_on": 20, "symptom_check": 14},
    ),
    Scenario(
        id="dst-spring-london-first-day-spans-change",
        zone="Europe/London",
        treatments=("2026-03-28 20:00",),
        expect={
            "keep_dry/t1": ("2026-03-28 20:00", "2026-03-29 21:00"),  # 24 real hours
            "elevate_legs/t1/1": ("2026-03-28 22:00", "2026-03-29 00:00"),
            # 12 real hours after 20:00 GMT is 09:00 BST
            "elevate_legs/t1/6": ("2026-03-29 09:00", "2026-03-29 11:00"),
            "elevate_legs/t1/11": ("2026-03-29 19:00", "2026-03-29 21:00"),
            "remove_stocking/t1": ("2026-03-29 21:00", "2026-03-30 01:00"),
            "hydrocortisone/t1/d1/morning": ("2026-03-29 21:00", "2026-03-30 00:00"),
            "hydrocortisone/t1/d1/evening": ("2026-03-29 22:00", "2026-03-30 01:00"),
        },
        counts={"elevate_legs": 7, "hydrocortisone": 6},
        absent=("elevate_legs/t1/5",),  # 07:00 BST, still night
    ),
    Scenario(
        id="dst-autumn-london",
        zone="Europe/London",  # clocks go back 2026-10-25 02:00 BST -> 01:00 GMT
        treatments=("2026-10-23 10:00",),
        expect={
            "remove_stocking/t1": ("2026-10-24 10:00", "2026-10-24 14:00"),
            "hydrocortisone/t1/d1/morning": ("2026-10-24 10:00", "2026-10-24 13:00"),
            "hydrocortisone/t1/d1/evening": ("2026-10-24 22:00", "2026-10-25 01:00"),
            "hydrocortisone/t1/d2/morning": ("2026-10-25 07:30", "2026-10-25 10:30"),
            "stockings_on/2026-10-25": ("2026-10-25 07:30", "2026-10-25 09:30"),
            "stockings_on/2026-11-13": ("2026-11-13 07:30", "2026-11-13 09:30"),
            "symptom_check/2026-10-24": ("2026-10-24 20:00", "2026-10-25 00:00"),
            "symptom_check/2026-10-25": ("2026-10-25 20:00", "2026-10-26 00:00"),
            "follow_up/1": ("2026-11-06 10:00", "2026-11-06 11:00"),
        },
        counts={"elevate_legs": 7, "hydrocortisone": 6, "stockings_on": 20},
        reminds={"follow_up/1": None},  # tentative
    ),
    Scenario(
        id="dst-autumn-london-first-day-spans-change",
        zone="Europe/London",
        treatments=("2026-10-24 20:00",),
        expect={
            "elevate_legs/t1/1": ("2026-10-24 22:00", "2026-10-25 00:00"),
            # 14 real hours after 20:00 BST is 09:00 GMT (k=6 is 07:00 GMT: night)
            "elevate_legs/t1/7": ("2026-10-25 09:00", "2026-10-25 11:00"),
            "elevate_legs/t1/11": ("2026-10-25 17:00", "2026-10-25 19:00"),
            "remove_stocking/t1": ("2026-10-25 19:00", "2026-10-25 23:00"),
            "keep_dry/t1": ("2026-10-24 20:00", "2026-10-25 19:00"),
            "hydrocortisone/t1/d1/morning": ("2026-10-25 19:00", "2026-10-25 22:00"),
        },
        counts={"elevate_legs": 6, "hydrocortisone": 6},
        absent=("elevate_legs/t1/6",),
    ),
    Scenario(
        id="far-east-auckland-dst-ends",
        zone="Pacific/Auckland",  # NZDT -> NZST on 2026-04-05 03:00
        treatments=("2026-04-03 10:00",),  # = 2026-04-02 21:00 UTC: day 0 is the LOCAL date
        stockings=False,
        expect={
            "keep_dry/t1": ("2026-04-03 10:00", "2026-04-04 10:00"),
            "symptom_check/2026-04-03": ("2026-04-03 20:00", "2026-04-04 00:00"),
            "hydrocortisone/t1/d1/morning": ("2026-04-04 10:00", "2026-04-04 13:00"),
            "hydrocortisone/t1/d2/morning": ("2026-04-05 07:30", "2026-04-05 10:30"),
            "walk_gently/t1": ("2026-04-03 10:00", "2026-04-07 00:00"),
            "avoid_aspirin/t1": ("2026-04-03 10:00", "2026-05-16 00:00"),
            "follow_up/1": ("2026-04-17 10:00", "2026-04-17 11:00"),
        },
        counts={"symptom_check": 14, "hydrocortisone": 6, "elevate_legs": 7},
        absent=("symptom_check/2026-04-02",),
    ),
    Scenario(
        id="far-east-kiritimati-utc+14",
        zone="Pacific/Kiritimati",
        treatments=("2026-06-01 09:00",),  # = 2026-05-31 19:00 UTC
        expect={
            "keep_dry/t1": ("2026-06-01 09:00", "2026-06-02 09:00"),
            "symptom_check/2026-06-01": ("2026-06-01 20:00", "2026-06-02 00:00"),
            "symptom_check/2026-06-14": ("2026-06-14 20:00", "2026-06-15 00:00"),
            "walk_gently/t1": ("2026-06-01 09:00", "2026-06-05 00:00"),
            "stockings_on/2026-06-03": ("2026-06-03 07:30", "2026-06-03 09:30"),
            "stockings_on/2026-06-22": ("2026-06-22 07:30", "2026-06-22 09:30"),
            "follow_up/1": ("2026-06-15 09:00", "2026-06-15 10:00"),
        },
        counts={"symptom_check": 14, "stockings_on": 20},
        absent=("symptom_check/2026-05-31",),
    ),
    Scenario(
        id="far-west-los-angeles-evening",
        zone="America/Los_Angeles",
        treatments=("2026-06-01 18:00",),  # = 2026-06-02 01:00 UTC
        expect={
            "elevate_legs/t1/1": ("2026-06-01 20:00", "2026-06-01 22:00"),
            "elevate_legs/t1/2": ("2026-06-01 22:00", "2026-06-02 00:00"),
            "elevate_legs/t1/7": ("2026-06-02 08:00", "2026-06-02 10:00"),
            "remove_stocking/t1": ("2026-06-02 18:00", "2026-06-02 22:00"),
            "hydrocortisone/t1/d1/morning": ("2026-06-02 18:00", "2026-06-02 21:00"),
            "symptom_check/2026-06-01": ("2026-06-01 20:00", "2026-06-02 00:00"),
            "avoid_aspirin/t1": ("2026-06-01 18:00", "2026-07-14 00:00"),
            "follow_up/1": ("2026-06-15 18:00", "2026-06-15 19:00"),
        },
        counts={"elevate_legs": 7, "symptom_check": 14, "hydrocortisone": 6},
    ),
    Scenario(
        id="late-evening-21h",
        zone="Europe/London",
        treatments=("2026-05-12 21:00",),
        expect={
            "keep_dry/t1": ("2026-05-12 21:00", "2026-05-13 21:00"),
            "elevate_legs/t1/6": ("2026-05-13 09:00", "2026-05-13 11:00"),
            "elevate_legs/t1/11": ("2026-05-13 19:00", "2026-05-13 21:00"),
            "remove_stocking/t1": ("2026-05-13 21:00", "2026-05-14 01:00"),
            "hydrocortisone/t1/d1/morning": ("2026-05-13 21:00", "2026-05-14 00:00"),
            "hydrocortisone/t1/d1/evening": ("2026-05-13 22:00", "2026-05-14 01:00"),
            "symptom_check/2026-05-13": ("2026-05-13 20:00", "2026-05-14 00:00"),
            "stockings_on/2026-05-14": ("2026-05-14 07:30", "2026-05-14 09:30"),
            "follow_up/1": ("2026-05-26 21:00", "2026-05-26 22:00"),
        },
        counts={"elevate_legs": 6, "hydrocortisone": 6, "symptom_check": 13, "stockings_on": 20},
        # 23:00 .. 07:00 are night; day 0's 20:00 check is before the treatment
        absent=("elevate_legs/t1/1", "elevate_legs/t1/5", "symptom_check/2026-05-12"),
        reminds={"follow_up/1": None},  # tentative
    ),
    Scenario(
        id="night-treatment-2330",
        zone="Europe/London",
        treatments=("2026-05-12 23:30",),
        expect={
            "keep_dry/t1": ("2026-05-13 07:30", "2026-05-13 23:30"),
            "elevate_legs/t1/4": ("2026-05-13 07:30", "2026-05-13 09:30"),  # exactly at wake
            "elevate_legs/t1/11": ("2026-05-13 21:30", "2026-05-13 23:30"),
            # 24h later is 23:30, in the night: moved to the next wake time
            "remove_stocking/t1": ("2026-05-14 07:30", "2026-05-14 11:30"),
            "walk_gently/t1": ("2026-05-13 07:30", "2026-05-16 00:00"),
            "avoid_aspirin/t1": ("2026-05-13 07:30", "2026-06-24 00:00"),
            # d1 morning, d1 evening and d2 morning all land on the removal: one dose
            "hydrocortisone/t1/d1/evening": ("2026-05-14 07:30", "2026-05-14 10:30"),
            "hydrocortisone/t1/d2/evening": ("2026-05-14 22:00", "2026-05-15 01:00"),
            "stockings_on/2026-05-15": ("2026-05-15 07:30", "2026-05-15 09:30"),
            "symptom_check/2026-05-13": ("2026-05-13 20:00", "2026-05-14 00:00"),
            # tentative visits keep the treatment's time of day (staff book the real time):
            # not pushed out of the night any more
            "follow_up/1": ("2026-05-26 23:30", "2026-05-27 00:30"),
            "follow_up/2": ("2026-07-07 23:30", "2026-07-08 00:30"),
        },
        counts={"elevate_legs": 8, "hydrocortisone": 4, "symptom_check": 13, "stockings_on": 19},
        absent=(
            "elevate_legs/t1/3",
            "hydrocortisone/t1/d1/morning",
            "hydrocortisone/t1/d2/morning",
            "stockings_on/2026-05-14",
            "symptom_check/2026-05-12",
        ),
        reminds={"follow_up/1": None},
    ),
    Scenario(
        id="bed-after-midnight",
        zone="Europe/London",
        treatments=("2026-05-12 10:00",),
        wake=time(8, 0),
        bed=time(0, 30),
        expect={
            "elevate_legs/t1/7": ("2026-05-13 00:00", "2026-05-13 02:00"),  # before bed
            "elevate_legs/t1/11": ("2026-05-13 08:00", "2026-05-13 10:00"),  # at wake
            "remove_stocking/t1": ("2026-05-13 10:00", "2026-05-13 14:00"),
            "hydrocortisone/t1/d1/morning": ("2026-05-13 10:00", "2026-05-13 13:00"),
            # the evening dose of day 1 is at the bed time ending day 1: 00:30 on the 14th
            "hydrocortisone/t1/d1/evening": ("2026-05-14 00:30", "2026-05-14 03:30"),
            "hydrocortisone/t1/d2/morning": ("2026-05-14 08:00", "2026-05-14 11:00"),
            "hydrocortisone/t1/d3/evening": ("2026-05-16 00:30", "2026-05-16 03:30"),
            "symptom_check/2026-05-12": ("2026-05-12 22:30", "2026-05-13 02:30"),
            "stockings_on/2026-05-14": ("2026-05-14 08:00", "2026-05-14 10:00"),
            "stockings_on/2026-06-02": ("2026-06-02 08:00", "2026-06-02 10:00"),
        },
        counts={"elevate_legs": 8, "hydrocortisone": 6, "symptom_check": 14, "stockings_on": 20},
        absent=("elevate_legs/t1/8",),
    ),
    Scenario(
        id="retreatment-day-14",
        zone="Europe/London",
        treatments=("2026-05-12 10:00", "2026-05-26 10:00"),
        expect={
            "keep_dry/t2": ("2026-05-26 10:00", "2026-05-27 10:00"),
            "remove_stocking/t2": ("2026-05-27 10:00", "2026-05-27 14:00"),
            "hydrocortisone/t2/d1/morning": ("2026-05-27 10:00", "2026-05-27 13:00"),
            "walk_gently/t2": ("2026-05-26 10:00", "2026-05-30 00:00"),
            "stockings_on/2026-05-26": ("2026-05-26 07:30", "2026-05-26 09:30"),
            "stockings_on/2026-05-28": ("2026-05-28 07:30", "2026-05-28 09:30"),
            "stockings_on/2026-06-16": ("2026-06-16 07:30", "2026-06-16 09:30"),
            "avoid_aspirin/t1": ("2026-05-12 10:00", "2026-06-24 00:00"),
            "avoid_aspirin/t2": ("2026-05-26 10:00", "2026-07-08 00:00"),
            "symptom_check/2026-06-08": ("2026-06-08 20:00", "2026-06-09 00:00"),
            "follow_up/1": ("2026-05-26 10:00", "2026-05-26 11:00"),  # still from t1
        },
        counts={
            "keep_dry": 2,
            "elevate_legs": 14,
            "remove_stocking": 2,
            "walk_gently": 2,
            "hydrocortisone": 12,
            "stockings_on": 33,  # 05-14 .. 06-16 is 34 mornings, less 05-27
            "avoid_aspirin": 2,
            "symptom_check": 28,
            "follow_up": 2,
        },
        absent=("stockings_on/2026-05-27", "stockings_on/2026-06-17", "follow_up/3"),
    ),
    Scenario(
        id="retreatment-day-5",
        zone="Europe/London",
        treatments=("2026-05-12 10:00", "2026-05-17 10:00"),
        expect={
            "walk_gently/t1": ("2026-05-12 10:00", "2026-05-16 00:00"),
            "walk_gently/t2": ("2026-05-17 10:00", "2026-05-21 00:00"),
            "hydrocortisone/t2/d1/morning": ("2026-05-18 10:00", "2026-05-18 13:00"),
            "stockings_on/2026-05-17": ("2026-05-17 07:30", "2026-05-17 09:30"),
            "stockings_on/2026-05-19": ("2026-05-19 07:30", "2026-05-19 09:30"),
            "stockings_on/2026-06-07": ("2026-06-07 07:30", "2026-06-07 09:30"),
            "avoid_aspirin/t2": ("2026-05-17 10:00", "2026-06-29 00:00"),
            "symptom_check/2026-05-30": ("2026-05-30 20:00", "2026-05-31 00:00"),
            "follow_up/1": ("2026-05-26 10:00", "2026-05-26 11:00"),
        },
        counts={
            "elevate_legs": 14,
            "hydrocortisone": 12,
            "stockings_on": 24,  # 05-14 .. 06-07 is 25 mornings, less 05-18
            "symptom_check": 19,  # 05-12 .. 05-30, overlapping days counted once
            "follow_up": 2,
        },
        absent=("stockings_on/2026-05-18", "symptom_check/2026-05-31"),
    ),
]


@pytest.mark.parametrize("case", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(case: Scenario) -> None:
    plan = plan_for(
        case.zone, *case.treatments, wake=case.wake, bed=case.bed, stockings=case.stockings
    )
    got = {o.key: o for o in plan}
    for key, (due, end) in case.expect.items():
        assert key in got, f"missing {key}"
        assert (show(got[key].due_at, case.zone), show(got[key].window_end, case.zone)) == (
            due,
            end,
        ), key
    counts = Counter(o.task for o in plan)
    assert {task: counts[task] for task in case.counts} == case.counts
    assert [key for key in case.absent if key in got] == []
    for key, remind in case.reminds.items():
        assert show(got[key].remind_at, case.zone) == remind, key


def test_plain_plan_lists_every_date_of_the_daily_tasks() -> None:
    plan = plan_for("Europe/London", "2026-05-12 10:00", stockings=True)
    checks = [o.key for o in plan if o.task == "symptom_check"]
    assert checks == [f"symptom_check/2026-05-{d:02d}" for d in range(12, 26)]
    stockings = [o.local_due.strftime(FMT) for o in plan if o.task == "stockings_on"]
    assert stockings[0] == "2026-05-14 07:30"
    assert stockings[-1] == "2026-06-02 07:30"
    assert len(stockings) == len(set(stockings)) == 20
    assert len(plan) == 53


def test_plain_plan_kinds_and_reminders() -> None:
    plan = plan_for("Europe/London", "2026-05-12 10:00", stockings=True)
    kinds = {o.task: o.kind for o in plan}
    assert kinds == {
        "keep_dry": OccurrenceKind.INFO,
        "elevate_legs": OccurrenceKind.TASK,
        "remove_stocking": OccurrenceKind.TASK,
        "walk_gently": OccurrenceKind.INFO,
        "hydrocortisone": OccurrenceKind.TASK,
        "stockings_on": OccurrenceKind.TASK,
        "avoid_aspirin": OccurrenceKind.RESTRICTION,
        "symptom_check": OccurrenceKind.TASK,
        "follow_up": OccurrenceKind.APPOINTMENT,
    }
    for o in plan:
        # a visit not booked yet is tentative: it does not notify
        assert o.notifies == (o.kind is OccurrenceKind.TASK)
        assert o.tentative == (o.kind is OccurrenceKind.APPOINTMENT)
        if o.kind is OccurrenceKind.TASK:
            assert o.remind_at == o.due_at
        else:
            assert o.remind_at is None
        assert o.due_at.tzinfo is UTC and o.window_end.tzinfo is UTC
        assert o.local_due.astimezone(UTC) == o.due_at and o.local_due.tzinfo == ZoneInfo(
            "Europe/London"
        )


def test_output_is_sorted_by_due_then_protocol_order_then_key() -> None:
    plan = plan_for("Europe/London", "2026-05-12 23:30", "2026-05-14 09:00", stockings=True)
    assert plan == sorted(plan, key=lambda o: (o.due_at, o.rank, o.key))


def test_at_one_instant_the_stocking_comes_off_before_the_cream_goes_on() -> None:
    plan = plan_for("Europe/London", "2026-05-12 10:00")
    at_removal = [o.task for o in plan if show(o.due_at, "Europe/London") == "2026-05-13 10:00"]
    assert at_removal == ["remove_stocking", "hydrocortisone"]


def test_follow_up_titles_come_from_the_visits() -> None:
    got = {o.key: o for o in plan_for("Europe/London", "2026-05-12 10:00")}
    assert got["follow_up/1"].title == "Check-up and possible top-up treatment"
    assert got["follow_up/2"].title == "Final review"
    assert got["elevate_legs/t1/1"].title == "Raise your legs"
    assert got["elevate_legs/t1/1"].instructions == (
        "Rest with your legs up on a cushion, above the level of your hips, for 15 minutes."
    )


@pytest.mark.parametrize(
    ("start", "zone"),
    [
        ("2026-03-28 20:00", "Europe/London"),
        ("2026-10-24 20:00", "Europe/London"),
        ("2026-04-04 18:00", "Pacific/Auckland"),
    ],
    ids=["spring-forward", "fall-back", "auckland-fall-back"],
)
def test_elevate_legs_are_whole_real_intervals_across_dst(start: str, zone: str) -> None:
    (session,) = treat(zone, start)
    plan = plan_for(zone, start)
    for o in (o for o in plan if o.task == "elevate_legs"):
        k = int(o.key.rsplit("/", 1)[1])
        assert o.due_at - session.performed_at == timedelta(hours=2 * k)


def test_wake_time_tasks_stay_at_local_wake_time_across_spring_dst() -> None:
    plan = plan_for("Europe/London", "2026-03-27 10:00", stockings=True)
    mornings = [
        o
        for o in plan
        if o.task == "stockings_on" or (o.key.endswith("morning") and "/d1/" not in o.key)
    ]
    assert {o.local_due.strftime("%H:%M") for o in mornings} == {"07:30"}
    # ... which is 06:30 UTC once summer time has started
    assert {o.due_at.strftime("%H:%M") for o in mornings} == {"06:30"}
    evenings = {o.key: o.due_at.strftime("%H:%M") for o in plan if o.key.endswith("evening")}
    assert evenings == {
        "hydrocortisone/t1/d1/evening": "22:00",  # 22:00 GMT
        "hydrocortisone/t1/d2/evening": "21:00",  # 22:00 BST
        "hydrocortisone/t1/d3/evening": "21:00",
    }


def test_retreatment_keeps_every_first_treatment_occurrence() -> None:
    before = {o.key: o for o in plan_for("Europe/London", "2026-05-12 10:00", stockings=True)}
    after = {
        o.key: o
        for o in plan_for("Europe/London", "2026-05-12 10:00", "2026-05-26 10:00", stockings=True)
    }
    # Only the morning inside the new treatment's first 24 hours goes away.
    assert sorted(set(before) - set(after)) == ["stockings_on/2026-05-27"]
    for key, occurrence in before.items():
        if key in after:
            assert after[key] == occurrence, key


def test_retreatment_same_instant_keeps_the_earlier_treatments_key() -> None:
    # t2 is 2 hours after t1: its elevate reminders coincide with t1's and collapse into them.
    plan = plan_for("Europe/London", "2026-05-12 10:00", "2026-05-12 12:00")
    keys = {o.key for o in plan if o.task == "elevate_legs"}
    assert "elevate_legs/t1/2" in keys and "elevate_legs/t2/1" not in keys
    assert "elevate_legs/t2/11" in keys  # 10:00 next day: past t1's 24 hours
    assert len({o.due_at for o in plan if o.task == "elevate_legs"}) == len(keys)


def test_ten_treatments_prefer_t2_over_t10_at_the_same_instant() -> None:
    # t2..t10 on one day share their day-2 and day-3 dose times. Keys compare numbers as
    # numbers, so "t2" wins over "t10" (as text "t10" < "t2") and adding t10 keeps t2's keys.
    starts = ["2026-05-01 10:00"] + [f"2026-05-12 {h:02d}:00" for h in range(9, 18)]
    nine = plan_for("Europe/London", *starts[:9])
    ten = {o.key for o in plan_for("Europe/London", *starts)}
    assert "hydrocortisone/t2/d2/morning" in ten
    assert "hydrocortisone/t10/d2/morning" not in ten
    # ... except t9's stocking removal: t10 starts before it, so its stocking stays on
    assert [o.key for o in nine if o.key not in ten] == ["remove_stocking/t9"]


def test_input_order_of_treatments_does_not_matter() -> None:
    a = plan_for("Europe/London", "2026-05-12 10:00", "2026-05-17 10:00", stockings=True)
    b = plan_for("Europe/London", "2026-05-17 10:00", "2026-05-12 10:00", stockings=True)
    assert a == b


def test_bookings_replace_the_computed_time() -> None:
    london = ZoneInfo("Europe/London")
    bookings = {
        "follow_up/1": datetime(2026, 5, 28, 13, 0, tzinfo=UTC),  # 14:00 BST
        "follow_up/2": datetime(2026, 7, 7, 6, 0, tzinfo=london),  # in the night, as booked
        "no_such/1": datetime(2026, 7, 7, 12, 0, tzinfo=london),  # ignored
    }
    plan = plan_for("Europe/London", "2026-05-12 10:00", bookings=bookings)
    got = {o.key: o for o in plan}
    first, second = got["follow_up/1"], got["follow_up/2"]
    assert show(first.due_at, "Europe/London") == "2026-05-28 14:00"
    assert show(first.window_end, "Europe/London") == "2026-05-28 15:00"
    assert show(first.remind_at, "Europe/London") == "2026-05-27 14:00"
    assert first.due_at.tzinfo is UTC
    assert show(second.due_at, "Europe/London") == "2026-07-07 06:00"
    # 24h before is 06:00, in the night: remind at the bed time before it instead
    assert show(second.remind_at, "Europe/London") == "2026-07-05 22:00"
    assert "no_such/1" not in got
    assert plan == sorted(plan, key=lambda o: (o.due_at, o.rank, o.key))


def test_appointment_reminder_in_the_night_moves_back_to_bed_time() -> None:
    # A 07:45 treatment with an 08:00 wake time: the visit is not booked, so it is tentative
    # at the treatment's time of day (not pushed to 08:00) and not reminded.
    plan = plan_for("Europe/London", "2026-05-12 07:45", wake=time(8, 0))
    got = {o.key: o for o in plan}
    assert show(got["follow_up/1"].due_at, "Europe/London") == "2026-05-26 07:45"
    assert got["follow_up/1"].tentative and got["follow_up/1"].remind_at is None
    # Booked at 07:45 (night, kept as booked): 07:45 the day before is night too, so the
    # reminder goes back to the bed time before it.
    booked = plan_for(
        "Europe/London",
        "2026-05-12 10:00",
        bookings={"follow_up/1": datetime(2026, 5, 26, 7, 45, tzinfo=ZoneInfo("Europe/London"))},
        wake=time(8, 0),
    )
    got = {o.key: o for o in booked}
    assert show(got["follow_up/1"].remind_at, "Europe/London") == "2026-05-24 22:00"


def test_empty_treatments_give_an_empty_plan() -> None:
    assert compute_plan(load_protocol(), [], Preferences(time_zone="Europe/London")) == []


@pytest.mark.parametrize(
    ("treatments", "prefs", "bookings", "message"),
    [
        (
            [TreatmentSession(datetime(2026, 5, 12, 10, 0))],  # noqa: DTZ001
            Preferences(time_zone="Europe/London"),
            None,
            "timezone-aware",
        ),
        (
            treat("Europe/London", "2026-05-12 10:00"),
            Preferences(time_zone="Europe/London"),
            {"follow_up/1": datetime(2026, 5, 26, 10, 0)},  # noqa: DTZ001
            "timezone-aware",
        ),
        (
            treat("Europe/London", "2026-05-12 10:00"),
            Preferences(time_zone="Mars/Olympus_Mons"),
            None,
            "unknown time zone 'Mars/Olympus_Mons'",
        ),
        (
            treat("Europe/London", "2026-05-12 10:00"),
            Preferences(time_zone="../etc/passwd"),
            None,
            "unknown time zone",
        ),
        (
            treat("Europe/London", "2026-05-12 10:00"),
            Preferences(time_zone="Europe/London", wake_time=time(7), bed_time=time(7)),
            None,
            "must differ",
        ),
    ],
    ids=["naive-treatment", "naive-booking", "unknown-zone", "malformed-zone", "wake-equals-bed"],
)
def test_invalid_input_raises_value_error(
    treatments: list[TreatmentSession],
    prefs: Preferences,
    bookings: dict[str, datetime] | None,
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        compute_plan(load_protocol(), treatments, prefs, bookings)


LASER_TOML = """
name = "laser"
version = 3

[[tasks]]
code = "no_sun"
kind = "restriction"
schedule = "span"
hours = 48
title = "Keep out of the sun"
instructions = "Keep the treated skin covered."

[[tasks]]
code = "cool_pack"
kind = "task"
schedule = "repeat"
every_hours = 3
for_hours = 12
title = "Cool the skin"
instructions = "Hold a cool pack on the skin for 5 minutes."

[[tasks]]
code = "check_skin"
kind = "task"
schedule = "once"
after_hours = 48
window_hours = 6
title = "Look at the skin"
instructions = "Look at the treated skin."

[[tasks]]
code = "gel"
kind = "task"
schedule = "doses"
from_day = 0
through_day = 1
not_before = "check_skin"
window_hours = 2
doses = [{ name = "lunch", at = "13:00" }, { name = "late", at = "wake", offset_hours = 1.5 }]
title = "Put on the gel"
instructions = "Put a little gel on the skin."

[[tasks]]
code = "diary"
kind = "task"
schedule = "daily"
from_day = 1
through_day = 2
at = "bed"
offset_hours = -0.5
window_hours = 1
title = "Write in your diary"
instructions = "Note how the skin looks."

[[tasks]]
code = "review"
kind = "appointment"
schedule = "appointments"
window_hours = 0.5
remind_hours_before = 2
title = "Review"
instructions = "Come to the clinic."

[[tasks.visits]]
number = 1
day = 7
"""


def test_a_new_treatment_type_is_just_a_new_protocol_file(tmp_path: Path) -> None:
    path = tmp_path / "laser.toml"
    path.write_text(LASER_TOML, encoding="utf-8")
    protocol = load_protocol_file(path)
    prefs = Preferences(time_zone="Europe/Berlin")
    plan = compute_plan(protocol, treat("Europe/Berlin", "2026-06-01 09:00"), prefs)
    got = {
        o.key: (show(o.due_at, "Europe/Berlin"), show(o.window_end, "Europe/Berlin")) for o in plan
    }
    assert got == {
        "no_sun/t1": ("2026-06-01 09:00", "2026-06-03 09:00"),
        "cool_pack/t1/1": ("2026-06-01 12:00", "2026-06-01 15:00"),
        "cool_pack/t1/2": ("2026-06-01 15:00", "2026-06-01 18:00"),
        "cool_pack/t1/3": ("2026-06-01 18:00", "2026-06-01 21:00"),
        "check_skin/t1": ("2026-06-03 09:00", "2026-06-03 15:00"),
        # all four doses come before the 48-hour check, so they wait for it: one dose
        "gel/t1/d0/late": ("2026-06-03 09:00", "2026-06-03 11:00"),
        "diary/2026-06-02": ("2026-06-02 21:30", "2026-06-02 22:30"),
        "diary/2026-06-03": ("2026-06-03 21:30", "2026-06-03 22:30"),
        "review/1": ("2026-06-08 09:00", "2026-06-08 09:30"),
    }
    review = next(o for o in plan if o.key == "review/1")
    assert review.title == "Review"
    assert review.tentative and review.remind_at is None  # not booked yet
    booked = {"review/1": datetime(2026, 6, 8, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))}
    (review,) = [
        o
        for o in compute_plan(protocol, treat("Europe/Berlin", "2026-06-01 09:00"), prefs, booked)
        if o.key == "review/1"
    ]
    # 2 hours before is 07:00, still night (wake 07:30): the reminder goes to bed time before
    assert not review.tentative
    assert show(review.remind_at, "Europe/Berlin") == "2026-06-07 22:00"
    no_sun = next(o for o in plan if o.task == "no_sun")
    assert no_sun.kind is OccurrenceKind.RESTRICTION and not no_sun.notifies


def test_a_treatments_own_number_names_its_keys_whatever_came_before() -> None:
    """A stored treatment keeps its number: with t1 voided (left out), t2 is still "t2"."""
    zone = ZoneInfo("Europe/London")
    prefs = Preferences(time_zone="Europe/London", stockings_advised=True)
    second = TreatmentSession(datetime(2026, 3, 28, 10, 0, tzinfo=zone), number=2)
    alone = compute_plan(V1, [second], prefs)
    numbered = {treatment_number_of(o.key) for o in alone} - {None}
    assert numbered == {2}
    as_first = compute_plan(V1, [TreatmentSession(second.performed_at)], prefs)
    assert [o.key.replace("/t1", "/t2") for o in as_first] == [o.key for o in alone]
    assert [o.due_at for o in as_first] == [o.due_at for o in alone]


def test_treatment_numbers_must_be_distinct() -> None:
    at = datetime(2026, 3, 28, 10, 0, tzinfo=UTC)
    prefs = Preferences(time_zone="Europe/London")
    twice = [TreatmentSession(at, number=1), TreatmentSession(at + timedelta(hours=2), number=1)]
    with pytest.raises(ValueError, match="distinct"):
        compute_plan(V1, twice, prefs)


@pytest.mark.parametrize(
    ("key", "number"),
    [
        ("hydrocortisone/t2/d1/morning", 2),
        ("remove_stocking/t12", 12),
        ("stockings_on/2026-04-02", None),
        ("follow_up/1", None),
        ("follow_up/c2/1", None),
        ("t1/x", None),
    ],
)
def test_the_treatment_a_key_belongs_to(key: str, number: int | None) -> None:
    assert treatment_number_of(key) == number
