"""Edge cases of compute_plan: overlapping stockings, dose gaps, night and DST doses, courses,
treatment methods and tentative visits, for protocol versions 1 and 2."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.careplan import PlannedOccurrence, Preferences, TreatmentSession, compute_plan
from app.protocols.loader import Protocol, load_protocol, load_protocol_file

FMT = "%Y-%m-%d %H:%M"
LONDON = "Europe/London"
V1_TEXT = (Path(__file__).parents[2] / "app/protocols/microsclerotherapy/v1.toml").read_text(
    "utf-8"
)


def protocol(version: int) -> Protocol:
    return load_protocol("microsclerotherapy", version)


def sessions(zone: str, *locals_: str, methods: tuple[str, ...] = ()) -> list[TreatmentSession]:
    tz = ZoneInfo(zone)
    chosen = methods or ("sclerotherapy",) * len(locals_)
    return [
        TreatmentSession(datetime.strptime(s, FMT).replace(tzinfo=tz), method)
        for s, method in zip(locals_, chosen, strict=True)
    ]


def plan(
    version: int | Protocol,
    zone: str,
    *locals_: str,
    methods: tuple[str, ...] = (),
    wake: time = time(7, 30),
    bed: time = time(22, 0),
    bookings: dict[str, datetime] | None = None,
    patient_zone: str | None = None,
    visit_time_zone: str | None = None,
) -> list[PlannedOccurrence]:
    """The plan for treatments at local times in `zone` (the patient's zone unless given)."""
    chosen = protocol(version) if isinstance(version, int) else version
    prefs = Preferences(patient_zone or zone, wake, bed, stockings_advised=True)
    treated = sessions(zone, *locals_, methods=methods)
    return compute_plan(chosen, treated, prefs, bookings, visit_time_zone=visit_time_zone)


def local(at: datetime, zone: str = LONDON) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime(FMT)


def dues(items: list[PlannedOccurrence], task: str, zone: str = LONDON) -> list[str]:
    return [local(o.due_at, zone) for o in items if o.task == task]


def keyed(items: list[PlannedOccurrence], task: str, zone: str = LONDON) -> dict[str, str]:
    return {o.key: local(o.due_at, zone) for o in items if o.task == task}


def at(zone: str, text: str) -> datetime:
    return datetime.strptime(text, FMT).replace(tzinfo=ZoneInfo(zone))


def inside(items: list[PlannedOccurrence], task: str, start: str, end: str) -> list[str]:
    """Keys of `task` due in [start, end) (London times)."""
    a, b = at(LONDON, start), at(LONDON, end)
    return [o.key for o in items if o.task == task and a <= o.due_at < b]


# --- 1. re-treatment within 24 hours, two sessions on one day ------------------------------


@pytest.mark.parametrize("version", [1, 2])
def test_retreatment_on_day_1_keeps_the_stocking_on_until_the_new_one_comes_off(
    version: int,
) -> None:
    items = plan(version, LONDON, "2026-05-12 10:00", "2026-05-13 09:00")
    # t1's removal (05-13 10:00) would come an hour after t2's stocking went on: left out.
    assert keyed(items, "remove_stocking") == {"remove_stocking/t2": "2026-05-14 09:00"}
    # no cream and no support stockings while either clinic stocking is on
    assert inside(items, "hydrocortisone", "2026-05-12 10:00", "2026-05-14 09:00") == []
    assert inside(items, "stockings_on", "2026-05-12 10:00", "2026-05-14 09:01") == []
    assert dues(items, "hydrocortisone")[0] == "2026-05-14 09:00"
    assert dues(items, "stockings_on")[0] == "2026-05-15 07:30"


@pytest.mark.parametrize("version", [1, 2])
def test_two_sessions_on_one_day_take_the_stocking_off_after_the_later(version: int) -> None:
    items = plan(version, LONDON, "2026-05-12 10:00", "2026-05-12 15:00")
    assert keyed(items, "remove_stocking") == {"remove_stocking/t2": "2026-05-13 15:00"}
    assert inside(items, "hydrocortisone", "2026-05-12 10:00", "2026-05-13 15:00") == []
    assert dues(items, "hydrocortisone")[0] == "2026-05-13 15:00"
    # the morning of 05-13 is inside the merged stretch: no support stockings yet
    assert "stockings_on/2026-05-13" not in keyed(items, "stockings_on")
    assert "stockings_on/2026-05-14" in keyed(items, "stockings_on")


@pytest.mark.parametrize("version", [1, 2])
def test_cream_due_under_a_later_stocking_waits_for_it_to_come_off(version: int) -> None:
    # t2 two days later: t1's cream is not yet over when t2's stocking goes on (10:00 05-14).
    items = plan(version, LONDON, "2026-05-12 10:00", "2026-05-14 10:00")
    assert keyed(items, "remove_stocking") == {
        "remove_stocking/t1": "2026-05-13 10:00",
        "remove_stocking/t2": "2026-05-15 10:00",
    }
    assert inside(items, "hydrocortisone", "2026-05-14 10:00", "2026-05-15 10:00") == []
    assert "2026-05-15 10:00" in dues(items, "hydrocortisone")
    # support stockings pause too: t2's stocking is on at 07:30 on 05-15
    assert inside(items, "stockings_on", "2026-05-14 10:00", "2026-05-15 10:01") == []
    assert "stockings_on/2026-05-14" in keyed(items, "stockings_on")


def test_a_dose_that_waited_for_a_later_stocking_is_keyed_as_such() -> None:
    items = plan(2, LONDON, "2026-05-12 10:00", "2026-05-14 10:00")
    got = keyed(items, "hydrocortisone")
    # t1's 05-14 22:00 dose waited for t2's stocking to come off at 05-15 10:00, which is also
    # t2's first dose: one dose, under t1's key, named for what it is.
    assert got["hydrocortisone/t1/2026-05-15/removal"] == "2026-05-15 10:00"
    assert "hydrocortisone/t1/2026-05-14/evening" not in got
    assert "hydrocortisone/t2/2026-05-15/first" not in got


# --- 2. no two cream doses close together ----------------------------------------------


def test_v2_late_treatment_gives_no_doses_closer_than_six_hours() -> None:
    items = plan(2, LONDON, "2026-05-12 21:00")
    got = keyed(items, "hydrocortisone")
    assert got == {
        "hydrocortisone/t1/2026-05-13/first": "2026-05-13 21:00",  # 22:00 is 1 h later: merged
        "hydrocortisone/t1/2026-05-14/morning": "2026-05-14 07:30",
        "hydrocortisone/t1/2026-05-14/evening": "2026-05-14 22:00",
        "hydrocortisone/t1/2026-05-15/morning": "2026-05-15 07:30",
        "hydrocortisone/t1/2026-05-15/evening": "2026-05-15 22:00",
        "hydrocortisone/t1/2026-05-16/morning": "2026-05-16 07:30",
    }
    times = sorted(o.due_at for o in items if o.task == "hydrocortisone")
    assert min(b - a for a, b in itertools.pairwise(times)) >= timedelta(hours=6)


def test_min_gap_on_doses_keeps_the_earlier_dose_and_its_key(tmp_path: Path) -> None:
    path = tmp_path / "gap.toml"
    text = V1_TEXT.replace("window_hours = 3\n", "window_hours = 3\nmin_gap_hours = 6\n", 1)
    path.write_text(text, encoding="utf-8")
    gapped = load_protocol_file(path)
    # version 1 as shipped: cream at the removal (21:00) and again at bed time (22:00)
    plain = keyed(plan(1, LONDON, "2026-05-12 21:00"), "hydrocortisone")
    assert plain["hydrocortisone/t1/d1/evening"] == "2026-05-13 22:00"
    got = keyed(plan(gapped, LONDON, "2026-05-12 21:00"), "hydrocortisone")
    assert got["hydrocortisone/t1/d1/morning"] == "2026-05-13 21:00"
    assert "hydrocortisone/t1/d1/evening" not in got
    assert len(got) == len(plain) - 1


# --- 3. night treatment: three days of cream from when the stocking comes off ----------


@pytest.mark.parametrize("start", ["10:00", "19:30", "21:00", "23:30"])
def test_v2_always_gives_six_doses(start: str) -> None:
    items = plan(2, LONDON, f"2026-05-12 {start}")
    assert Counter(o.task for o in items)["hydrocortisone"] == 6
    first = next(o for o in items if o.task == "hydrocortisone")
    removal = next(o for o in items if o.task == "remove_stocking")
    assert first.due_at == removal.due_at and first.key.endswith("/first")


def test_v2_ten_oclock_treatment_keeps_version_ones_six_instants() -> None:
    assert dues(plan(2, LONDON, "2026-05-12 10:00"), "hydrocortisone") == dues(
        plan(1, LONDON, "2026-05-12 10:00"), "hydrocortisone"
    )


def test_v2_night_treatment_keys_name_the_real_date_and_anchor() -> None:
    items = plan(2, LONDON, "2026-05-12 23:30")
    assert keyed(items, "hydrocortisone") == {
        "hydrocortisone/t1/2026-05-14/first": "2026-05-14 07:30",  # removal pushed to wake
        "hydrocortisone/t1/2026-05-14/evening": "2026-05-14 22:00",
        "hydrocortisone/t1/2026-05-15/morning": "2026-05-15 07:30",
        "hydrocortisone/t1/2026-05-15/evening": "2026-05-15 22:00",
        "hydrocortisone/t1/2026-05-16/morning": "2026-05-16 07:30",
        "hydrocortisone/t1/2026-05-16/evening": "2026-05-16 22:00",
    }


@pytest.mark.parametrize(
    ("start", "wake", "bed"),
    [
        ("2026-05-12 23:30", time(7, 30), time(22, 0)),
        ("2026-05-12 10:00", time(8, 0), time(0, 30)),  # bed after midnight
        ("2026-05-12 18:00", time(6, 0), time(21, 0)),
    ],
    ids=["night-treatment", "bed-after-midnight", "early-rhythm"],
)
def test_v2_keys_say_what_the_dose_is(start: str, wake: time, bed: time) -> None:
    items = plan(2, LONDON, start, wake=wake, bed=bed)
    removal = next(o.due_at for o in items if o.task == "remove_stocking")
    for o in (o for o in items if o.task == "hydrocortisone"):
        _, _, day, name = o.key.split("/")
        assert day == o.local_due.date().isoformat(), o.key
        expected = {"first": removal, "morning": None, "evening": None}[name]
        if expected is not None:
            assert o.due_at == expected
        else:
            assert o.local_due.time() == (wake if name == "morning" else bed), o.key


# --- 4. daylight saving at bed time --------------------------------------------------------


DST_BEDS = [
    # spring: bed time in the skipped hour, on the night of day 1
    pytest.param(
        "America/New_York", "2026-03-06 10:00", time(2, 30), "2026-03-08 03:30", id="ny-spring"
    ),
    pytest.param(
        "Europe/London", "2026-03-27 10:00", time(1, 30), "2026-03-29 02:30", id="london-spring"
    ),
    # autumn: bed time in the repeated hour (its first occurrence)
    pytest.param(
        "America/New_York", "2026-10-30 10:00", time(1, 30), "2026-11-01 01:30", id="ny-autumn"
    ),
    pytest.param(
        "Europe/London", "2026-10-23 10:00", time(1, 30), "2026-10-25 01:30", id="london-autumn"
    ),
]


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(("zone", "start", "bed", "bed_dose"), DST_BEDS)
def test_no_dose_is_lost_to_a_clock_change(
    version: int, zone: str, start: str, bed: time, bed_dose: str
) -> None:
    items = plan(version, zone, start, bed=bed)
    assert len(dues(items, "hydrocortisone", zone)) == 6
    # the bed-time dose of that night is at the bed time (moved forward by a gap), not lost
    assert bed_dose in dues(items, "hydrocortisone", zone)


# --- 5. a new course after the final review ---------------------------------------------


@pytest.mark.parametrize("version", [1, 2])
def test_treatment_after_the_final_review_starts_a_new_course(version: int) -> None:
    items = plan(version, LONDON, "2026-05-12 10:00", "2026-07-11 10:00")  # day 60
    assert keyed(items, "follow_up") == {
        "follow_up/1": "2026-05-26 10:00",  # course 1 keeps its stored keys
        "follow_up/2": "2026-07-07 10:00",
        "follow_up/c2/1": "2026-07-25 10:00",
        "follow_up/c2/2": "2026-09-05 10:00",
    }


@pytest.mark.parametrize("version", [1, 2])
def test_a_new_course_does_not_fill_the_weeks_between_courses_with_stockings(
    version: int,
) -> None:
    items = plan(version, LONDON, "2026-05-12 10:00", "2026-07-11 10:00")  # day 60
    mornings = [day[:10] for day in dues(items, "stockings_on")]
    # three weeks after each treatment, from the morning after its stocking comes off
    assert mornings[0] == "2026-05-14" and "2026-06-02" in mornings  # day 21 of the first
    assert [d for d in mornings if "2026-06-03" <= d <= "2026-07-12"] == []
    assert mornings[mornings.index("2026-07-13") :][-1] == "2026-08-01"  # day 21 of the second


def test_treatment_on_the_final_review_date_starts_a_new_course() -> None:
    # the final review is 2026-07-07 10:00; a session earlier that day is already a new course
    items = plan(2, LONDON, "2026-05-12 10:00", "2026-07-07 09:00")
    assert "follow_up/c2/1" in keyed(items, "follow_up")
    before = plan(2, LONDON, "2026-05-12 10:00", "2026-07-06 23:00")
    assert sorted(keyed(before, "follow_up")) == ["follow_up/1", "follow_up/2"]


def test_within_a_course_visits_stay_fixed_to_its_first_treatment() -> None:
    items = plan(2, LONDON, "2026-05-12 10:00", "2026-05-26 10:00", "2026-06-20 15:00")
    assert keyed(items, "follow_up") == {
        "follow_up/1": "2026-05-26 10:00",
        "follow_up/2": "2026-07-07 10:00",
    }


def test_the_course_end_is_protocol_data(tmp_path: Path) -> None:
    path = tmp_path / "short.toml"
    text = V1_TEXT.replace(
        "remind_hours_before = 24\n", "remind_hours_before = 24\nnew_course_after_visit = 1\n"
    )
    path.write_text(text, encoding="utf-8")
    items = plan(load_protocol_file(path), LONDON, "2026-05-12 10:00", "2026-06-01 10:00")
    assert keyed(items, "follow_up")["follow_up/c2/1"] == "2026-06-15 10:00"


def test_three_courses_number_on() -> None:
    items = plan(2, LONDON, "2026-01-05 10:00", "2026-03-05 10:00", "2026-05-05 10:00")
    keys = sorted(keyed(items, "follow_up"))
    assert keys == [
        "follow_up/1",
        "follow_up/2",
        "follow_up/c2/1",
        "follow_up/c2/2",
        "follow_up/c3/1",
        "follow_up/c3/2",
    ]


# --- 6. the treatment method chooses the protocol ---------------------------------------


LASER_DAY_14 = ("2026-05-12 10:00", "2026-05-26 10:00")


def test_laser_retreatment_gets_laser_aftercare_not_injection_aftercare() -> None:
    items = plan(2, LONDON, *LASER_DAY_14, methods=("sclerotherapy", "laser"))
    keys = {o.key for o in items}
    injection = ("keep_dry", "elevate_legs", "remove_stocking", "walk_gently", "hydrocortisone")
    assert [k for k in keys if k.split("/")[0] in injection and "/t2" in k] == []
    assert "avoid_aspirin/t2" not in keys
    assert {"avoid_heat/t2", "sun_protection/t2"} <= keys
    laser = {o.key: (local(o.due_at), local(o.window_end)) for o in items}
    assert laser["avoid_heat/t2"] == ("2026-05-26 10:00", "2026-05-28 10:00")
    assert laser["sun_protection/t2"] == ("2026-05-26 10:00", "2026-06-24 00:00")
    checks = [k for k in keys if k.startswith("skin_check/")]
    days = [f"2026-05-{d}" for d in range(26, 32)] + ["2026-06-01"]  # days 0-6
    assert sorted(checks) == [f"skin_check/{day}" for day in days]


def test_laser_session_does_not_extend_the_course_long_periods() -> None:
    items = plan(2, LONDON, *LASER_DAY_14, methods=("sclerotherapy", "laser"))
    # stockings to day 21 of t1 (not of the laser session), and not paused for it
    assert dues(items, "stockings_on")[-1] == "2026-06-02 07:30"
    assert "2026-05-27 07:30" in dues(items, "stockings_on")
    ends = {o.key: local(o.window_end) for o in items if o.task == "avoid_aspirin"}
    assert ends == {"avoid_aspirin/t1": "2026-06-24 00:00"}


def test_laser_session_counts_for_visits_and_courses() -> None:
    items = plan(
        2, LONDON, "2026-05-12 10:00", "2026-07-11 10:00", methods=("sclerotherapy", "laser")
    )
    assert "follow_up/c2/1" in keyed(items, "follow_up")


def test_session_tags_number_every_session_whatever_its_method() -> None:
    items = plan(
        2,
        LONDON,
        "2026-05-12 10:00",
        "2026-05-20 10:00",
        "2026-05-26 10:00",
        methods=("sclerotherapy", "laser", "sclerotherapy"),
    )
    keys = {o.key for o in items}
    assert {"avoid_heat/t2", "remove_stocking/t3", "keep_dry/t3"} <= keys
    assert "remove_stocking/t2" not in keys


def test_version_one_gives_every_method_the_injection_aftercare() -> None:
    items = plan(1, LONDON, *LASER_DAY_14, methods=("sclerotherapy", "laser"))
    keys = {o.key for o in items}
    assert "remove_stocking/t2" in keys and "avoid_heat/t2" not in keys


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="no treatment method 'foam'"):
        plan(2, LONDON, "2026-05-12 10:00", methods=("foam",))


