"""The schedule kinds a protocol can use: each turns one task into draft occurrences."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.careplan.daytime import ONE_DAY, Rhythm
from app.protocols.loader import (
    AppointmentsTask,
    DailyCourseTask,
    DailyTask,
    DosesTask,
    OnceTask,
    RepeatTask,
    SpanTask,
    Task,
)


@dataclass(frozen=True, slots=True)
class Session:
    """A treatment as the schedules see it: its number in time order, instant and day 0."""

    ordinal: int  # 1-based, in performed_at order; "t1", "t2" in keys
    at: datetime  # UTC
    day0: date  # local calendar date of `at`

    @property
    def tag(self) -> str:
        return f"t{self.ordinal}"


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a schedule may read; built once per compute_plan call."""

    rhythm: Rhythm
    sessions: tuple[Session, ...]  # non-empty, sorted
    # For each `once` task code, its due instant per session (same order as `sessions`).
    events: Mapping[str, tuple[datetime, ...]]
    bookings: Mapping[str, datetime]  # UTC


@dataclass(frozen=True, slots=True)
class Draft:
    """An occurrence before dedupe and before kind-dependent fields are filled in."""

    key: str
    due: datetime
    window_end: datetime
    title: str
    instructions: str
    remind_lead: timedelta | None = None  # appointments: remind this long before due


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def windowed(
    task: OnceTask | DosesTask | DailyTask | DailyCourseTask, key: str, due: datetime
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


def once_due(task: OnceTask, ctx: Context) -> tuple[datetime, ...]:
    """The due instant of a `once` task per session; also the event other tasks refer to."""
    return tuple(ctx.rhythm.to_daytime(s.at + hours(task.after_hours)) for s in ctx.sessions)


def once(task: OnceTask, ctx: Context) -> Iterator[Draft]:
    for s, due in zip(ctx.sessions, ctx.events[task.code], strict=True):
        yield windowed(task, f"{task.code}/{s.tag}", due)


def doses(task: DosesTask, ctx: Context) -> Iterator[Draft]:
    for i, s in enumerate(ctx.sessions):
        floor = ctx.events[task.not_before][i] if task.not_before else None
        for n in range(task.from_day, task.through_day + 1):
            for dose in task.doses:
                due = ctx.rhythm.to_daytime(
                    anchored(ctx.rhythm, s.day0 + timedelta(days=n), dose.at, dose.offset_hours)
                )
                if floor is not None and due < floor:
                    due = floor  # e.g. no cream while the clinic's stocking is still on
                if due < s.at:
                    continue  # a dose before the treatment itself makes no sense
                yield windowed(task, f"{task.code}/{s.tag}/d{n}/{dose.name}", due)


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
    events = ctx.events[task.after]
    start = events[0]
    last_day = ctx.sessions[-1].day0 + timedelta(days=task.through_day)
    # While a treatment's own event is pending (e.g. its 24-hour stocking is still on), the
    # daily task waits; the first treatment's pause is what makes the course start after it.
    pauses = [(s.at, event) for s, event in zip(ctx.sessions, events, strict=True)]
    first_day = ctx.rhythm.local_date(start) - ONE_DAY  # "bed" anchors may fall on day + 1
    for day in dates(first_day, last_day):
        due = ctx.rhythm.to_daytime(anchored(ctx.rhythm, day, task.at, task.offset_hours))
        if due <= start or any(a <= due <= b for a, b in pauses):
            continue
        yield windowed(task, f"{task.code}/{day.isoformat()}", due)


def appointments(task: AppointmentsTask, ctx: Context) -> Iterator[Draft]:
    first = ctx.sessions[0]
    time_of_day = ctx.rhythm.local(first.at).time()
    for visit in task.visits:
        key = f"{task.code}/{visit.number}"
        booked = ctx.bookings.get(key)
        if booked is not None:
            due = booked  # the clinic's choice, taken as-is even in the night
        else:
            day = first.day0 + timedelta(days=visit.day)
            due = ctx.rhythm.to_daytime(ctx.rhythm.wall(day, time_of_day))
        yield Draft(
            key=key,
            due=due.astimezone(UTC),
            window_end=due + hours(task.window_hours),
            title=visit.title or task.title,
            instructions=visit.instructions or task.instructions,
            remind_lead=hours(task.remind_hours_before),
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
        case DailyTask():
            return daily(task, ctx)
        case DailyCourseTask():
            return daily_course(task, ctx)
        case AppointmentsTask():
            return appointments(task, ctx)
