"""Tests of the protocol loader: the shipped file is valid, broken copies fail clearly."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from app.protocols import loader
from app.protocols.loader import (
    AppointmentsTask,
    DoseCourseTask,
    DosesTask,
    Protocol,
    ProtocolError,
    RepeatTask,
    available_versions,
    load_protocol,
    load_protocol_file,
)

V1 = resources.files("app.protocols").joinpath("microsclerotherapy", "v1.toml")
SHIPPED = V1.read_text("utf-8")
# sha256 of app/protocols/microsclerotherapy.toml as shipped before versions (commit 56c4386).
V1_SHA256 = "1d148d88956dd68c4a4da8c2b781fd42fe2ca2ef277b71c51ac11104dc36a9b4"
SHIPPED_FILES = [("microsclerotherapy", 1), ("microsclerotherapy", 2), ("laser", 1)]

# Words an older, non-medical reader should not meet in a title or instruction.
JARGON = [
    "elevate",
    "compression",
    "sclerotherapy",
    "sclerosant",
    "nsaid",
    "anti-inflammatory",
    "topical",
    "apply",
    "thrombo",
    "dvt",
    "phlebitis",
    "hyperpigmentation",
    "ambulat",
    "prn",
    "b.i.d",
    "post-op",
    "24h",
]


def test_shipped_protocol_loads() -> None:
    protocol = load_protocol(version=1)
    assert isinstance(protocol, Protocol)
    assert (protocol.name, protocol.version) == ("microsclerotherapy", 1)
    assert protocol.codes == (
        "keep_dry",
        "elevate_legs",
        "remove_stocking",
        "walk_gently",
        "hydrocortisone",
        "stockings_on",
        "avoid_aspirin",
        "symptom_check",
        "follow_up",
    )
    elevate = protocol.task("elevate_legs")
    assert isinstance(elevate, RepeatTask)
    assert (elevate.every_hours, elevate.for_hours) == (2, 24)
    assert elevate.title == "Raise your legs"
    assert elevate.instructions == (
        "Rest with your legs up on a cushion, above the level of your hips, for 15 minutes."
    )
    follow_up = protocol.task("follow_up")
    assert isinstance(follow_up, AppointmentsTask)
    assert [(v.number, v.day, v.title) for v in follow_up.visits] == [
        (1, 14, "Check-up and possible top-up treatment"),
        (2, 56, "Final review"),
    ]
    with pytest.raises(KeyError):
        protocol.task("nope")


@pytest.mark.parametrize(("name", "version"), SHIPPED_FILES)
def test_shipped_texts_are_plain_english(name: str, version: int) -> None:
    protocol = load_protocol(name, version)
    visits = [v for t in protocol.tasks if isinstance(t, AppointmentsTask) for v in t.visits]
    titles = [t.title for t in protocol.tasks] + [v.title or "" for v in visits]
    instructions = [t.instructions for t in protocol.tasks]
    instructions += [v.instructions or "" for v in visits]
    for text in titles + instructions:
        assert text == text.strip() and "  " not in text and "\n" not in text
        assert text[0].isupper()
        assert [w for w in JARGON if w in text.lower()] == [], text
    for title in titles:
        assert len(title) <= 60 and not title.endswith("."), title
    for text in instructions:
        assert text.endswith("."), text
        # short sentences read more easily
        assert max(len(s.split()) for s in re.split(r"[.:;]", text)) <= 30, text


def test_load_protocol_is_cached_and_same_as_the_file() -> None:
    assert load_protocol() is load_protocol("microsclerotherapy")
    assert load_protocol() is load_protocol("microsclerotherapy", 2)
    assert load_protocol(version=1) is load_protocol("microsclerotherapy", 1)
    for name, version in SHIPPED_FILES:
        path = Path(str(resources.files("app.protocols").joinpath(name, f"v{version}.toml")))
        assert load_protocol_file(path) == load_protocol(name, version)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no_such_protocol", r"no such protocol 'no_such_protocol' \(shipped protocols: laser, "),
        ("../secrets", "invalid protocol name"),
    ],
    ids=["missing", "path-traversal"],
)
def test_load_protocol_rejects_bad_names(name: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        load_protocol(name)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProtocolError, match=r"missing\.toml: cannot read"):
        load_protocol_file(tmp_path / "missing.toml")


def _replace_in_task(code: str, old: str, new: str) -> str:
    """The shipped text with `old` replaced by `new` inside task `code`'s table only."""
    start = SHIPPED.index(f'code = "{code}"')
    end = SHIPPED.find("[[tasks]]", start)
    end = len(SHIPPED) if end == -1 else end
    section = SHIPPED[start:end]
    assert old in section, f"{old!r} not in {code}"
    return SHIPPED[:start] + section.replace(old, new, 1) + SHIPPED[end:]


