"""Property-based tests of compute_plan: invariants checked with the test's own local-time math."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.careplan import (
    OccurrenceKind,
    PlannedOccurrence,
    Preferences,
    TreatmentSession,
    compute_plan,
)
from app.protocols.loader import load_protocol

ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",  # -03:30, DST
    "America/Santiago",  # DST changes at local midnight
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Australia/Adelaide",  # +09:30, DST
    "Australia/Lord_Howe",  # half-hour DST
    "Pacific/Auckland",
    "Pacific/Chatham",  # +12:45, DST
    "Pacific/Kiritimati",  # +14
]
# The invariants below are version 1's rules; version 2's own are in test_careplan_edges.py.
V1 = load_protocol(version=1)
H = timedelta(hours=1)
DAY = timedelta(days=1)
PER_TREATMENT_EARLY = ("keep_dry", "elevate_legs", "remove_stocking", "walk_gently")

wakes = st.integers(5 * 4, 10 * 4).map(lambda q: time(q // 4, q % 4 * 15))
beds = st.integers(20 * 4, 25 * 4).map(lambda q: time(q // 4 % 24, q % 4 * 15))
# Days (UTC) a few days before 2026's DST changes in the zones above, so that a good share of
# examples have their first days, nights and wake times straddle a change.
DST_WEEKS = [
    date(2026, 3, 5),  # North America, St John's
    date(2026, 3, 26),  # Europe
    date(2026, 4, 1),  # Santiago, Auckland, Chatham, Adelaide, Lord Howe (end)
    date(2026, 9, 3),  # Santiago (start, skips local midnight)
    date(2026, 9, 24),  # Auckland, Chatham (start)
    date(2026, 10, 1),  # Adelaide, Lord Howe (start)
    date(2026, 10, 22),  # Europe (end)
    date(2026, 10, 29),  # North America (end)
]
anywhere = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 (hypothesis bounds must be naive)
    max_value=datetime(2027, 10, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
near_dst = st.builds(
    lambda day, minutes: datetime.combine(day, time(), tzinfo=UTC) + timedelta(minutes=minutes),
    st.sampled_from(DST_WEEKS),
    st.integers(0, 5 * 24 * 60),
)
first_instants = st.one_of(anywhere, near_dst).map(lambda d: d.replace(second=0, microsecond=0))
# Minutes between treatments: often overlapping (hours), sometimes weeks apart.
gaps = st.one_of(st.integers(60, 4 * 24 * 60), st.integers(60, 60 * 24 * 60))


@dataclass(frozen=True)
class Case:
    zone: str
    wake: time
    bed: time
    stockings: bool
    treatments: tuple[datetime, ...]  # sorted, UTC

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def prefs(self) -> Preferences:
        return Preferences(self.zone, self.wake, self.bed, self.stockings)

    def sessions(self, n: int | None = None) -> list[TreatmentSession]:
        return [TreatmentSession(t) for t in self.treatments[:n]]

    # --- the test's own local-time arithmetic (deliberately not the planner's helpers) ---

    def clock(self, at: datetime) -> time:
        return at.astimezone(self.tz).time()

    def bed_or_wake(self, at: datetime) -> bool:
        """A bed or wake instant (a wall time in a DST gap moves forward by the gap)."""
        day = self.day0(at)
        walls = [(d, self.wake) for d in (day - DAY, day)] + [
            (d, self.bed) for d in (day - DAY, day)
        ]
        return any(
            datetime.combine(d, t).replace(tzinfo=self.tz).astimezone(UTC) == at for d, t in walls
        )

    def night(self, at: datetime) -> bool:
        if self.bed_or_wake(at):
            return False
        t = self.clock(at)
        if self.bed > self.wake:
            return t > self.bed or t < self.wake
        return self.bed < t < self.wake

    def day0(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def patient_day(self, at: datetime) -> date:
        """The wake-to-wake day an instant belongs to."""
        local = at.astimezone(self.tz)
        return local.date() - DAY if local.time() < self.wake else local.date()

    def midnight(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz).astimezone(UTC)

    def wake_at(self, day: date) -> datetime:
        return datetime.combine(day, self.wake, tzinfo=self.tz).astimezone(UTC)

    def next_wake(self, at: datetime) -> datetime:
        today = self.day0(at)
        return min(w for w in (self.wake_at(today), self.wake_at(today + DAY)) if w > at)

    def raw_removal(self, t: datetime) -> datetime:
        return self.next_wake(t + DAY) if self.night(t + DAY) else t + DAY

    def removals(self, plan: Sequence[PlannedOccurrence]) -> dict[int, datetime]:
        """Each treatment's stocking removal as if alone. A removal is left out when a later
        treatment starts at or before it (its stocking then stays on); two removals at the
        same instant are one occurrence under the earlier key. Check both, and fill them in."""
        found = {ordinal(o): o.due_at for o in plan if o.task == "remove_stocking"}
        ts = self.treatments
        for n, t in enumerate(ts, start=1):
            due = self.raw_removal(t)
            superseded = any(later <= due for later in ts[n:])
            assert (n not in found) if superseded else (found.get(n, due) == due), n
            if n not in found and not superseded:
                assert due in found.values()
            found[n] = due
        return found

    def stocking_on(self, plan: Sequence[PlannedOccurrence]) -> list[tuple[datetime, datetime]]:
        """The stretches some clinic stocking is on: the union of [treatment, its removal]."""
        removal = self.removals(plan)
        merged: list[tuple[datetime, datetime]] = []
        for n, t in enumerate(self.treatments, start=1):
            if merged and t <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], removal[n]))
            else:
                merged.append((t, removal[n]))
        return merged

    def visit_courses(self) -> list[datetime]:
        """The first treatment of each course: a treatment on or after the local date of the
        current course's day-56 visit starts a new one."""
        firsts: list[datetime] = []
        for t in self.treatments:
            if not firsts or self.day0(t) >= self.day0(firsts[-1]) + 56 * DAY:
                firsts.append(t)
        return firsts


