"""The chart drawing: well-formed, accessible, escaped SVG for any figures, none included."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.adherence.charts import by_day_svg, by_task_svg
from app.adherence.service import DayAdherence, TaskAdherence

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - markup made by the function under test


def task(title: str, done: int, due: int, percent: int | None, code: str = "t") -> TaskAdherence:
    return TaskAdherence(task=code, title=title, done=done, due=due, percent=percent)


def bar_widths(root: ET.Element) -> list[float]:
    """Width of each bar's filled rectangle (the second rect of each group)."""
    return [
        float(group.findall(f"{SVG}rect")[1].get("width", "nan")) for group in root.iter(f"{SVG}g")
    ]


class TestAccessibility:
    @pytest.mark.parametrize(
        "markup",
        [
            by_task_svg([task("Raise your legs", 1, 2, 50)]),
            by_day_svg([DayAdherence(day=0, done=1, due=2, percent=50)]),
            by_task_svg([]),
            by_day_svg([]),
        ],
    )
    def test_labelled_by_its_title_and_description(self, markup: str) -> None:
        root = parse(markup)
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        title, desc = root[0], root[1]
        assert (title.tag, desc.tag) == (f"{SVG}title", f"{SVG}desc")
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert title.text and desc.text
        assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"

    def test_the_two_charts_have_different_ids(self) -> None:
        ids = {
            parse(by_task_svg([])).get("aria-labelledby"),
            parse(by_day_svg([])).get("aria-labelledby"),
        }
        assert len(ids) == 2


class TestByTask:
    def test_describes_every_bar_in_words(self) -> None:
        root = parse(by_task_svg([task("Raise your legs", 2, 9, 22), task("Cream", 3, 3, 100)]))
        assert root.findtext(f"{SVG}desc") == (
            "Raise your legs: 22% (2 of 9 done); Cream: 100% (3 of 3 done)."
        )
        assert [g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g")] == [
            "Raise your legs: 22% (2 of 9 done)",
            "Cream: 100% (3 of 3 done)",
        ]

    def test_bars_are_as_long_as_their_percent(self) -> None:
        root = parse(by_task_svg([task("a", 0, 4, 0), task("b", 1, 4, 25), task("c", 4, 4, 100)]))
        zero, quarter, full = bar_widths(root)
        assert zero == 0
        assert quarter == pytest.approx(full / 4, abs=1)
        tracks = [
            float(g.findall(f"{SVG}rect")[0].get("width", "nan")) for g in root.iter(f"{SVG}g")
        ]
        assert tracks == [full] * 3

    def test_nothing_due_draws_no_bar(self) -> None:
        root = parse(by_task_svg([task("a", 0, 0, None)]))
        assert bar_widths(root) == [0]
        assert "a: nothing due" in (root.findtext(f"{SVG}desc") or "")

    def test_text_is_escaped_never_markup(self) -> None:
        title = '<script>alert("x")</script> & <b>'
        root = parse(by_task_svg([task(title, 1, 1, 100)]))
        assert not list(root.iter(f"{SVG}script"))
        assert not list(root.iter("script"))
        assert title in (root.findtext(f"{SVG}desc") or "")

    def test_long_titles_are_shortened_on_the_bar_only(self) -> None:
        title = "A very long task title that goes on and on beyond the label room"
        root = parse(by_task_svg([task(title, 1, 2, 50)]))
        label = root.find(f"{SVG}g/{SVG}text")
        assert label is not None and label.text is not None
        assert label.text.endswith("…") and len(label.text) < len(title)
        assert title in (root.findtext(f"{SVG}desc") or "")

    def test_height_grows_with_the_rows(self) -> None:
        one = parse(by_task_svg([task("a", 1, 1, 100)]))
        five = parse(by_task_svg([task(str(n), 1, 1, 100) for n in range(5)]))
        assert int(five.get("height", "0")) > int(one.get("height", "0"))


class TestByDay:
    def test_one_column_per_day_with_its_label(self) -> None:
        days = [DayAdherence(day=d, done=d, due=4, percent=25 * d) for d in range(5)]
        root = parse(by_day_svg(days))
        groups = list(root.iter(f"{SVG}g"))
        assert [g.findall(f"{SVG}text")[0].text for g in groups] == ["0", "1", "2", "3", "4"]
        heights = [float(g.findall(f"{SVG}rect")[0].get("height", "nan")) for g in groups]
        assert heights[0] == 0 and heights == sorted(heights) and heights[4] == 2 * heights[2]
        assert root.findtext(f"{SVG}desc", "").startswith("Day 0: 0% (0 of 4 done); Day 1: 25%")

    def test_width_grows_with_the_days(self) -> None:
        few = parse(by_day_svg([DayAdherence(day=0, done=1, due=1, percent=100)]))
        many = parse(
            by_day_svg([DayAdherence(day=d, done=1, due=1, percent=100) for d in range(60)])
        )
        assert int(many.get("width", "0")) > int(few.get("width", "0"))

    def test_empty(self) -> None:
        root = parse(by_day_svg([]))
        assert root.findtext(f"{SVG}desc") == "Nothing was due yet."
        assert [t.text for t in root.iter(f"{SVG}text")] == ["Nothing was due yet."]
