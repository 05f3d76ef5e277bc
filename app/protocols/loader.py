"""Read a protocol TOML file and validate it into typed, immutable pydantic models.

Packaged protocols live in versions, `app/protocols/<name>/v<N>.toml`: a patient enrolled on
version N keeps N's data, so a change of rules is a new file, never an edit of a shipped one.
Every field added after version 1 has a default that reproduces version 1's behaviour.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    model_validator,
)

__all__ = [
    "AppointmentsTask",
    "DailyCourseTask",
    "DailyTask",
    "Dose",
    "DoseCourseTask",
    "DosesTask",
    "MethodRef",
    "OnceTask",
    "Protocol",
    "ProtocolError",
    "RepeatTask",
    "SpanTask",
    "Task",
    "Visit",
    "available_versions",
    "load_protocol",
    "load_protocol_file",
]

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_VERSION_FILE = re.compile(r"^v([1-9][0-9]{0,5})\.toml$")

# Limits mirror the occurrence table's columns (task 40, title 200, instructions 2000) so a
# protocol that loads can always be stored.
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Hours = Annotated[float, Field(gt=0, le=24 * 366, allow_inf_nan=False)]
# A day number counted from the treatment's local date; capped at a year to catch typos.
Day = Annotated[int, Field(ge=0, le=366)]
Offset = Annotated[float, Field(gt=-24, lt=24, allow_inf_nan=False)]
# 0 = no minimum: doses merge only when they fall on the same instant (version 1).
Gap = Annotated[float, Field(ge=0, lt=24, allow_inf_nan=False)]
Kind = Literal["task", "info", "restriction", "appointment"]
# Patient preferences a task may depend on (names of boolean fields of Preferences).
Requirement = Literal["stockings_advised"]


class ProtocolError(ValueError):
    """A protocol file is missing or does not describe a valid protocol."""


class _Model(BaseModel):
    # Frozen because load_protocol caches one shared instance per name.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_at(value: str) -> str:
    if value in ("wake", "bed") or _CLOCK.match(value):
        return value
    raise ValueError(f'\'at\' must be "wake", "bed" or a 24-hour time "HH:MM", not {value!r}')


def _check_day_range(from_day: int, through_day: int) -> None:
    if from_day > through_day:
        raise ValueError(f"from_day ({from_day}) must not be after through_day ({through_day})")


# When in the patient's day: "wake", "bed" (the bed time ending that day) or local "HH:MM".
At = Annotated[str, AfterValidator(_check_at)]


class _TaskBase(_Model):
    code: Code
    kind: Kind
    title: Title
    instructions: Text
    # The task is planned only when this preference is true.
    requires: Requirement | None = None

    @model_validator(mode="after")
    def _appointment_kind(self) -> Self:
        is_visit = getattr(self, "schedule", None) == "appointments"
        if is_visit != (self.kind == "appointment"):
            raise ValueError(
                'kind "appointment" goes with schedule "appointments" and only with it'
            )
        return self


class SpanTask(_TaskBase):
    """One occurrence per treatment, active from the treatment for a while.

    Due at performed_at (pushed to the next wake time if that is in the night). It ends
    `hours` after performed_at, or at local midnight after day `through_day`: give exactly one.
    """

    schedule: Literal["span"]
    hours: Hours | None = None
    through_day: Day | None = None

    @model_validator(mode="after")
    def _one_end(self) -> Self:
        if (self.hours is None) == (self.through_day is None):
            raise ValueError("give exactly one of 'hours' or 'through_day'")
        return self


class RepeatTask(_TaskBase):
    """Every `every_hours` of real time after a treatment, strictly before `for_hours`.

    Occurrences that fall in the night are dropped (not moved).
    """

    schedule: Literal["repeat"]
    every_hours: Hours
    for_hours: Hours

    @model_validator(mode="after")
    def _fits(self) -> Self:
        if self.every_hours >= self.for_hours:
            raise ValueError("every_hours must be shorter than for_hours")
        return self


class OnceTask(_TaskBase):
    """Once per treatment, `after_hours` of real time after it (night -> next wake time).

    Other tasks may refer to its code as an event (`not_before`, `after`).
    """

    schedule: Literal["once"]
    after_hours: Hours
    window_hours: Hours


class Dose(_Model):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=16)]
    at: At
    offset_hours: Offset = 0


def _check_dose_names(doses: tuple[Dose, ...]) -> None:
    names = [dose.name for dose in doses]
    if len(set(names)) != len(names):
        raise ValueError(f"dose names must be unique, got {names}")


class DosesTask(_TaskBase):
    """Named doses on days from_day..through_day of each treatment, at wake/bed/clock times.

    A dose earlier than the same treatment's `not_before` event moves to that event, and a
    dose while any treatment's `not_before` state lasts (its stocking is on) waits for it to
    end; doses of one task closer than `min_gap_hours` then merge into the earlier one.
    """

    schedule: Literal["doses"]
    from_day: Day
    through_day: Day
    doses: Annotated[tuple[Dose, ...], Field(min_length=1)]
    not_before: Code | None = None
    min_gap_hours: Gap = 0
    window_hours: Hours

    @model_validator(mode="after")
    def _check(self) -> Self:
        _check_day_range(self.from_day, self.through_day)
        _check_dose_names(self.doses)
        return self


class DoseCourseTask(_TaskBase):
    """A course of `days` x len(doses) doses counted from each treatment's `after` event.

    The first dose is at the event (the last stocking coming off: "first" in its key); then
    one at each following dose anchor (wake, bed, ...) that is not in the night and at least
    `min_gap_hours` after the previous dose, until the count is reached. A dose while a later
    treatment's `after` state lasts waits for it to end; doses of the task closer than
    `min_gap_hours` merge into the earlier one.
    """

    schedule: Literal["dose_course"]
    after: Code
    days: Annotated[int, Field(ge=1, le=366)]
    doses: Annotated[tuple[Dose, ...], Field(min_length=1)]
    min_gap_hours: Gap = 0
    window_hours: Hours

    @model_validator(mode="after")
    def _check(self) -> Self:
        _check_dose_names(self.doses)
        if "first" in {dose.name for dose in self.doses}:
            raise ValueError('"first" names the dose at the event; give the doses other names')
        return self

    @property
    def count(self) -> int:
        """How many doses one course has."""
        return self.days * len(self.doses)


class DailyTask(_TaskBase):
    """Once a day on days from_day..through_day of any treatment; one per local date.

    A day whose time is before the treatment itself is skipped for that treatment.
    """

    schedule: Literal["daily"]
    from_day: Day
    through_day: Day
    at: At
    offset_hours: Offset = 0
    window_hours: Hours

    @model_validator(mode="after")
    def _check(self) -> Self:
        _check_day_range(self.from_day, self.through_day)
        return self


class DailyCourseTask(_TaskBase):
    """Once a day from just after the first treatment's `after` event to day `through_day` of
    the last treatment; paused from each treatment until its own `after` event."""

    schedule: Literal["daily_course"]
    after: Code
    through_day: Day
    at: At
    offset_hours: Offset = 0
    window_hours: Hours


class Visit(_Model):
    number: Annotated[int, Field(ge=1, le=99)]
    day: Day
    title: Title | None = None
    instructions: Text | None = None


class AppointmentsTask(_TaskBase):
    """Clinic visits on given days after the first treatment of a course, at its time of day.

    A treatment on or after the local date of visit `new_course_after_visit` (default: the
    visit with the largest day, the final review) starts a new course with its own visits.
    """

    schedule: Literal["appointments"]
    visits: Annotated[tuple[Visit, ...], Field(min_length=1)]
    window_hours: Hours
    remind_hours_before: Hours
    new_course_after_visit: Annotated[int, Field(ge=1, le=99)] | None = None

    @model_validator(mode="after")
    def _check(self) -> Self:
        numbers = [visit.number for visit in self.visits]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"visit numbers must be unique, got {numbers}")
        if self.new_course_after_visit not in (None, *numbers):
            raise ValueError(
                f"new_course_after_visit = {self.new_course_after_visit} names no visit "
                f"(visits: {numbers})"
            )
        return self

    @property
    def course_end_visit(self) -> Visit:
        """The visit whose date ends a course (a treatment from then on starts a new one)."""
        if self.new_course_after_visit is None:
            return max(self.visits, key=lambda visit: visit.day)
        return next(v for v in self.visits if v.number == self.new_course_after_visit)


Task = Annotated[
    SpanTask
    | RepeatTask
    | OnceTask
    | DosesTask
    | DoseCourseTask
    | DailyTask
    | DailyCourseTask
    | AppointmentsTask,
    Field(discriminator="schedule"),
]
ProtocolName = Annotated[str, StringConstraints(pattern=_NAME.pattern, max_length=64)]
Method = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=20)]


class MethodRef(_Model):
    """Another packaged protocol (pinned to a version) that a treatment method uses."""

    protocol: ProtocolName
    version: Annotated[int, Field(ge=1)]


class Protocol(_Model):
    """A whole protocol: its name, version and the tasks the planner turns into occurrences.

    `methods` maps a treatment method to the protocol for that session's own tasks ("self" or
    another packaged protocol and version); without the table every method uses this protocol.
    The packaged loader resolves it at load time (see `for_method`), so a patient's pinned
    version pins the method protocols too. `counts_as_last_treatment`: whether a session under
    this protocol extends the course-long periods (e.g. the support-stockings course).
    """

    name: ProtocolName
    version: Annotated[int, Field(ge=1)]
    counts_as_last_treatment: bool = True
    # What to prepare, shown to a patient enrolled before the treatment (text only, no plan).
    preparation: tuple[Annotated[str, Field(min_length=1, max_length=300)], ...] = ()
    methods: dict[Method, Literal["self"] | MethodRef] | None = None
    tasks: Annotated[tuple[Task, ...], Field(min_length=1)]
    # Filled by the loader from `methods`: the protocol object per method other than "self".
    _method_protocols: dict[str, Protocol] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check_tasks(self) -> Self:
        seen: set[str] = set()
        for task in self.tasks:
            if task.code in seen:
                raise ValueError(f"task code {task.code!r} is used more than once")
            seen.add(task.code)
        events = {task.code for task in self.tasks if isinstance(task, OnceTask)}
        for task in self.tasks:
            field, ref = _reference(task)
            if ref is not None and ref not in events:
                raise ValueError(
                    f"task {task.code!r}: {field} = {ref!r} must name a task with "
                    f'schedule "once" (known: {sorted(events)})'
                )
        return self

    @property
    def codes(self) -> tuple[str, ...]:
        """Task codes in file order."""
        return tuple(task.code for task in self.tasks)

    def task(self, code: str) -> Task:
        """The task with this code (KeyError if there is none)."""
        for task in self.tasks:
            if task.code == code:
                return task
        raise KeyError(code)

    def for_method(self, method: str) -> Protocol:
        """The protocol for a session of treatment `method` (ValueError if it has none)."""
        if self.methods is None or self.methods.get(method) == "self":
            return self
        found = self._method_protocols.get(method)
        if found is None:
            raise ValueError(
                f"protocol {self.name!r} v{self.version} has no treatment method {method!r} "
                f"(known: {sorted(self.methods)})"
            )
        return found

    @property
    def method_protocols(self) -> tuple[Protocol, ...]:
        """The other protocols this one's methods use, in the order of the `methods` table."""
        found: list[Protocol] = []
        for other in self._method_protocols.values():
            if all(other is not seen for seen in found):
                found.append(other)
        return tuple(found)