@st.composite
def cases(draw: st.DrawFn) -> Case:
    first = draw(first_instants)
    rest = draw(st.lists(gaps, max_size=2))
    instants = [first]
    for minutes in rest:
        instants.append(instants[-1] + timedelta(minutes=minutes))
    return Case(
        zone=draw(st.sampled_from(ZONES)),
        wake=draw(wakes),
        bed=draw(beds),
        stockings=draw(st.booleans()),
        treatments=tuple(instants),
    )


def ordinal(o: PlannedOccurrence) -> int:
    return int(o.key.split("/")[1].removeprefix("t"))


def check_windows(case: Case, plan: Sequence[PlannedOccurrence]) -> None:
    """Every occurrence lies inside its rule's window, computed here independently."""
    ts = case.treatments
    day0s = [case.day0(t) for t in ts]
    removal = case.removals(plan)
    for o in plan:
        due, end = o.due_at, o.window_end
        pushed = case.clock(due) == case.wake  # moved to the next wake time
        if o.task in ("keep_dry", "walk_gently", "avoid_aspirin"):
            t, d0 = ts[ordinal(o) - 1], day0s[ordinal(o) - 1]
            assert t <= due < t + DAY and (due == t or pushed)
            expected_end = {
                "keep_dry": t + DAY,
                "walk_gently": case.midnight(d0 + 4 * DAY),
                "avoid_aspirin": case.midnight(d0 + 43 * DAY),
            }[o.task]
            assert end == expected_end
        elif o.task == "elevate_legs":
            t = ts[ordinal(o) - 1]
            k = int(o.key.rsplit("/", 1)[1])
            assert due - t == 2 * k * H and t < due < t + DAY
            assert end == min(due + 2 * H, t + DAY)
        elif o.task == "remove_stocking":
            t = ts[ordinal(o) - 1]
            assert due == t + DAY or (pushed and t + DAY < due < t + 2 * DAY)
            assert end == due + 4 * H
        elif o.task == "hydrocortisone":
            n = ordinal(o)
            offset = (case.patient_day(due) - day0s[n - 1]).days
            stretches = case.stocking_on(plan)
            ends = [b for _, b in stretches]
            assert due >= removal[n]
            # no cream while a clinic stocking is on: it waits for the stretch's end
            assert not any(a <= due < b for a, b in stretches), o.key
            assert 1 <= offset <= 3 or due in ends or (offset == 4 and pushed), o.key
            assert end == due + 3 * H
        elif o.task == "stockings_on":
            assert case.stockings
            day = date.fromisoformat(o.key.split("/")[1])
            assert case.day0(removal[1]) <= day <= day0s[-1] + 21 * DAY
            assert due == case.wake_at(day) and due > removal[1]
            assert not any(t <= due <= removal[i + 1] for i, t in enumerate(ts))
            assert end == due + 2 * H
        elif o.task == "symptom_check":
            day = date.fromisoformat(o.key.split("/")[1])
            assert any(
                d0 <= day <= d0 + 13 * DAY and due >= t for t, d0 in zip(ts, day0s, strict=True)
            )
            bed_wall = datetime.combine(date(2000, 1, 2), case.bed) - 2 * H
            assert case.clock(due) == bed_wall.time()
            assert end == due + 4 * H
        elif o.task == "follow_up":
            parts = o.key.split("/")
            course = int(parts[1].removeprefix("c")) if len(parts) == 3 else 1
            first = case.visit_courses()[course - 1]
            n = int(parts[-1])
            day = case.day0(first) + (14 if n == 1 else 56) * DAY
            wall = datetime.combine(day, first.astimezone(case.tz).time())
            # tentative: the first treatment's wall time (a gap moves it forward), even at night
            assert o.tentative and due == wall.replace(tzinfo=case.tz).astimezone(UTC), o.key
            assert end == due + H
        else:
            raise AssertionError(f"unexpected task {o.task}")


