"""compute_plan: a protocol, a patient's treatments and preferences -> their dated plan."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.careplan.daytime import Rhythm, zone_for
from app.careplan.schedules import Context, Draft, Session, drafts, event_of, hours
from app.careplan.types import OccurrenceKind, PlannedOccurrence, Preferences, TreatmentSession
from app.protocols.loader import DoseCourseTask, DosesTask, OnceTask, Protocol, Task

_NOTIFYING = frozenset({OccurrenceKind.TASK, OccurrenceKind.APPOINTMENT})


def compute_plan(
    protocol: Protocol,
    treatments: Sequence[TreatmentSession],
    preferences: Preferences,
    bookings: Mapping[str, datetime] | None = None,
    visit_time_zone: str | None = None,
) -> list[PlannedOccurrence]:
    """Every occurrence of the patient's plan, sorted by (due_at, rank, key).

    Pure: the same inputs always give an equal list, so a stored plan can be recomputed and
    matched row-by-row on `key`. Treatments are taken in performed_at order ("t1" is the
    earliest, whatever its method, unless the treatments carry their own `number`); adding a
    later treatment never changes the key or time of an occurrence that still exists, except
    what the later one overrides (a clinic stocking it outlasts, cream while its stocking is
    on). `bookings` maps an appointment key (e.g.
    "follow_up/1") to the time the clinic booked; keys that name no appointment in the plan
    are ignored. `visit_time_zone` is the clinic's zone, whose wall clock places visits not yet
    booked (None: the patient's zone).

    The rules themselves are data (see app/protocols/<name>/v<N>.toml); here:
    - each session's own tasks come from the protocol of its method (`Protocol.for_method`);
      visits and courses count every session;
    - nothing is due, and nothing is reminded, in the patient's night (booked appointments
      keep their booked time, but their reminder still avoids the night; tentative ones are
      not reminded at all);
    - two occurrences of one task at the same instant are one: the key that sorts first
      (numbers compared as numbers, so an earlier treatment's wins) is kept; a dose task's
      doses closer than its min_gap_hours merge into the earlier one;
    - an occurrence whose window would be empty (ends before it is due) is left out;
    - remind_at is due_at for tasks, remind_hours_before due_at for booked appointments (moved
      back to the previous bed time if that is in the night), None for info, restrictions and
      tentative (unbooked) appointments.

    Raises ValueError for a naive datetime, an unknown time zone, wake_time == bed_time, or a
    treatment method the protocol does not know.
    """
    rhythm = Rhythm.from_preferences(preferences)
    visit_zone = rhythm.zone if visit_time_zone is None else zone_for(visit_time_zone)
    booked = {key: _utc(at, f"booking {key!r}") for key, at in (bookings or {}).items()}
    ordered = sorted(
        ((_utc(t.performed_at, "treatment performed_at"), t.method, t.number) for t in treatments),
        key=lambda t: t[0],
    )
    if not ordered:
        return []
    numbers = [number or place for place, (_, _, number) in enumerate(ordered, start=1)]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"treatment numbers must be distinct, got {numbers}")
    chosen = [protocol.for_method(method) for _, method, _ in ordered]
    sessions = tuple(
        Session(ordinal=n, at=at, day0=rhythm.local_date(at), counts=p.counts_as_last_treatment)
        for n, (at, _, _), p in zip(numbers, ordered, chosen, strict=True)
    )
    planned: list[PlannedOccurrence] = []
    first_rank = 0
    for part in (protocol, *protocol.method_protocols):
        own = tuple(s for s, p in zip(sessions, chosen, strict=True) if p is part)
        if part is not protocol and not own:
            continue  # a method nobody had; the main protocol always runs (visits)
        ctx = _context(part, rhythm, own, sessions, booked, visit_zone)
        planned.extend(_plan_part(part, ctx, preferences, first_rank))
        first_rank += len(part.tasks)  # at one instant, the main protocol's tasks come first
    planned.sort(key=lambda o: (o.due_at, o.rank, o.key))
    return planned


def _context(
    protocol: Protocol,
    rhythm: Rhythm,
    own: tuple[Session, ...],
    sessions: tuple[Session, ...],
    booked: Mapping[str, datetime],
    visit_zone: ZoneInfo,
) -> Context:
    # Events are computed for every `once` task, even one skipped by `requires`, so that
    # the tasks referring to them keep working.
    events = {
        task.code: event_of(task, rhythm, own)
        for task in protocol.tasks
        if isinstance(task, OnceTask)
    }
    return Context(
        rhythm=rhythm,
        sessions=own,
        all_sessions=sessions,
        events=events,
        bookings=booked,
        visit_zone=visit_zone,
    )


def _plan_part(
    protocol: Protocol, ctx: Context, preferences: Preferences, first_rank: int
) -> Iterator[PlannedOccurrence]:
    """One protocol's occurrences over its own sessions (visits: over all of them)."""
    for rank, task in enumerate(protocol.tasks, start=first_rank):
        if task.requires is not None and not getattr(preferences, task.requires):
            continue
        kept = _dedupe(d for d in drafts(task, ctx) if d.window_end > d.due)
        if isinstance(task, DosesTask | DoseCourseTask) and task.min_gap_hours > 0:
            kept = _spaced(kept, hours(task.min_gap_hours))
        yield from (_finish(task, d, ctx.rhythm, rank) for d in kept)


def _utc(at: datetime, what: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {at.isoformat()}")
    return at.astimezone(UTC)


# Keys repeat from patient to patient (same protocol): splitting them was a third of a plan.
@lru_cache(maxsize=16384)
def _natural(key: str) -> tuple[str | int, ...]:
    """Sort key comparing numbers as numbers, so "t2" < "t10" and earlier treatments win."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key))


def _dedupe(candidates: Iterable[Draft]) -> list[Draft]:
    """One occurrence per instant for a task (and per key): the naturally smallest key wins.

    Because "t1" sorts before "t2", an earlier treatment's occurrence is the one kept, which is
    what keeps existing keys stable when a later treatment is added.
    """
    by_due: dict[datetime, Draft] = {}
    for draft in sorted(candidates, key=lambda d: _natural(d.key)):
        by_due.setdefault(draft.due, draft)
    by_key: dict[str, Draft] = {}
    for draft in sorted(by_due.values(), key=lambda d: (d.due, _natural(d.key))):
        by_key.setdefault(draft.key, draft)
    return list(by_key.values())


def _spaced(drafts: Sequence[Draft], gap: timedelta) -> list[Draft]:
    """Doses closer than `gap` to the previous kept one merge into it: the earlier instant
    (and its key) is kept, so cream goes on as soon as the stocking is off."""
    kept: list[Draft] = []
    for draft in sorted(drafts, key=lambda d: (d.due, _natural(d.key))):
        if not kept or draft.due - kept[-1].due >= gap:
            kept.append(draft)
    return kept


def _finish(task: Task, draft: Draft, rhythm: Rhythm, rank: int) -> PlannedOccurrence:
    kind = OccurrenceKind(task.kind)
    notifies = kind in _NOTIFYING and not draft.tentative
    remind_at: datetime | None = None
    if notifies and kind is OccurrenceKind.APPOINTMENT and draft.remind_lead is not None:
        # An appointment may be reminded earlier than asked (previous bed time), never at night.
        remind_at = rhythm.back_to_bed_time(draft.due - draft.remind_lead)
    elif notifies:
        remind_at = draft.due
    return PlannedOccurrence(
        key=draft.key,
        task=task.code,
        kind=kind,
        title=draft.title,
        instructions=draft.instructions,
        due_at=draft.due,
        local_due=rhythm.local(draft.due),
        window_end=draft.window_end.astimezone(UTC),
        notifies=notifies,
        remind_at=remind_at,
        rank=rank,
        tentative=draft.tentative,
    )
