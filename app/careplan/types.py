"""Value types the planner reads and writes; no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum


class OccurrenceKind(StrEnum):
    """What a patient can do with an occurrence."""

    TASK = "task"  # tick it off; counts for adherence
    INFO = "info"  # advice shown while active (due_at .. window_end)
    RESTRICTION = "restriction"  # something to avoid while active
    APPOINTMENT = "appointment"  # a clinic visit at due_at


@dataclass(frozen=True, slots=True)
class Preferences:
    """A patient's daily rhythm; wake/bed are local wall-clock times in `time_zone`."""

    time_zone: str
    wake_time: time = time(7, 30)
    bed_time: time = time(22, 0)
    stockings_advised: bool = False


@dataclass(frozen=True, slots=True)
class TreatmentSession:
    """One treatment session; `performed_at` is timezone-aware.

    `number` is the treatment's own number, "t2" in the plan's keys; None: its place in time
    order. A stored treatment keeps its number whatever happens to the others (a voided one is
    not planned, and the next keeps "t2"), so no key ever moves to another treatment.
    """

    performed_at: datetime
    method: str = "sclerotherapy"
    number: int | None = None


@dataclass(frozen=True, slots=True)
class PlannedOccurrence:
    """One thing in a patient's plan.

    `key` is stable across recomputation (same inputs -> same key) so stored rows can be
    matched to a new plan. All `*_at` values are aware UTC; `local_due` is `due_at` in the
    patient's zone. `remind_at` is when a reminder should go out (None when `notifies` is false).
    `rank` is the rule's position in the protocol: at one instant, the protocol's order is the
    order to do things in (take the stocking off, then put the cream on). `tentative`: a visit
    the clinic has not booked yet; it does not notify and its time is not shown to the patient.
    """

    key: str
    task: str
    kind: OccurrenceKind
    title: str
    instructions: str
    due_at: datetime
    local_due: datetime
    window_end: datetime
    notifies: bool
    remind_at: datetime | None
    rank: int = 0
    tentative: bool = False
