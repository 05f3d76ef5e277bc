"""One patient's local clock: building local wall times and telling night from day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.careplan.types import Preferences

MIDNIGHT = time(0, 0)
ONE_DAY = timedelta(days=1)


def zone_for(name: str) -> ZoneInfo:
    """The IANA zone `name`, or ValueError("unknown time zone 'X'")."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        # ValueError too: zoneinfo rejects malformed keys ("", "../x") with it.
        raise ValueError(f"unknown time zone {name!r}") from exc


def localize_in(zone: ZoneInfo, wall: datetime) -> datetime:
    """The UTC instant of a naive wall time in `zone`.

    A wall time inside a DST gap does not exist: with fold=0 zoneinfo reads it with the
    offset from before the gap, which lands it later by the gap's length (01:30 -> 02:30).
    An ambiguous wall time (DST ends) gets fold=0, i.e. its first occurrence.
    """
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Rhythm:
    """A patient's zone with their wake and bed times (local wall-clock times).

    The night is the open interval (bed, wake), wrapping midnight when bed > wake. A patient's
    "day" D runs from the wake time on date D to the bed time that follows it, which is on
    date D + 1 when the bed time is after midnight (bed < wake).
    """

    zone: ZoneInfo
    wake: time
    bed: time
    # Local wall time -> instant, remembered: telling night from day asks for the same few
    # wake and bed instants again and again, and the zone lookup was half of a plan's cost.
    _walls: dict[tuple[date, time], datetime] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def from_preferences(cls, preferences: Preferences) -> Rhythm:
        """Validate the preferences (ValueError) and build the rhythm."""
        zone = zone_for(preferences.time_zone)
        wake, bed = preferences.wake_time, preferences.bed_time
        if wake.tzinfo is not None or bed.tzinfo is not None:
            raise ValueError("wake_time and bed_time must be local times without a time zone")
        # Times compare ignoring fold, so strip it once here.
        wake, bed = wake.replace(fold=0), bed.replace(fold=0)
        if wake == bed:
            raise ValueError(f"wake_time and bed_time must differ (both are {wake:%H:%M})")
        return cls(zone=zone, wake=wake, bed=bed)

    # --- building instants from local wall times -------------------------------------------

    def localize(self, wall: datetime) -> datetime:
        """The UTC instant of a naive local wall time (see `localize_in`)."""
        return localize_in(self.zone, wall)

    def wall(self, day: date, at: time) -> datetime:
        """The UTC instant of local clock time `at` on local date `day`."""
        key = (day, at)
        found = self._walls.get(key)
        if found is None:
            found = self._walls[key] = self.localize(datetime.combine(day, at))
        return found

    def start_of(self, day: date) -> datetime:
        """Local midnight at the start of `day` (or the first instant after, in a DST gap)."""
        return self.wall(day, MIDNIGHT)

    def bed_date(self, day: date) -> date:
        """The calendar date of the bed time that ends patient day `day`."""
        return day if self.bed > self.wake else day + ONE_DAY

    def wake_on(self, day: date) -> datetime:
        """The wake-time instant that starts patient day `day`."""
        return self.wall(day, self.wake)

    def bed_ending(self, day: date) -> datetime:
        """The bed-time instant that ends patient day `day`."""
        return self.wall(self.bed_date(day), self.bed)

    # --- reading instants -----------------------------------------------------------------

    def local(self, instant: datetime) -> datetime:
        """`instant` on the patient's wall clock."""
        return instant.astimezone(self.zone)

    def local_date(self, instant: datetime) -> date:
        return self.local(instant).date()

    def is_night(self, instant: datetime) -> bool:
        """True when the patient is asleep at `instant` (bed and wake times themselves are day).

        Two readings are combined so that DST edges are safe both ways: the local clock time
        lies strictly between bed and wake, OR the instant lies strictly between a bed-time
        instant and the next wake-time instant. They differ only around DST changes, e.g. the
        repeated 01:00-02:00 hour in autumn with a 01:00 bed time (the second 01:15 reads like
        "after bed" by the clock and is also after the real bed-time instant).

        A bed or wake time inside a DST gap moves forward by the gap (see `localize`); that
        instant is still bed or wake time, so it is day: otherwise that night's bed-time dose
        would be pushed to the morning and lost in a merge.
        """
        today = self.local_date(instant)
        if self._is_bed_or_wake(instant, today):
            return False
        clock = self.local(instant).time()
        if self.bed > self.wake:
            by_clock = clock > self.bed or clock < self.wake
        else:
            by_clock = self.bed < clock < self.wake
        if by_clock:
            return True
        for day in (today - ONE_DAY, today, today + ONE_DAY):
            # The night before patient day `day` ends at its wake time.
            if self.bed_ending(day - ONE_DAY) < instant < self.wake_on(day):
                return True
        return False

    def _is_bed_or_wake(self, instant: datetime, today: date) -> bool:
        return any(
            instant in (self.wake_on(day), self.bed_ending(day))
            for day in (today - ONE_DAY, today, today + ONE_DAY)
        )

    def next_wake(self, instant: datetime) -> datetime:
        """The first wake-time instant strictly after `instant`."""
        today = self.local_date(instant)
        candidates = (self.wake_on(today + timedelta(days=n)) for n in range(-1, 3))
        return min(w for w in candidates if w > instant)

    def to_daytime(self, instant: datetime) -> datetime:
        """`instant` itself, or the next wake time if it is in the night ("push to morning")."""
        return self.next_wake(instant) if self.is_night(instant) else instant

    def back_to_bed_time(self, instant: datetime) -> datetime:
        """`instant` itself, or, if it is in the night, the latest bed-time instant before it
        that is not itself in the night (it can be, when bed time falls in a DST gap)."""
        if not self.is_night(instant):
            return instant
        today = self.local_date(instant)
        for back in range(-1, 8):
            bed = self.bed_ending(today - timedelta(days=back))
            if bed <= instant and not self.is_night(bed):
                return bed
        # Unreachable for real zones (bed times are at most one DST quirk apart); stay safe.
        raise ValueError(f"no bed time before {instant.isoformat()} is outside the night")


def last_day(end: datetime, zone: ZoneInfo) -> date:
    """The last local day a span ending at `end` reaches: a span ends at the midnight after its
    last day, so that day is the one before (one rule for the app, the console and the
    profile, so "no aspirin until and including Tuesday 12 January" reads the same everywhere)."""
    return (end.astimezone(zone) - timedelta(microseconds=1)).date()


def ends_at_midnight(end: datetime, zone: ZoneInfo) -> bool:
    """Whether a span ends at a local midnight, i.e. covers its last day whole."""
    return end.astimezone(zone).time() == MIDNIGHT
