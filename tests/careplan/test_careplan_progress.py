"""Progress in words from real plans: day N of M, the last day, re-treatment, the week's ticks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.careplan import (
    OccurrenceKind,
    PlannedOccurrence,
    Preferences,
    TreatmentSession,
    compute_plan,
)
from app.careplan.daytime import last_day
from app.careplan.progress import (
    CourseDay,
    LineKind,
    ProgressLine,
    Span,
    TaskTick,
    Visit,
    active,
    joined,
    progress_lines,
)
from app.protocols.loader import load_protocol

V2 = load_protocol(version=2)
LONDON = ZoneInfo("Europe/London")
# Ada's treatment: 10:00 Friday 27 March 2026 in London (the clocks go forward on Sunday 29th).
TREATED = datetime(2026, 3, 27, 10, 0, tzinfo=LONDON)


def plan(*treated: datetime, stockings: bool = True) -> list[PlannedOccurrence]:
    return compute_plan(
        V2,
        [TreatmentSession(at) for at in treated],
        Preferences(time_zone="Europe/London", stockings_advised=stockings),
    )


def lines_on(
    occurrences: Sequence[PlannedOccurrence],
    today: date,
    *,
    now: datetime | None = None,
    done: frozenset[str] = frozenset(),
    language: str = "en",
) -> dict[str, ProgressLine]:
    """The plan's lines on `today` (as of noon there unless `now`), keyed by line key."""
    at = now or datetime(today.year, today.month, today.day, 12, tzinfo=LONDON)
    found = progress_lines(
        spans=[
            Span(o.task, o.title, o.due_at, o.window_end)
            for o in occurrences
            if o.kind is OccurrenceKind.RESTRICTION
        ],
        course=[
            CourseDay(o.task, o.title, o.local_due.date())
            for o in occurrences
            if o.task == "stockings_on"
        ],
        visits=[
            Visit(o.title, o.due_at, o.tentative)
            for o in occurrences
            if o.kind is OccurrenceKind.APPOINTMENT and o.window_end > at
        ],
        ticks=[
            TaskTick(o.due_at, o.key in done) for o in occurrences if o.kind is OccurrenceKind.TASK
        ],
        today=today,
        zone=LONDON,
        now=at,
        language=language,
    )
    return {line.key: line for line in found}


