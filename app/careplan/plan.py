"""compute_plan: a protocol, a patient's treatments and preferences -> their dated plan."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from app.careplan.daytime import Rhythm
from app.careplan.schedules import Context, Draft, Session, drafts, once_due
from app.careplan.types import OccurrenceKind, PlannedOccurrence, Preferences, TreatmentSession
from app.protocols.loader import OnceTask, Protocol, Task

_NOTIFYING = frozenset({OccurrenceKind.TASK, OccurrenceKind.APPOINTMENT})


def compute_plan(
    protocol: Protocol,
    treatments: Sequence[TreatmentSession],
    preferences: Preferences,
    bookings: Mapping[str, datetime] | None = None,
) -> list[PlannedOccurrence]:
    """Every occurrence of the patient's plan, sorted by (due_at, rank, key).

    Pure: the same inputs always give an equal list, so a stored plan can be recomputed and
    matched row-by-row on `key`. Treatments are taken in performed_at order ("t1" is the
    earliest); adding a later treatment never changes the key or time of an occurrence that
    still exists. `bookings` maps an appointment key (e.g. "follow_up/1") to the time the
    clinic booked; keys that name no appointment in the plan are ignored.

    The rules themselves are data (see app/protocols/microsclerotherapy.toml); here:
    - nothing is due, and nothing is reminded, in the patient's night (booked appointments
      keep their booked time, but their reminder still avoids the night);
    - two occurrences of one task at the same instant are one: the key that sorts first
      (numbers compared as numbers, so an earlier treatment's wins) is kept;
    - an occurrence whose window would be empty (ends before it is due) is left out;
    - remind_at is due_at for tasks, remind_hours_before due_at for appointments (moved back
      to the previous bed time if that is in the night), None for info and restrictions.

    Raises ValueError for a naive datetime, an unknown time zone, or wake_time == bed_time.
    """
    rhythm = Rhythm.from_preferences(preferences)
    booked = {key: _utc(at, f"booking {key!r}") for key, at in (bookings or {}).items()}
    instants = sorted(_utc(t.performed_at, "treatment performed_at") for t in treatments)
    if not instants:
        return []
    sessions = tuple(
        Session(ordinal=n, at=at, day0=rhythm.local_date(at))
        for n, at in enumerate(instants, start=1)
    )
    base = Context(rhythm=rhythm, sessions=sessions, events={}, bookings=booked)
    # Events are computed for every `once` task, even one skipped by `requires`, so that
    # the tasks referring to them keep working.
    events = {
        task.code: once_due(task, base) for task in protocol.tasks if isinstance(task, OnceTask)
    }
    ctx = Context(rhythm=rhythm, sessions=sessions, events=events, bookings=booked)

    planned: list[PlannedOccurrence] = []
    for rank, task in enumerate(protocol.tasks):
        if task.requires is not None and not getattr(preferences, task.requires):
            continue
        kept = _dedupe(d for d in drafts(task, ctx) if d.window_end > d.due)
        planned.extend(_finish(task, d, rhythm, rank) for d in kept)
    planned.sort(key=lambda o: (o.due_at, o.rank, o.key))
    return planned


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


def _finish(task: Task, draft: Draft, rhythm: Rhythm, rank: int) -> PlannedOccurrence:
    kind = OccurrenceKind(task.kind)
    notifies = kind in _NOTIFYING
    remind_at: datetime | None = None
    if kind is OccurrenceKind.APPOINTMENT and draft.remind_lead is not None:
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
    )
