"""Progress through the plan in words: day N of M of each span, the next visit, the week's ticks.

Pure: the caller reads the stored occurrences and the clock; this composes the sentences, so
the phone shows the server's words and never re-implements a rule (docs/careplan.md,
"Progress (for clinical review)").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from app.careplan.daytime import last_day
from app.i18n import catalogue, formats
from app.i18n.languages import DEFAULT_LANGUAGE, PSEUDO_CODES
from app.protocols.translations import translate

# Tasks counted: the local days from 6 days before the asked day through that day.
WEEK_DAYS = 7
# A course's mornings (support stockings) at most this many days apart are one period: after
# a re-treatment the clinic's own stocking is on for a morning or two, and those mornings are
# not in the course, yet the patient is still in the same period of wearing stockings.
COURSE_GAP_DAYS = 3


class LineKind(StrEnum):
    """What a progress line is about; "span" and "course" lines come with a visual."""

    SPAN = "span"  # a restriction or advice: from a treatment to the end of a day
    COURSE = "course"  # a daily task over a period (support stockings each morning)
    VISIT = "visit"  # the next clinic visit
    TASKS = "tasks"  # tasks ticked off in the last 7 days


@dataclass(frozen=True, slots=True)
class Span:
    """A stored span row (restriction or advice), or the union of a task's rows: [start, end)."""

    task: str
    title: str
    start: datetime
    end: datetime  # the local midnight after its last day, for a span through a day
    instructions: str = ""


@dataclass(frozen=True, slots=True)
class CourseDay:
    """One local day of a daily course task (a morning's support stockings)."""

    task: str
    title: str
    day: date


@dataclass(frozen=True, slots=True)
class Visit:
    """A coming clinic visit; `tentative`: not booked yet, so its time of day is not said."""

    title: str
    due_at: datetime
    tentative: bool = False


@dataclass(frozen=True, slots=True)
class TaskTick:
    """A task of the plan: when it is due and whether it was ticked off."""

    due_at: datetime
    done: bool


@dataclass(frozen=True, slots=True)
class ProgressLine:
    """One line of progress: `text` first ("Day 9 of 42."), then `more`; `day` of `total`
    days passed (0 before it starts) for the visual, None for lines without one."""

    key: str
    kind: LineKind
    title: str
    text: str
    more: str = ""
    day: int | None = None
    total: int | None = None


def joined(spans: Iterable[Span]) -> list[Span]:
    """Per task, rows that overlap or touch joined into one span, in order of start.

    Spans are one row per treatment: with a re-treatment the restriction is the union of its
    rows (docs/architecture.md). The joined span keeps the words of the row ending last.
    """
    by_task: dict[str, list[Span]] = {}
    for span in sorted(spans, key=lambda s: (s.task, s.start, s.end)):
        runs = by_task.setdefault(span.task, [])
        if runs and span.start <= runs[-1].end:
            last = runs[-1]
            if span.end > last.end:
                runs[-1] = replace(span, start=last.start)
        else:
            runs.append(span)
    return sorted((s for runs in by_task.values() for s in runs), key=lambda s: (s.start, s.task))


def active(spans: Iterable[Span], now: datetime) -> list[Span]:
    """The joined spans going on at `now`, the soonest to end first."""
    going = [s for s in joined(spans) if s.start <= now < s.end]
    return sorted(going, key=lambda s: (s.end, s.task))


def day_named(day: date, today: date, language: str = DEFAULT_LANGUAGE) -> str:
    """ "Tuesday 12 January", with the year when it is not this one; in the patient's language."""
    return formats.day(day, language, with_year=day.year != today.year)


def _time_named(at: datetime, language: str) -> str:
    """ "10:00 am" in English, as the phone writes a time; the locale's own clock otherwise."""
    if language != DEFAULT_LANGUAGE and language not in PSEUDO_CODES:
        return formats.clock_time(at, language)
    hour = at.hour % 12 or 12
    return f"{hour}:{at.minute:02d} {'am' if at.hour < 12 else 'pm'}"


# The words of the lines (English msgids; app/locales/<language>/LC_MESSAGES/messages.po).
# DRAFT for clinical review: every text below.
STARTS_ON = "Starts on {day}."
LENGTH = ("{n} day, until and including {day}.", "{n} days, until and including {day}.")
DAY_OF = "Day {day} of {total}."
DAY_OF_TREATMENT = "Day {day} of {total}: the day of your treatment."
LAST_DAY = "Today, {day}, is the last day."
DAYS_LEFT = (
    "{n} more day after today: until and including {day}.",
    "{n} more days after today: until and including {day}.",
)
VISIT_TODAY = "Your next visit is today, {day}."
VISIT_TOMORROW = "Your next visit is tomorrow, {day}."
VISIT_LATER = (
    "Your next visit is in {n} day, on {day}.",
    "Your next visit is in {n} days, on {day}.",
)
VISIT_TO_CONFIRM = "The clinic will confirm the time."
VISIT_AT = "It is at {time}."
TASKS_TITLE = "Your tasks in the last 7 days"
TICKED = (
    "You ticked off {done} of {n} task in the last 7 days.",
    "You ticked off {done} of {n} tasks in the last 7 days.",
)
NONE_TICKED = "Tasks you tick off are counted here."
STILL_TO_COME = ("{n} task still to come.", "{n} tasks still to come.")