class TestAspirin:
    def test_the_treatment_day_is_day_0_of_42(self) -> None:
        line = lines_on(plan(TREATED), date(2026, 3, 27))["avoid_aspirin"]
        assert line.kind is LineKind.SPAN
        assert line.title == "No aspirin for six weeks"  # the plan's words
        assert line.text == "Day 0 of 42: the day of your treatment."
        assert line.more == "42 more days after today: until and including Friday 8 May."
        assert (line.day, line.total) == (0, 42)

    def test_mid_way(self) -> None:
        line = lines_on(plan(TREATED), date(2026, 4, 5))["avoid_aspirin"]
        assert line.text == "Day 9 of 42."
        assert line.more == "33 more days after today: until and including Friday 8 May."
        assert (line.day, line.total) == (9, 42)

    def test_one_day_left(self) -> None:
        line = lines_on(plan(TREATED), date(2026, 5, 7))["avoid_aspirin"]
        assert line.more == "1 more day after today: until and including Friday 8 May."

    def test_the_last_day_says_so(self) -> None:
        line = lines_on(plan(TREATED), date(2026, 5, 8))["avoid_aspirin"]
        assert line.text == "Day 42 of 42."
        assert line.more == "Today, Friday 8 May, is the last day."

    def test_the_last_day_is_still_restricted_late_in_the_evening(self) -> None:
        late = datetime(2026, 5, 8, 23, 59, tzinfo=LONDON)
        assert "avoid_aspirin" in lines_on(plan(TREATED), date(2026, 5, 8), now=late)

    def test_after_the_end_the_line_is_gone(self) -> None:
        assert "avoid_aspirin" not in lines_on(plan(TREATED), date(2026, 5, 9))

    def test_a_re_treatment_extends_it_to_six_weeks_after_the_last(self) -> None:
        again = TREATED + timedelta(days=14)  # Friday 10 April, at the first visit
        line = lines_on(plan(TREATED, again), date(2026, 5, 9))["avoid_aspirin"]
        assert line.text == "Day 43 of 56."  # counted from the first treatment: one period
        assert line.more == "13 more days after today: until and including Friday 22 May."
        assert "avoid_aspirin" not in lines_on(plan(TREATED, again), date(2026, 5, 23))

    def test_rows_that_only_touch_join_and_the_later_words_are_kept(self) -> None:
        first = Span("avoid_aspirin", "old", datetime(2026, 1, 1, tzinfo=UTC),
                     datetime(2026, 2, 1, tzinfo=UTC))  # fmt: skip
        second = Span("avoid_aspirin", "new", datetime(2026, 2, 1, tzinfo=UTC),
                      datetime(2026, 3, 1, tzinfo=UTC))  # fmt: skip
        [one] = joined([second, first])
        assert (one.start, one.end, one.title) == (first.start, second.end, "new")
        [going] = active([first, second], datetime(2026, 1, 31, 23, 59, tzinfo=UTC))
        assert last_day(going.end, ZoneInfo("UTC")) == date(2026, 2, 28)

    def test_a_later_course_weeks_after_the_end_is_a_new_period(self) -> None:
        later = TREATED + timedelta(days=70)
        line = lines_on(plan(TREATED, later), date(2026, 6, 5))["avoid_aspirin"]
        assert line.text == "Day 0 of 42: the day of your treatment."


class TestStockings:
    def test_before_the_first_morning_it_says_when_they_start(self) -> None:
        line = lines_on(plan(TREATED), date(2026, 3, 27))["stockings_on"]
        assert line.kind is LineKind.COURSE
        assert line.text == "Starts on Sunday 29 March."
        assert line.more == "20 days, until and including Friday 17 April."
        assert (line.day, line.total) == (0, 20)

    def test_day_1_is_the_first_morning(self) -> None:
        line = lines_on(plan(TREATED), date(2026, 3, 29))["stockings_on"]
        assert line.text == "Day 1 of 20."
        assert line.title == "Put on your support stockings"

    def test_the_last_day_then_gone(self) -> None:
        occurrences = plan(TREATED)
        assert lines_on(occurrences, date(2026, 4, 17))["stockings_on"].more == (
            "Today, Friday 17 April, is the last day."
        )
        assert "stockings_on" not in lines_on(occurrences, date(2026, 4, 18))

    def test_a_re_treatment_keeps_one_period_through_its_own_clinic_stocking(self) -> None:
        again = TREATED + timedelta(days=14)
        occurrences = plan(TREATED, again)
        # Saturday 11 April: the clinic's stocking from the re-treatment is on that morning.
        assert "stockings_on/2026-04-11" not in {o.key for o in occurrences}
        line = lines_on(occurrences, date(2026, 4, 11))["stockings_on"]
        assert line.text == "Day 14 of 34."
        assert line.more.endswith("until and including Friday 1 May.")

    def test_no_stockings_advised_no_stockings_line(self) -> None:
        lines = lines_on(plan(TREATED, stockings=False), date(2026, 4, 5))
        assert "stockings_on" not in lines
        assert "avoid_aspirin" in lines


