"""A LIKE pattern for "contains this text": the text's own % and _ match only themselves."""

from __future__ import annotations

# The escape character to pass with the pattern: `.ilike(contains(text), escape=ESCAPE)`.
ESCAPE = "\\"


def contains(text: str) -> str:
    """`%text%` with LIKE's wildcards in `text` escaped ("50%_off" finds only that)."""
    escaped = text.replace(ESCAPE, ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