BROKEN = [
    pytest.param(
        _replace_in_task("keep_dry", "hours = 24", 'hours = 24\ncolour = "blue"'),
        "tasks[0] (keep_dry).colour: Extra inputs are not permitted",
        id="unknown-key",
    ),
    pytest.param(
        SHIPPED.replace("version = 1", 'version = 1\nauthor = "me"'),
        "author: Extra inputs are not permitted",
        id="unknown-top-level-key",
    ),
    pytest.param(
        _replace_in_task("elevate_legs", "every_hours = 2", "every_hours = -2"),
        "tasks[1] (elevate_legs).every_hours: Input should be greater than 0",
        id="negative-interval",
    ),
    pytest.param(
        _replace_in_task("remove_stocking", "window_hours = 4", "window_hours = 0"),
        "tasks[2] (remove_stocking).window_hours: Input should be greater than 0",
        id="zero-window",
    ),
    pytest.param(
        _replace_in_task("walk_gently", 'code = "walk_gently"', 'code = "keep_dry"'),
        "task code 'keep_dry' is used more than once",
        id="duplicate-task-code",
    ),
    pytest.param(
        _replace_in_task("hydrocortisone", "from_day = 1", "from_day = 5"),
        "tasks[4] (hydrocortisone): from_day (5) must not be after through_day (3)",
        id="day-range-reversed",
    ),
    pytest.param(
        _replace_in_task("hydrocortisone", 'at = "bed"', 'at = "25:00"'),
        "tasks[4] (hydrocortisone).doses[1].at: 'at' must be",
        id="invalid-time",
    ),
    pytest.param(
        _replace_in_task("symptom_check", 'at = "bed"', 'at = "bedtime"'),
        "tasks[7] (symptom_check).at: 'at' must be",
        id="invalid-anchor",
    ),
    pytest.param(
        _replace_in_task(
            "hydrocortisone", 'not_before = "remove_stocking"', 'not_before = "remove_stockings"'
        ),
        "task 'hydrocortisone': not_before = 'remove_stockings' must name a task",
        id="unknown-event",
    ),
    pytest.param(
        _replace_in_task("stockings_on", 'after = "remove_stocking"', 'after = "keep_dry"'),
        "task 'stockings_on': after = 'keep_dry' must name a task with schedule \"once\"",
        id="event-not-once",
    ),
    pytest.param(
        _replace_in_task("keep_dry", "hours = 24", "hours = 24\nthrough_day = 1"),
        "tasks[0] (keep_dry): give exactly one of 'hours' or 'through_day'",
        id="span-two-ends",
    ),
    pytest.param(
        _replace_in_task("elevate_legs", "for_hours = 24", "for_hours = 1"),
        "tasks[1] (elevate_legs): every_hours must be shorter than for_hours",
        id="repeat-longer-than-window",
    ),
    pytest.param(
        _replace_in_task("elevate_legs", 'schedule = "repeat"', 'schedule = "weekly"'),
        "tasks[1] (elevate_legs): Input tag 'weekly' found using 'schedule' does not match",
        id="unknown-schedule",
    ),
    pytest.param(
        _replace_in_task("keep_dry", 'kind = "info"', 'kind = "appointment"'),
        'kind "appointment" goes with schedule "appointments"',
        id="appointment-kind-mismatch",
    ),
    pytest.param(
        _replace_in_task("keep_dry", 'kind = "info"', 'kind = "chore"'),
        "tasks[0] (keep_dry).kind: Input should be 'task', 'info', 'restriction' or 'appointment'",
        id="unknown-kind",
    ),
    pytest.param(
        _replace_in_task("stockings_on", 'requires = "stockings_advised"', 'requires = "rich"'),
        "tasks[5] (stockings_on).requires: Input should be 'stockings_advised'",
        id="unknown-requirement",
    ),
    pytest.param(
        _replace_in_task("hydrocortisone", 'name = "evening"', 'name = "morning"'),
        "dose names must be unique",
        id="duplicate-dose",
    ),
    pytest.param(
        _replace_in_task("follow_up", "number = 2", "number = 1"),
        "visit numbers must be unique",
        id="duplicate-visit",
    ),
    pytest.param(
        _replace_in_task("keep_dry", 'title = "Keep your legs dry for now"', 'title = "  "'),
        "tasks[0] (keep_dry).title: String should have at least 1 character",
        id="blank-title",
    ),
    pytest.param(
        SHIPPED.replace("version = 1\n", ""),
        "version: Field required",
        id="missing-version",
    ),
    pytest.param(
        SHIPPED.replace("version = 1", "version = [1"),
        "not valid TOML",
        id="not-toml",
    ),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_broken_protocol_names_the_file_and_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as caught:
        load_protocol_file(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_protocol_error_is_a_value_error() -> None:
    assert issubclass(ProtocolError, ValueError)


def test_models_are_immutable() -> None:
    protocol = load_protocol()
    with pytest.raises(ValueError, match=re.compile("frozen", re.IGNORECASE)):
        protocol.version = 2  # type: ignore[misc]


# --- versions (item 8) -----------------------------------------------------------------------


def test_newest_version_is_the_default_and_versions_are_listed() -> None:
    assert available_versions("microsclerotherapy") == (1, 2)
    assert available_versions("laser") == (1,)
    assert load_protocol().version == 2
    assert load_protocol("laser").version == 1


def test_version_one_is_todays_file_unchanged() -> None:
    # Patients enrolled on version 1 keep its data: the file is byte-for-byte what shipped
    # before versions existed.
    assert hashlib.sha256(V1.read_bytes()).hexdigest() == V1_SHA256
    v1 = load_protocol(version=1)
    assert v1.methods is None and v1.counts_as_last_treatment
    assert v1.for_method("laser") is v1  # no [methods] table: every method uses it
    doses = v1.task("hydrocortisone")
    assert isinstance(doses, DosesTask) and doses.min_gap_hours == 0
    follow_up = v1.task("follow_up")
    assert isinstance(follow_up, AppointmentsTask) and follow_up.new_course_after_visit is None
    assert follow_up.course_end_visit.number == 2  # default: the visit with the largest day


def test_version_two_changes_only_what_was_decided() -> None:
    v1, v2 = load_protocol(version=1), load_protocol(version=2)
    assert v1.codes == v2.codes
    changed = [t.code for t, u in zip(v1.tasks, v2.tasks, strict=True) if t != u]
    assert changed == ["hydrocortisone", "follow_up"]
    course = v2.task("hydrocortisone")
    assert isinstance(course, DoseCourseTask)
    assert (course.after, course.days, course.count, course.min_gap_hours) == (
        "remove_stocking",
        3,
        6,
        6,
    )
    assert [(d.name, d.at) for d in course.doses] == [("morning", "wake"), ("evening", "bed")]
    follow_up = v2.task("follow_up")
    assert isinstance(follow_up, AppointmentsTask) and follow_up.new_course_after_visit == 2


def test_methods_are_resolved_at_load_and_pinned_to_a_version() -> None:
    v2 = load_protocol(version=2)
    assert v2.for_method("sclerotherapy") is v2
    assert v2.for_method("laser") is load_protocol("laser", 1)
    assert v2.method_protocols == (load_protocol("laser", 1),)
    with pytest.raises(ValueError, match=r"no treatment method 'foam' \(known: \['laser', "):
        v2.for_method("foam")


def test_laser_protocol_is_a_draft_without_injection_aftercare() -> None:
    laser = load_protocol("laser", 1)
    assert not laser.counts_as_last_treatment
    assert laser.codes == ("avoid_heat", "sun_protection", "skin_check")
    text = resources.files("app.protocols").joinpath("laser", "v1.toml").read_text("utf-8")
    # every rule is marked for review in the file
    assert text.count("DRAFT FOR CLINICAL REVIEW") >= 1 + len(laser.tasks)
    assert {"remove_stocking", "hydrocortisone", "elevate_legs"}.isdisjoint(laser.codes)


@pytest.mark.parametrize(
    ("name", "version", "message"),
    [
        ("microsclerotherapy", 3, "no version 3 of protocol 'microsclerotherapy' (shipped "),
        ("laser", 2, "no version 2 of protocol 'laser' (shipped versions: 1)"),
        ("nope", 1, "no such protocol 'nope' (shipped protocols: laser, microsclerotherapy)"),
    ],
    ids=["version", "laser-version", "name"],
)
def test_unknown_version_names_what_exists(name: str, version: int, message: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        load_protocol(name, version)
    assert message in str(caught.value)


def _packaged_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> None:
    """Point the loader at a copy of the package with `files` (relative paths) written in."""
    root = tmp_path / "protocols"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    monkeypatch.setattr(loader, "_package", lambda: root)
    loader._load_packaged.cache_clear()


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    loader._load_packaged.cache_clear()
    yield
    loader._load_packaged.cache_clear()


def test_file_version_must_match_its_file_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    _packaged_copy(tmp_path, monkeypatch, {"microsclerotherapy/v3.toml": SHIPPED})
    with pytest.raises(ProtocolError, match=r"v3\.toml: version = 1 does not match the file"):
        load_protocol("microsclerotherapy", 3)


METHODS_TOML = SHIPPED.replace(
    "version = 1\n", 'version = 1\n\n[methods]\nlaser = { protocol = "laser", version = 1 }\n'
)


@pytest.mark.parametrize(
    ("laser", "message"),
    [
        ('name = "laser"\nversion = 1\n' + SHIPPED.split("version = 1", 1)[1], "reuses task codes"),
        (
            'name = "laser"\nversion = 1\n[methods]\nlaser = "self"\n'
            + SHIPPED.split("version = 1", 1)[1]
            .replace('code = "', 'code = "x')
            .replace('= "remove_stocking"', '= "xremove_stocking"'),
            "has its own [methods] table",
        ),
    ],
    ids=["shared-codes", "nested-methods"],
)
def test_method_protocols_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None, laser: str, message: str
) -> None:
    _packaged_copy(tmp_path, monkeypatch, {"laser/v1.toml": laser})
    path = tmp_path / "main.toml"
    path.write_text(METHODS_TOML, encoding="utf-8")
    with pytest.raises(ProtocolError, match=re.escape(message)) as caught:
        load_protocol_file(path)
    assert str(caught.value).startswith(f"{path}: methods.laser: ")


def test_unknown_method_protocol_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "main.toml"
    path.write_text(METHODS_TOML.replace("version = 1 }", "version = 9 }"), encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"methods\.laser: .*no version 9 of protocol 'laser'"):
        load_protocol_file(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _replace_in_task(
                "follow_up",
                "remind_hours_before = 24",
                "remind_hours_before = 24\nnew_course_after_visit = 3",
            ),
            "new_course_after_visit = 3 names no visit",
        ),
        (
            _replace_in_task(
                "hydrocortisone", "window_hours = 3", "window_hours = 3\nmin_gap_hours = -1"
            ),
            "min_gap_hours: Input should be greater than or equal to 0",
        ),
        (
            _replace_in_task(
                "hydrocortisone",
                'schedule = "doses"\nfrom_day = 1\nthrough_day = 3',
                'schedule = "dose_course"\nafter = "keep_dry"\ndays = 3',
            ).replace('not_before = "remove_stocking"\n', ""),
            "after = 'keep_dry' must name a task with schedule \"once\"",
        ),
        (
            _replace_in_task(
                "hydrocortisone",
                'schedule = "doses"\nfrom_day = 1\nthrough_day = 3',
                'schedule = "dose_course"\nafter = "remove_stocking"\ndays = 3',
            )
            .replace('not_before = "remove_stocking"\n', "")
            .replace('name = "morning"', 'name = "first"'),
            '"first" names the dose at the event',
        ),
    ],
    ids=["course-visit-unknown", "negative-gap", "course-event-not-once", "dose-named-first"],
)
def test_new_fields_are_validated(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError, match=re.escape(message)):
        load_protocol_file(path)