def _reference(task: Task) -> tuple[str, str | None]:
    if isinstance(task, DosesTask):
        return "not_before", task.not_before
    if isinstance(task, DailyCourseTask | DoseCourseTask):
        return "after", task.after
    return "", None


def _location(loc: tuple[int | str, ...], data: Any) -> str:
    """Render a pydantic error location like `tasks[1] (elevate_legs).every_hours`."""
    # A task's location carries its union tag after the index ("tasks", 1, "repeat", ...);
    # it is not a key in the file, so leave it out (it may equal a real key, like "doses").
    if len(loc) >= 3 and loc[0] == "tasks" and isinstance(loc[1], int):
        tasks = data.get("tasks") if isinstance(data, dict) else None
        task = tasks[loc[1]] if isinstance(tasks, list) and loc[1] < len(tasks) else None
        if isinstance(task, dict) and loc[2] == task.get("schedule"):
            loc = loc[:2] + loc[3:]
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
            node = node[item] if isinstance(node, list) and 0 <= item < len(node) else None
            code = node.get("code") if isinstance(node, dict) else None
            if isinstance(code, str):
                parts.append(f" ({code})")
        else:
            parts.append(f".{item}" if parts else item)
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts)


def _parse(text: str, source: str) -> Protocol:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = _location(tuple(error["loc"]), data)
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise ProtocolError(f"{source}: " + "; ".join(problems)) from exc


