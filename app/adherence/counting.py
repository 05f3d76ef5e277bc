"""The adherence rule shared by the patient list and the overview: which tasks count, percent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Integer, case, func
from sqlmodel import col

from app.tasks.models import Occurrence, OccurrenceStatus

TASK = "task"  # only occurrences of this kind can be ticked off; info and restrictions cannot


def due_task(now: datetime) -> list[ColumnElement[bool]]:
    """Conditions for a task that counts: a tickable task whose due time has come."""
    return [col(Occurrence.kind) == TASK, col(Occurrence.due_at) <= now]


def done_count() -> ColumnElement[int]:
    """SUM of ticked rows (0, never NULL, over an empty group when used with COALESCE)."""
    return func.coalesce(
        func.sum(case((col(Occurrence.status) == OccurrenceStatus.DONE, 1), else_=0)), 0
    ).cast(Integer)


def percent(done: int, due: int) -> int | None:
    """done/due as a whole percent, halves rounded up (not to even); None when nothing is due."""
    if due <= 0:
        return None
    return (200 * done + due) // (2 * due)
