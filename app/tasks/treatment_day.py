"""Which day after treatment an instant falls on, counted in the patient's local dates.

Stored on every occurrence (`Occurrence.treatment_day`) so that the clinic's adherence overview
groups by it in SQL instead of converting every due instant to a local date per request.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo


class TreatmentDays:
    """Days after the latest treatment at or before an instant, for one patient.

    Day 0 is the treatment's own local date; a re-treatment starts again at 0 (the plan follows
    the **last** treatment). An instant before every treatment belongs to no day (None).
    """

    def __init__(self, treated_at: Sequence[datetime], zone: ZoneInfo) -> None:
        self._instants = sorted(treated_at)
        self._zone = zone
        self._dates = [self._local_date(at) for at in self._instants]

    def of(self, instant: datetime) -> int | None:
        latest = bisect.bisect_right(self._instants, instant) - 1
        if latest < 0:
            return None
        return (self._local_date(instant) - self._dates[latest]).days

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self._zone).date()
