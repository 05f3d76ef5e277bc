"""Spreadsheet-safe cells (no formula runs) and CSV that Excel opens as UTF-8."""

from __future__ import annotations

import csv
import io

import pytest

from app.shared.spreadsheet import BOM, csv_for_excel, safe_cell

# What a spreadsheet could compute, and what safe_cell makes of it: an apostrophe before the
# formula character of every field the cell can become, whichever delimiter it is read with.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NASTY_CELLS = [
    ("=1+1", "'=1+1"),
    ("+44 20", "'+44 20"),
    ("-2", "'-2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    (" =x", " '=x"),  # LibreOffice's "trim spaces" import makes it "=x"
    ('"=x"', '"\'=x"'),
    ("Ada;=HYPERLINK(1)", "Ada;'=HYPERLINK(1)"),  # a semicolon locale opens `Ada` | `=HYPERLINK`
    ("Ada,+1", "Ada,'+1"),
    ("Ada; -1", "Ada; '-1"),
    ("Ada;@x;=y", "Ada;'@x;'=y"),
    ("Ada;\tx", "Ada;'\tx"),
    ("a;\"=cmd|' /C calc'!A0\"", "a;\"'=cmd|' /C calc'!A0\""),
]


class TestSafeCell:
    @pytest.mark.parametrize(("text", "defused"), NASTY_CELLS)
    def test_every_field_that_could_be_a_formula_is_defused(self, text: str, defused: str) -> None:
        assert safe_cell(text) == defused

    @pytest.mark.parametrize("text", [text for text, _ in NASTY_CELLS])
    def test_no_field_starts_a_formula_whichever_the_delimiter(self, text: str) -> None:
        written = io.StringIO()
        csv.writer(written).writerow(["x", safe_cell(text)])
        # Read as naively as a spreadsheet with the wrong delimiter might: quotes ignored.
        for line in written.getvalue().splitlines():
            for delimiter in (",", ";"):
                for field in line.split(delimiter):
                    assert not field.lstrip(' "').startswith(FORMULA_START), (line, delimiter)

    @pytest.mark.parametrize(
        "text", ["Ada Lovelace", "Anne-Marie O'Neil", "", "1=1", "Etc/GMT-5", "a;b", "x, y"]
    )
    def test_other_text_is_left_alone(self, text: str) -> None:
        assert safe_cell(text) == text


class TestCsvForExcel:
    def test_starts_with_a_bom_and_defuses_text_cells(self) -> None:
        text = csv_for_excel(["who", "count"], [["=cmd|' /C calc'!A0", 3], ["Zoë", None]])
        assert text.startswith(BOM)
        rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
        assert rows == [["who", "count"], ["'=cmd|' /C calc'!A0", "3"], ["Zoë", ""]]
        assert text.count("\r\n") == 3
