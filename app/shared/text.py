"""Text people type: no control characters in it (NUL above all, which PostgreSQL refuses)."""

from __future__ import annotations

import re

from pydantic import AfterValidator

# C0 controls and DEL: no screen shows them, and NUL is stored by SQLite but refused by
# PostgreSQL, so the same request must not pass on one database and fail on the other.
# A line (a name) allows none; a text (a note) keeps tab and line breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_LAYOUT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_line(text: str) -> str:
    if _CONTROL.search(text):
        raise ValueError("must not contain control characters or line breaks")
    return text


def check_text(text: str) -> str:
    if _CONTROL_BUT_LAYOUT.search(text):
        raise ValueError("must not contain control characters")
    return text


# Annotated metadata, after the field's own constraints: `Annotated[str, ..., LINE]`.
LINE = AfterValidator(check_line)
TEXT = AfterValidator(check_text)