class TestVisit:
    def test_the_next_visit_by_its_plan_title_and_weekday(self) -> None:
        line = lines_on(plan(TREATED), date(2026, 4, 5))["visit"]
        assert line.title == "Check-up and possible top-up treatment"
        assert line.text == "Your next visit is in 5 days, on Friday 10 April."
        assert line.more == "The clinic will confirm the time."  # not booked: no time said

    def test_a_booked_visit_says_its_time_and_tomorrow(self) -> None:
        booked = Visit("Final review", datetime(2026, 5, 22, 9, 15, tzinfo=UTC))
        [line] = progress_lines(
            spans=[], course=[], visits=[booked], ticks=[], today=date(2026, 5, 21),
            zone=LONDON, now=datetime(2026, 5, 21, 9, tzinfo=UTC),
        )  # fmt: skip
        assert line.text == "Your next visit is tomorrow, Friday 22 May."
        assert line.more == "It is at 10:15 am."  # London summer time

    def test_after_the_first_the_second_is_named(self) -> None:
        line = lines_on(plan(TREATED), date(2026, 4, 11))["visit"]
        assert line.title == "Final review"


class TestTasksThisWeek:
    def test_counts_with_missed_tasks_are_counts_not_percentages(self) -> None:
        occurrences = plan(TREATED)
        week = {o.key for o in occurrences if o.kind is OccurrenceKind.TASK}
        done = frozenset(sorted(k for k in week if k.startswith("symptom_check"))[:3])
        line = lines_on(occurrences, date(2026, 3, 30), done=done)["tasks"]
        assert line.kind is LineKind.TASKS
        due = [
            o
            for o in occurrences
            if o.kind is OccurrenceKind.TASK
            and o.due_at <= datetime(2026, 3, 30, 12, tzinfo=LONDON)
            and o.local_due.date() <= date(2026, 3, 30)
        ]
        assert line.text == f"You ticked off 3 of {len(due)} tasks in the last 7 days."
        assert "%" not in line.text + line.more
        assert "missed" not in (line.text + line.more).lower()
        assert line.more == "2 tasks still to come."  # the evening's cream and check

    def test_the_week_is_seven_days_including_today(self) -> None:
        ticks = [TaskTick(datetime(2026, 4, d, 9, tzinfo=UTC), True) for d in range(1, 15)]
        [line] = progress_lines(
            spans=[], course=[], visits=[], ticks=ticks, today=date(2026, 4, 10),
            zone=LONDON, now=datetime(2026, 4, 10, 20, tzinfo=UTC),
        )  # fmt: skip
        assert line.text == "You ticked off 7 of 7 tasks in the last 7 days."  # 4 to 10 April
        assert line.more == ""

    def test_nothing_ticked_yet_is_said_kindly(self) -> None:
        ticks = [TaskTick(datetime(2026, 4, d, 18, tzinfo=UTC), False) for d in (8, 9, 10)]
        [line] = progress_lines(
            spans=[], course=[], visits=[], ticks=ticks, today=date(2026, 4, 10),
            zone=LONDON, now=datetime(2026, 4, 10, 9, tzinfo=UTC),
        )  # fmt: skip
        assert line.text == "Tasks you tick off are counted here."  # no "0 of 2"
        assert line.more == "1 task still to come."

    def test_a_week_without_tasks_has_no_line(self) -> None:
        assert "tasks" not in lines_on(plan(TREATED), date(2026, 6, 1))


class TestClockChange:
    """The week of Sunday 29 March 2026, when London's clocks go forward."""

    @pytest.mark.parametrize(
        ("day", "aspirin", "stockings"),
        [
            (date(2026, 3, 28), "Day 1 of 42.", "Starts on Sunday 29 March."),
            (date(2026, 3, 29), "Day 2 of 42.", "Day 1 of 20."),
            (date(2026, 3, 30), "Day 3 of 42.", "Day 2 of 20."),
        ],
    )
    def test_days_count_by_the_local_calendar(
        self, day: date, aspirin: str, stockings: str
    ) -> None:
        # Just after local midnight, which is 23:00 UTC the evening before once it is summer.
        just_after = datetime(day.year, day.month, day.day, 0, 1, tzinfo=LONDON)
        lines = lines_on(plan(TREATED), day, now=just_after)
        assert lines["avoid_aspirin"].text == aspirin
        assert lines["stockings_on"].text == stockings

    def test_the_last_day_is_the_local_one_in_summer_time(self) -> None:
        [span] = joined(
            Span(o.task, o.title, o.due_at, o.window_end)
            for o in plan(TREATED)
            if o.kind is OccurrenceKind.RESTRICTION
        )
        assert span.end == datetime(2026, 5, 8, 23, 0, tzinfo=UTC)  # midnight in London
        assert last_day(span.end, LONDON) == date(2026, 5, 8)
        assert last_day(span.end, ZoneInfo("UTC")) == date(2026, 5, 8)


