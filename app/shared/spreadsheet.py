"""Text for spreadsheets: cells that cannot run as formulas, and CSV that Excel opens as UTF-8."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

# A field starting with one of = + - @ TAB CR is a formula to Excel, LibreOffice and Google
# Sheets (OWASP's CSV injection list). A field starts at the cell's start, and also after a `;`
# or `,` inside it: a semicolon locale opens our comma file with `;` as the delimiter (and a
# comma writer does not quote a `;`), and a cell may go out through a `;` writer too. Spaces or
# a quote before the character still make a formula once an import trims or unquotes them.
_FORMULA_FIELD = re.compile(r"(^|[,;])([ \"]*)(?=[=+\-@\t\r])")


def safe_cell(text: str) -> str:
    """Text a spreadsheet shows as text: an apostrophe defuses every would-be formula in it.

    The apostrophe goes before the formula character of each field the cell could split
    into, whichever delimiter the spreadsheet reads it with; other text is left as it is.
    """
    return _FORMULA_FIELD.sub(r"\1\2'", text)


# Excel reads a CSV file as the machine's legacy code page unless it starts with a UTF-8 byte
# order mark: "Zoë" would show as "ZoÃ«". LibreOffice and Python's csv (utf-8-sig) accept it.
BOM = "\ufeff"


def csv_for_excel(header: Sequence[str], rows: Iterable[Sequence[str | int | None]]) -> str:
    """CSV text with a BOM and CRLF lines; every text cell passed through `safe_cell`."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                "" if cell is None else safe_cell(cell) if isinstance(cell, str) else cell
                for cell in row
            ]
        )
    return out.getvalue()


def local_time_cell(instant: datetime | None, zone: ZoneInfo) -> str:
    """An instant as the clinic reads it ("2026-03-27 10:00 GMT"); empty when unknown.

    A spreadsheet user cannot convert ISO 8601 UTC in their head; the zone's abbreviation
    keeps the two sides of a clock change apart.
    """
    return "" if instant is None else instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