def test_a_laser_only_patient_gets_laser_aftercare_and_visits() -> None:
    items = plan(2, LONDON, "2026-05-12 10:00", methods=("laser",))
    assert set(Counter(o.task for o in items)) == {
        "avoid_heat",
        "sun_protection",
        "skin_check",
        "follow_up",
    }


# --- 7. visits are provisional until booked ---------------------------------------------


def test_unbooked_visits_are_tentative_and_do_not_notify() -> None:
    booked = {"follow_up/2": at(LONDON, "2026-07-08 14:00")}
    got = {o.key: o for o in plan(2, LONDON, "2026-05-12 10:00", bookings=booked)}
    tentative, confirmed = got["follow_up/1"], got["follow_up/2"]
    assert tentative.tentative and not tentative.notifies and tentative.remind_at is None
    assert not confirmed.tentative and confirmed.notifies
    assert confirmed.remind_at == confirmed.due_at - timedelta(hours=24)
    assert [o.key for o in got.values() if o.tentative] == ["follow_up/1"]


def test_tentative_visit_is_not_pushed_out_of_the_night() -> None:
    got = keyed(plan(2, LONDON, "2026-05-12 23:30"), "follow_up")
    assert got["follow_up/1"] == "2026-05-26 23:30"


def test_a_trip_moves_neither_a_booked_nor_a_tentative_visit() -> None:
    booked = {"follow_up/2": at(LONDON, "2026-07-08 14:00")}

    def visits(patient_zone: str) -> dict[str, datetime]:
        items = plan(
            2,
            LONDON,
            "2026-05-12 10:00",
            bookings=booked,
            patient_zone=patient_zone,
            visit_time_zone=LONDON,
        )
        return {o.key: o.due_at for o in items if o.task == "follow_up"}

    home, away = visits(LONDON), visits("America/New_York")
    assert home == away
    assert local(home["follow_up/1"]) == "2026-05-26 10:00"
    assert home["follow_up/2"] == booked["follow_up/2"].astimezone(UTC)


def test_without_a_clinic_zone_the_patients_zone_places_the_visit() -> None:
    # today's behaviour, kept as the default: the treatment's time of day on the patient's clock
    items = plan(2, LONDON, "2026-05-12 10:00", patient_zone="America/New_York")
    got = keyed(items, "follow_up", "America/New_York")
    assert got["follow_up/1"] == "2026-05-26 05:00"


def test_tentative_visit_keeps_the_clinic_wall_time_across_dst() -> None:
    # treated 10:00 GMT on 2026-03-20; day 14 is after the change: 10:00 BST (09:00 UTC)
    items = plan(2, LONDON, "2026-03-20 10:00", patient_zone="Asia/Tokyo", visit_time_zone=LONDON)
    (visit,) = [o for o in items if o.key == "follow_up/1"]
    assert local(visit.due_at) == "2026-04-03 10:00"
    assert visit.due_at.hour == 9
