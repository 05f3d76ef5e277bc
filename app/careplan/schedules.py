"""The schedule kinds a protocol can use: each turns one task into draft occurrences."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.careplan.daytime import ONE_DAY, Rhythm, localize_in
from app.protocols.loader import (
    AppointmentsTask,
    DailyCourseTask,
    DailyTask,
    DoseCourseTask,
    DosesTask,
    OnceTask,
    RepeatTask,
    SpanTask,
    Task,
)


@dataclass(frozen=True, slots=True)
class Session:
    """A treatment as the schedules see it: its number in time order, instant and day 0."""

    ordinal: int  # the treatment's number ("t1", "t2" in keys): by default, its place in time
    at: datetime  # UTC
    day0: date  # local calendar date of `at`
    counts: bool = True  # extends the course-long periods (counts_as_last_treatment)

    @property
    def tag(self) -> str:
        return f"t{self.ordinal}"


# A session's own occurrences are keyed "<task>/t<number>[/…]"; course-long ones are not.
_SESSION_KEY = re.compile(r"^[^/]+/t(\d+)(?:/|$)")


def treatment_number_of(key: str) -> int | None:
    """The number of the treatment an occurrence key belongs to (`hydrocortisone/t2/d1/
    morning` → 2); None for what belongs to the whole course (`stockings_on/2026-04-02`)."""
    match = _SESSION_KEY.match(key)
    return int(match.group(1)) if match else None


Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Event:
    """A `once` task per session (e.g. the clinic's stocking coming off) and the stretches of
    time its state lasts (the stocking is on): the union of [session, its event]."""

    due: tuple[datetime, ...]  # per session, as computed for that session alone
    kept: tuple[bool, ...]  # False: a later session started at or before it (superseded)
    ends: tuple[datetime, ...]  # per session: when its stretch ends (the last stocking off)
    intervals: tuple[Interval, ...]  # merged, in time order

    def wait(self, instant: datetime) -> datetime:
        """`instant`, or the end of the stretch it falls in (start included, end not)."""
        for start, end in self.intervals:
            if start <= instant < end:
                return end
        return instant

    def during(self, instant: datetime) -> bool:
        """True inside a stretch, both ends included."""
        return any(start <= instant <= end for start, end in self.intervals)


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a schedule may read; built once per protocol per compute_plan call."""

    rhythm: Rhythm
    sessions: tuple[Session, ...]  # this protocol's sessions, sorted (may be empty)
    all_sessions: tuple[Session, ...]  # every session of the patient, sorted, non-empty
    events: Mapping[str, Event]  # per `once` task code, over `sessions`
    bookings: Mapping[str, datetime]  # UTC
    visit_zone: ZoneInfo  # the clinic's clock for visits not yet booked


@dataclass(frozen=True, slots=True)
class Draft:
    """An occurrence before dedupe and before kind-dependent fields are filled in."""

    key: str
    due: datetime
    window_end: datetime
    title: str
    instructions: str
    remind_lead: timedelta | None = None  # appointments: remind this long before due
    tentative: bool = False  # a visit not booked yet: no reminder, no time shown


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def windowed(
    task: OnceTask | DosesTask | DoseCourseTask | DailyTask | DailyCourseTask,
    key: str,
    due: datetime,
) -> Draft:
    """A draft of `task` due at `due` that stays open for the task's window_hours."""
    return Draft(
        key=key,
        due=due,
        window_end=due + hours(task.window_hours),
        title=task.title,
        instructions=task.instructions,
    )


def anchored(rhythm: Rhythm, day: date, at: str, offset_hours: float = 0) -> datetime:
    """The instant of a protocol time ("wake", "bed" or "HH:MM") on patient day `day`.

    The offset is applied on the wall clock (bed - 2h stays 20:00 local across DST).
    """
    if at == "wake":
        wall = datetime.combine(day, rhythm.wake)
    elif at == "bed":
        wall = datetime.combine(rhythm.bed_date(day), rhythm.bed)
    else:
        wall = datetime.combine(day, time.fromisoformat(at))
    return rhythm.localize(wall + hours(offset_hours))


def dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def span(task: SpanTask, ctx: Context) -> Iterator[Draft]:
    for s in ctx.sessions:
        if task.hours is not None:
            end = s.at + hours(task.hours)
        else:
            assert task.through_day is not None  # the loader guarantees one of the two
            end = ctx.rhythm.start_of(s.day0 + timedelta(days=task.through_day + 1))
        yield Draft(
            key=f"{task.code}/{s.tag}",
            due=ctx.rhythm.to_daytime(s.at),
            window_end=end,
            title=task.title,
            instructions=task.instructions,
        )


def repeat(task: RepeatTask, ctx: Context) -> Iterator[Draft]:
    step, length = hours(task.every_hours), hours(task.for_hours)
    for s in ctx.sessions:
        end_all = s.at + length
        k = 1
        # Real elapsed time (UTC arithmetic), so DST never stretches an interval.
        while (due := s.at + k * step) < end_all:
            if not ctx.rhythm.is_night(due):  # dropped, not moved: no catch-up at wake
                yield Draft(
                    key=f"{task.code}/{s.tag}/{k}",
                    due=due,
                    window_end=min(due + step, end_all),
                    title=task.title,
                    instructions=task.instructions,
                )
            k += 1


def event_of(task: OnceTask, rhythm: Rhythm, sessions: Sequence[Session]) -> Event:
    """The event of a `once` task over `sessions`, with the stretches its state lasts.

    A session's event is superseded when a later session starts at or before it: the
    stretches overlap and the state ends with the later session's event instead.
    """
    due = tuple(rhythm.to_daytime(s.at + hours(task.after_hours)) for s in sessions)
    kept = tuple(all(later.at > at for later in sessions[i + 1 :]) for i, at in enumerate(due))
    intervals = _merged(sorted(zip((s.at for s in sessions), due, strict=True)))
    ends = tuple(next(end for start, end in intervals if start <= s.at <= end) for s in sessions)
    return Event(due=due, kept=kept, ends=ends, intervals=intervals)


def _merged(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def once(task: OnceTask, ctx: Context) -> Iterator[Draft]:
    event = ctx.events[task.code]
    for s, due, kept in zip(ctx.sessions, event.due, event.kept, strict=True):
        if kept:  # a superseded removal would come while a newer stocking must stay on
            yield windowed(task, f"{task.code}/{s.tag}", due)


def doses(task: DosesTask, ctx: Context) -> Iterator[Draft]:
    event = ctx.events[task.not_before] if task.not_before else None
    for s in ctx.sessions:
        for n in range(task.from_day, task.through_day + 1):
            for dose in task.doses:
                due = ctx.rhythm.to_daytime(
                    anchored(ctx.rhythm, s.day0 + timedelta(days=n), dose.at, dose.offset_hours)
                )
                if event is not None:
                    # No cream while any clinic stocking is on, this session's own included.
                    due = event.wait(max(due, s.at))
                elif due < s.at:
                    continue  # a dose before the treatment itself makes no sense
                yield windowed(task, f"{task.code}/{s.tag}/d{n}/{dose.name}", due)


def dose_course(task: DoseCourseTask, ctx: Context) -> Iterator[Draft]:
    event = ctx.events[task.after]
    for s, start in zip(ctx.sessions, event.ends, strict=True):
        for name, planned in course_doses(task, ctx.rhythm, start):
            due = event.wait(planned)  # a later session's stocking is on: wait for it
            tail = name if due == planned else "removal"
            day = ctx.rhythm.local_date(due).isoformat()
            yield windowed(task, f"{task.code}/{s.tag}/{day}/{tail}", due)


def course_doses(
    task: DoseCourseTask, rhythm: Rhythm, start: datetime
) -> Iterator[tuple[str, datetime]]:
    """One course's doses as (name, instant): "first" at `start`, then the next anchors."""
    yield "first", start
    given, last = 1, start
    gap = hours(task.min_gap_hours)
    first_day = rhythm.local_date(start) - ONE_DAY  # "bed" anchors may fall on day + 1
    # Bounded: anchors all in the night would otherwise never reach the count.
    for day in dates(first_day, first_day + timedelta(days=task.count + 2)):
        for name, at in _anchors_of(task, rhythm, day):
            if given == task.count:
                return
            if at <= last or at - last < gap or rhythm.is_night(at):
                continue
            yield name, at
            given, last = given + 1, at


def _anchors_of(task: DoseCourseTask, rhythm: Rhythm, day: date) -> list[tuple[str, datetime]]:
    anchors = [(d.name, anchored(rhythm, day, d.at, d.offset_hours)) for d in task.doses]
    return sorted(anchors, key=lambda pair: pair[1])


def daily(task: DailyTask, ctx: Context) -> Iterator[Draft]:
    # Keyed by date, so overlapping treatments give one occurrence per day (the same day
    # always computes the same instant, whichever treatment asks for it).
    seen: set[date] = set()
    for s in ctx.sessions:
        for n in range(task.from_day, task.through_day + 1):
            day = s.day0 + timedelta(days=n)
            nominal = anchored(ctx.rhythm, day, task.at, task.offset_hours)
            if day in seen or nominal < s.at:
                continue
            seen.add(day)
            due = ctx.rhythm.to_daytime(nominal)
            yield windowed(task, f"{task.code}/{day.isoformat()}", due)


def daily_course(task: DailyCourseTask, ctx: Context) -> Iterator[Draft]:
    event = ctx.events[task.after]
    if not event.intervals:
        return  # no session of this protocol: the course never starts
    start = event.intervals[0][1]  # the first clinic stocking (or the last of a merged run) off
    off = {s.ordinal: end for s, end in zip(ctx.sessions, event.ends, strict=True)}
    counting = [s for s in ctx.all_sessions if s.counts] or list(ctx.sessions)
    # Each counting session opens its own stretch, from its clinic stocking off (a session of
    # another method: from the session) to its day `through_day`. The course is their union,
    # so a new course weeks after the last one does not fill the weeks between them.
    stretches = [
        (off.get(s.ordinal, s.at), s.day0 + timedelta(days=task.through_day)) for s in counting
    ]
    first_day = ctx.rhythm.local_date(start) - ONE_DAY  # "bed" anchors may fall on day + 1
    last_day = max(last for _, last in stretches)
    for day in dates(first_day, last_day):
        due = ctx.rhythm.to_daytime(anchored(ctx.rhythm, day, task.at, task.offset_hours))
        # Paused while a clinic stocking is on, ends included.
        if due <= start or event.during(due):
            continue
        if not any(opens < due and day <= last for opens, last in stretches):
            continue
        yield windowed(task, f"{task.code}/{day.isoformat()}", due)


@dataclass(frozen=True, slots=True)
class Course:
    """Sessions sharing one set of visits: its number and first session's local start."""

    number: int
    start: datetime  # the first session's instant on the clinic's clock (aware, visit zone)


def courses(
    task: AppointmentsTask, sessions: Sequence[Session], zone: ZoneInfo
) -> Iterator[Course]:
    """A new course starts with a session on or after the current course's final-visit date."""
    final_day = timedelta(days=task.course_end_visit.day)
    number, ends = 0, None
    for s in sessions:
        local = s.at.astimezone(zone)
        if ends is None or local.date() >= ends:
            number, ends = number + 1, local.date() + final_day
            yield Course(number=number, start=local)


def appointments(task: AppointmentsTask, ctx: Context) -> Iterator[Draft]:
    for course in courses(task, ctx.all_sessions, ctx.visit_zone):
        # Course 1 keeps the keys stored before courses existed.
        prefix = task.code if course.number == 1 else f"{task.code}/c{course.number}"
        for visit in task.visits:
            key = f"{prefix}/{visit.number}"
            booked = ctx.bookings.get(key)
            if booked is None:
                # The clinic's wall clock, not the patient's: a trip never moves the visit,
                # and no night push (staff book the real time).
                day = course.start.date() + timedelta(days=visit.day)
                wall = datetime.combine(day, course.start.time().replace(tzinfo=None))
                due = localize_in(ctx.visit_zone, wall)
            else:
                due = booked  # the clinic's choice, taken as-is even in the night
            yield Draft(
                key=key,
                due=due.astimezone(UTC),
                window_end=due + hours(task.window_hours),
                title=visit.title or task.title,
                instructions=visit.instructions or task.instructions,
                remind_lead=None if booked is None else hours(task.remind_hours_before),
                tentative=booked is None,
            )


def drafts(task: Task, ctx: Context) -> Iterator[Draft]:
    """Dispatch on the task's schedule kind."""
    match task:
        case SpanTask():
            return span(task, ctx)
        case RepeatTask():
            return repeat(task, ctx)
        case OnceTask():
            return once(task, ctx)
        case DosesTask():
            return doses(task, ctx)
        case DoseCourseTask():
            return dose_course(task, ctx)
        case DailyTask():
            return daily(task, ctx)
        case DailyCourseTask():
            return daily_course(task, ctx)
        case AppointmentsTask():
            return appointments(task, ctx)