def load_protocol_file(path: str | os.PathLike[str]) -> Protocol:
    """Load and validate a protocol from any file (for tests and for checking drafts).

    Its `methods` table, if any, names packaged protocols, which are loaded with it.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(f"{file}: cannot read protocol file: {exc.strerror}") from exc
    return _with_methods(_parse(text, str(file)), str(file))


def load_protocol(name: str = "microsclerotherapy", version: int | None = None) -> Protocol:
    """The packaged protocol `app/protocols/<name>/v<version>.toml` (None: the newest shipped),
    validated once and then cached.

    Raises ProtocolError naming the file and the problem when it is missing or invalid, and
    naming the protocols or versions that exist when `name` or `version` is unknown.
    """
    versions = available_versions(name)
    chosen = versions[-1] if version is None else version
    if chosen not in versions:
        shipped = ", ".join(str(v) for v in versions)
        raise ProtocolError(
            f"app/protocols/{name}/v{chosen}.toml: no version {chosen!r} of protocol "
            f"{name!r} (shipped versions: {shipped})"
        )
    return _load_packaged(name, chosen)


def available_versions(name: str) -> tuple[int, ...]:
    """The versions of packaged protocol `name`, oldest first (ProtocolError if none)."""
    # The name comes from settings or the database; never let it walk out of the package.
    if not _NAME.match(name):
        raise ProtocolError(f"invalid protocol name {name!r}")
    folder = _package().joinpath(name)
    found = sorted(_versions_in(folder)) if folder.is_dir() else []
    if not found:
        known = ", ".join(_shipped_names()) or "none"
        raise ProtocolError(
            f"app/protocols/{name}/: no such protocol {name!r} (shipped protocols: {known})"
        )
    return tuple(found)


def _package() -> resources.abc.Traversable:
    return resources.files(__package__ or "app.protocols")


def _versions_in(folder: resources.abc.Traversable) -> list[int]:
    return [
        int(match.group(1))
        for entry in folder.iterdir()
        if (match := _VERSION_FILE.match(entry.name)) and entry.is_file()
    ]


def _shipped_names() -> list[str]:
    return sorted(
        entry.name
        for entry in _package().iterdir()
        if entry.is_dir() and _NAME.match(entry.name) and _versions_in(entry)
    )


@functools.cache  # one shared (immutable) instance per name and version
def _load_packaged(name: str, version: int) -> Protocol:
    source = f"app/protocols/{name}/v{version}.toml"
    resource = _package().joinpath(name).joinpath(f"v{version}.toml")
    protocol = _parse(resource.read_text(encoding="utf-8"), source)
    if protocol.name != name:
        raise ProtocolError(f"{source}: name = {protocol.name!r} does not match the folder name")
    if protocol.version != version:
        raise ProtocolError(f"{source}: version = {protocol.version} does not match the file name")
    return _with_methods(protocol, source)


def _with_methods(protocol: Protocol, source: str) -> Protocol:
    """`protocol` with its `methods` table resolved to the packaged protocols it names."""
    resolved: dict[str, Protocol] = {}
    for method, ref in (protocol.methods or {}).items():
        if ref == "self":
            continue
        assert isinstance(ref, MethodRef)  # the model allows only "self" or a MethodRef
        where = f"{source}: methods.{method}"
        try:
            other = load_protocol(ref.protocol, ref.version)
        except ProtocolError as exc:
            raise ProtocolError(f"{where}: {exc}") from exc
        _check_method_protocol(protocol, other, where)
        resolved[method] = other
    protocol._method_protocols = resolved
    return protocol


def _check_method_protocol(main: Protocol, other: Protocol, where: str) -> None:
    # One level only (no cycles to chase), and codes stay unique across the plan so that
    # keys and ranks never mix two protocols' tasks.
    if other.methods is not None:
        raise ProtocolError(f"{where}: protocol {other.name!r} has its own [methods] table")
    shared = sorted(set(main.codes) & set(other.codes))
    if shared:
        raise ProtocolError(f"{where}: protocol {other.name!r} reuses task codes {shared}")
    if any(isinstance(task, AppointmentsTask) for task in other.tasks):
        # Visits belong to the course, over all sessions: only the main protocol plans them.
        raise ProtocolError(f"{where}: protocol {other.name!r} has appointments")
