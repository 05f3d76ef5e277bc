"""Tests of the protocol loader: the shipped file is valid, broken copies fail clearly."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from app.protocols.loader import (
    AppointmentsTask,
    Protocol,
    ProtocolError,
    RepeatTask,
    load_protocol,
    load_protocol_file,
)

SHIPPED = resources.files("app.protocols").joinpath("microsclerotherapy.toml").read_text("utf-8")

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
    protocol = load_protocol()
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


def test_shipped_texts_are_plain_english() -> None:
    protocol = load_protocol()
    follow_up = protocol.task("follow_up")
    assert isinstance(follow_up, AppointmentsTask)
    titles = [t.title for t in protocol.tasks] + [v.title or "" for v in follow_up.visits]
    instructions = [t.instructions for t in protocol.tasks]
    instructions += [v.instructions or "" for v in follow_up.visits]
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
    path = Path(str(resources.files("app.protocols").joinpath("microsclerotherapy.toml")))
    assert load_protocol_file(path) == load_protocol()


@pytest.mark.parametrize(
    ("name", "message"),
    [("no_such_protocol", "no such protocol"), ("../secrets", "invalid protocol name")],
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