def check_stockings_complete(case: Case, plan: Sequence[PlannedOccurrence]) -> None:
    """Every morning in the stockings course is there unless a stocking is still on."""
    if not case.stockings:
        return
    removal = case.removals(plan)
    # (the union of these is the stocking-on stretches)
    pauses = [(t, removal[i + 1]) for i, t in enumerate(case.treatments)]
    got = {o.key for o in plan if o.task == "stockings_on"}
    day, last = case.day0(removal[1]), case.day0(case.treatments[-1]) + 21 * DAY
    expected = set()
    while day <= last:
        wake = case.wake_at(day)
        # within 3 weeks of some treatment whose stocking is already off (a union: a new
        # course after a gap does not fill the gap)
        stretch = any(
            removal[i + 1] < wake and day <= case.day0(t) + 21 * DAY
            for i, t in enumerate(case.treatments)
        )
        if wake > removal[1] and stretch and not any(a <= wake <= b for a, b in pauses):
            expected.add(f"stockings_on/{day.isoformat()}")
        day += DAY
    assert got == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_plan_invariants(case: Case) -> None:
    protocol = V1
    plan = compute_plan(protocol, case.sessions(), case.prefs)

    # (a) nothing due, and no reminder, in the night (a tentative visit has no time shown)
    assert [o.key for o in plan if case.night(o.due_at) and not o.tentative] == []
    assert [o.key for o in plan if o.remind_at and case.night(o.remind_at)] == []
    # (b) each occurrence inside its rule's window
    check_windows(case, plan)
    check_stockings_complete(case, plan)
    # (c) deterministic, idempotent, and independent of the order treatments are given in
    assert compute_plan(protocol, case.sessions(), case.prefs) == plan
    shuffled = case.sessions()
    random.Random(0).shuffle(shuffled)
    assert compute_plan(protocol, shuffled, case.prefs) == plan
    # (d) keys unique
    keys = [o.key for o in plan]
    assert len(keys) == len(set(keys))
    # (e) every window has a positive length
    assert [o.key for o in plan if not o.window_end > o.due_at] == []
    # shape: UTC instants, local_due in the patient's zone, sorted, reminders by kind
    assert plan == sorted(plan, key=lambda o: (o.due_at, o.rank, o.key))
    for o in plan:
        assert o.due_at.tzinfo is UTC and o.window_end.tzinfo is UTC
        assert o.local_due.astimezone(UTC) == o.due_at and o.local_due.tzinfo == case.tz
        if o.kind is OccurrenceKind.TASK:
            assert o.notifies and o.remind_at == o.due_at
        elif o.kind is OccurrenceKind.APPOINTMENT:
            assert o.tentative and not o.notifies and o.remind_at is None  # nothing booked
        else:
            assert not o.notifies and o.remind_at is None