def _period_line(
    key: str,
    kind: LineKind,
    title: str,
    period: tuple[date, date],
    today: date,
    language: str,
) -> ProgressLine | None:
    """Day N of M of a period of local days (first, last); None once it is over.

    A span counts as the protocol does, from its treatment's day 0 ("through day 42": the
    last day is day 42 of 42); a course counts its own days from 1 (day 1 is the first
    morning of stockings)."""
    first, last = period
    if today > last:
        return None
    base = 0 if kind is LineKind.SPAN else 1
    total = (last - first).days + base
    title = translate(language, title)
    last_named = day_named(last, today, language)
    if today < first:
        text = catalogue.text(language, STARTS_ON, day=day_named(first, today, language))
        more = catalogue.plural(language, LENGTH, total, day=last_named)
        return ProgressLine(key, kind, title, text, more, day=0, total=total)
    day = (today - first).days + base
    left = (last - today).days
    if day == 0:
        text = catalogue.text(language, DAY_OF_TREATMENT, day=day, total=total)
    else:
        text = catalogue.text(language, DAY_OF, day=day, total=total)
    if left == 0:
        more = catalogue.text(language, LAST_DAY, day=day_named(today, today, language))
    else:
        more = catalogue.plural(language, DAYS_LEFT, left, day=last_named)
    return ProgressLine(key, kind, title, text, more, day=day, total=total)


def span_lines(
    spans: Iterable[Span], *, today: date, zone: ZoneInfo, language: str = DEFAULT_LANGUAGE
) -> list[ProgressLine]:
    """A line for each joined span that covers `today` (restrictions, advice)."""
    lines = []
    for span in joined(spans):
        first = span.start.astimezone(zone).date()
        if first > today:
            continue  # not begun: a span always begins with its treatment
        period = (first, last_day(span.end, zone))
        line = _period_line(span.task, LineKind.SPAN, span.title, period, today, language)
        if line is not None:
            lines.append(line)
    return lines


def course_lines(
    days: Iterable[CourseDay], *, today: date, language: str = DEFAULT_LANGUAGE
) -> list[ProgressLine]:
    """A line for the period of each course task going on (or coming next) on `today`: its
    days joined while at most COURSE_GAP_DAYS apart."""
    by_task: dict[str, list[CourseDay]] = {}
    for item in sorted(days, key=lambda d: (d.task, d.day)):
        by_task.setdefault(item.task, []).append(item)
    lines = []
    for task, items in by_task.items():
        periods: list[list[CourseDay]] = []
        for item in items:
            if periods and (item.day - periods[-1][-1].day).days <= COURSE_GAP_DAYS:
                periods[-1].append(item)
            else:
                periods.append([item])
        for period in periods:
            days_of = (period[0].day, period[-1].day)
            title = period[-1].title
            line = _period_line(task, LineKind.COURSE, title, days_of, today, language)
            if line is not None:
                lines.append(line)
                break  # the period now or the next one, never two
    return lines


def visit_line(
    visits: Sequence[Visit], *, today: date, zone: ZoneInfo, language: str = DEFAULT_LANGUAGE
) -> ProgressLine | None:
    """The first visit on or after `today`, its title from the plan, its day by name."""
    coming = sorted(
        (v for v in visits if v.due_at.astimezone(zone).date() >= today), key=lambda v: v.due_at
    )
    if not coming:
        return None
    visit = coming[0]
    local = visit.due_at.astimezone(zone)
    away = (local.date() - today).days
    named = day_named(local.date(), today, language)
    if away == 0:
        text = catalogue.text(language, VISIT_TODAY, day=named)
    elif away == 1:
        text = catalogue.text(language, VISIT_TOMORROW, day=named)
    else:
        text = catalogue.plural(language, VISIT_LATER, away, day=named)
    if visit.tentative:
        more = catalogue.text(language, VISIT_TO_CONFIRM)
    else:
        more = catalogue.text(language, VISIT_AT, time=_time_named(local, language))
    title = translate(language, visit.title)
    return ProgressLine("visit", LineKind.VISIT, title, text, more)


def tasks_line(
    ticks: Iterable[TaskTick],
    *,
    today: date,
    zone: ZoneInfo,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> ProgressLine | None:
    """Tasks of the last WEEK_DAYS local days through `today`: how many were ticked off of
    those whose time has come, and how many are still to come. Counts only: no percentage,
    a task not ticked is not named or scolded, and with none ticked no count is given.
    None for a week without tasks."""
    first = today - timedelta(days=WEEK_DAYS - 1)
    week = [t for t in ticks if first <= t.due_at.astimezone(zone).date() <= today]
    if not week:
        return None
    done = sum(t.done for t in week)
    counted = sum(t.done or t.due_at <= now for t in week)
    later = len(week) - counted
    title = catalogue.text(language, TASKS_TITLE)
    if done:  # none yet: no "0 of 9", which reads as a mark against the patient
        text = catalogue.plural(language, TICKED, counted, done=done)
    else:
        text = catalogue.text(language, NONE_TICKED)
    more = catalogue.plural(language, STILL_TO_COME, later) if later else ""
    return ProgressLine("tasks", LineKind.TASKS, title, text, more)


def progress_lines(
    *,
    spans: Iterable[Span],
    course: Iterable[CourseDay],
    visits: Sequence[Visit],
    ticks: Iterable[TaskTick],
    today: date,
    zone: ZoneInfo,
    now: datetime,
    language: str = DEFAULT_LANGUAGE,
) -> list[ProgressLine]:
    """Everything the patient is told about where they are in the plan on `today`, in their
    `language`: the course (stockings) and spans going on, the next visit, then the last 7
    days' tasks."""
    lines = course_lines(course, today=today, language=language)
    lines += span_lines(spans, today=today, zone=zone, language=language)
    visit = visit_line(visits, today=today, zone=zone, language=language)
    week = tasks_line(ticks, today=today, zone=zone, now=now, language=language)
    return lines + [line for line in (visit, week) if line is not None]