class TestInThePatientsLanguage:
    """The same lines in Polish: the catalogue's words, the plan's translated titles, Babel's
    day names and the three Polish plural forms (1 / 2 to 4 / 5 and more)."""

    def test_a_span_mid_way(self) -> None:
        line = lines_on(plan(TREATED), date(2026, 4, 5), language="pl")["avoid_aspirin"]
        assert line.title != "No aspirin for six weeks"  # the protocol's Polish title
        assert line.text == "Dzień 9 z 42."
        assert line.more == "Jeszcze 33 dni po dzisiejszym. Ostatni dzień: piątek 8 maja."
        assert (line.day, line.total) == (9, 42)

    def test_one_day_left_is_the_singular(self) -> None:
        line = lines_on(plan(TREATED), date(2026, 5, 7), language="pl")["avoid_aspirin"]
        assert line.more == "Jeszcze 1 dzień po dzisiejszym. Ostatni dzień: piątek 8 maja."

    def test_the_treatment_day_and_the_last_day(self) -> None:
        lines = lines_on(plan(TREATED), date(2026, 3, 27), language="pl")
        assert lines["avoid_aspirin"].text == "Dzień 0 z 42: dzień Twojego zabiegu."
        assert lines["stockings_on"].text == "Początek: niedziela 29 marca."
        assert lines["stockings_on"].more == "Łącznie 20 dni. Ostatni dzień: piątek 17 kwietnia."
        last = lines_on(plan(TREATED), date(2026, 5, 8), language="pl")["avoid_aspirin"]
        assert last.more == "Dzisiaj (piątek 8 maja) jest ostatni dzień."

    def test_the_visit_and_the_week(self) -> None:
        occurrences = plan(TREATED)
        done = frozenset(o.key for o in occurrences if o.kind is OccurrenceKind.TASK)
        lines = lines_on(occurrences, date(2026, 4, 5), done=done, language="pl")
        assert lines["visit"].text == "Następna wizyta: za 5 dni, piątek 10 kwietnia."
        assert lines["visit"].more == "Klinika potwierdzi godzinę."
        assert lines["tasks"].title == "Twoje zadania w ostatnich 7 dniach"
        assert lines["tasks"].text.startswith("Zaznaczone w ostatnich 7 dniach: ")
        assert lines["tasks"].text.endswith(" zadań.") or lines["tasks"].text.endswith(" zadania.")

    def test_a_day_in_another_year_says_the_year(self) -> None:
        december = datetime(2026, 12, 18, 10, 0, tzinfo=LONDON)
        line = lines_on(plan(december), date(2026, 12, 20), language="pl")["avoid_aspirin"]
        assert line.more.endswith("Ostatni dzień: piątek 29 stycznia 2027.")
        english = lines_on(plan(december), date(2026, 12, 20))["avoid_aspirin"]
        assert english.more.endswith("until and including Friday 29 January 2027.")

    def test_the_pseudo_locale_changes_every_line(self) -> None:
        english = lines_on(plan(TREATED), date(2026, 4, 5))
        pseudo = lines_on(plan(TREATED), date(2026, 4, 5), language="qps-ploc")
        assert english.keys() == pseudo.keys()
        for key, line in pseudo.items():
            assert line.text != english[key].text, key
            assert line.title != english[key].title, key