@settings(max_examples=200, deadline=None)
@given(cases().filter(lambda c: len(c.treatments) > 1))
def test_a_later_treatment_keeps_the_first_treatments_early_tasks(case: Case) -> None:
    # (f) the first treatment's day 0-3 occurrences keep their keys (and times)
    protocol = V1
    alone = compute_plan(protocol, case.sessions(1), case.prefs)
    together = {o.key: o for o in compute_plan(protocol, case.sessions(), case.prefs)}
    # A second treatment before t1's cream is done overrides t1's stocking removal and cream
    # (a new stocking is on); later ones leave them alone.
    overlap = case.treatments[1] < case.midnight(case.day0(case.treatments[0]) + 5 * DAY)
    stocking = ("remove_stocking", "hydrocortisone")
    early = [
        o
        for o in alone
        if o.key.split("/")[1:2] == ["t1"]
        and (o.task in PER_TREATMENT_EARLY or o.task in (*stocking, "avoid_aspirin"))
        and not (overlap and o.task in stocking)
    ]
    assert early
    assert [o.key for o in early if together.get(o.key) != o] == []
    follow_ups = [o for o in alone if o.task == "follow_up"]
    assert [o for o in follow_ups if together.get(o.key) != o] == []


@settings(max_examples=100, deadline=None)
@given(
    cases(),
    st.datetimes(
        min_value=datetime(2025, 1, 1),  # noqa: DTZ001
        max_value=datetime(2028, 12, 31),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, ZoneInfo("Europe/London")]),
    ),
)
def test_bookings_are_kept_and_never_reminded_at_night(case: Case, booked: datetime) -> None:
    plan = compute_plan(V1, case.sessions(), case.prefs, {"follow_up/1": booked})
    (visit,) = [o for o in plan if o.key == "follow_up/1"]
    assert not visit.tentative and visit.notifies
    # (compare in UTC: PEP 495 makes a gap time unequal to any other zone's datetime)
    assert visit.due_at == booked.astimezone(UTC) and visit.due_at.tzinfo is UTC
    assert visit.window_end == visit.due_at + H
    assert visit.remind_at is not None and not case.night(visit.remind_at)
    assert visit.due_at - 48 * H < visit.remind_at <= visit.due_at - 24 * H
    assert plan == sorted(plan, key=lambda o: (o.due_at, o.rank, o.key))


@settings(max_examples=150, deadline=None)
@given(cases())
def test_v2_cream_course_never_depends_on_dst_or_the_time_of_treatment(case: Case) -> None:
    # Version 2: one treatment always gives days x doses = 6 cream doses, whatever the zone,
    # the clock changes or the time of day; none in the night, none closer than 6 hours, the
    # first when the stocking comes off. (Half the starts are in DST weeks.)
    plan = compute_plan(load_protocol(version=2), case.sessions(1), case.prefs)
    doses = [o for o in plan if o.task == "hydrocortisone"]
    (removal,) = [o.due_at for o in plan if o.task == "remove_stocking"]
    assert len(doses) == 6
    assert doses[0].due_at == removal and doses[0].key.endswith("/first")
    assert [o.key for o in doses if case.night(o.due_at)] == []
    assert all(b.due_at - a.due_at >= 6 * H for a, b in itertools.pairwise(doses))
