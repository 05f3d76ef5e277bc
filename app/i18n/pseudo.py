"""Pseudo-localisation: accented, ~40 % longer, bracketed text that keeps {placeholders}."""

from __future__ import annotations

import math
import re

_ACCENTED = str.maketrans(
    "abcdeghiklnorstuyzABCDEGHIKLNORSTUYZ",
    "àƀçđéĝĥîķĺñöŕšţüýžÀƁÇĐÉĜĤÎĶĹÑÖŔŠŢÜÝŽ",
)
# {name} placeholders (str.format's and the PWA's) pass through unchanged.
_PLACEHOLDER = re.compile(r"(\{[A-Za-z_][A-Za-z0-9_]*\})")
# Right-to-left embedding: the text reads as a right-to-left run wherever it is shown.
_RLE = "\u202b"
_PDF = "\u202c"


def _padding(length: int) -> str:
    """At least `length` more characters as short words (" ~~~~ ~~~~ ~"): longer text, as a
    real translation is, that still wraps between words as a real one does; a single long run
    would be an unbreakable word no language has."""
    if length <= 0:
        return ""
    words: list[str] = []
    remaining = length
    while remaining > 0:
        word = "~" * min(4, max(1, remaining - 1))
        words.append(word)
        remaining -= len(word) + 1
    return " " + " ".join(words)


def pseudo(text: str, *, rtl: bool = False) -> str:
    """`text` accented, padded to ≥ 40 % longer and wrapped in ⟦ ⟧; placeholders untouched."""
    parts = _PLACEHOLDER.split(text)
    accented = "".join(p if _PLACEHOLDER.fullmatch(p) else p.translate(_ACCENTED) for p in parts)
    out = f"⟦{accented}{_padding(math.ceil(len(text) * 0.4))}⟧"
    return f"{_RLE}{out}{_PDF}" if rtl else out


def placeholders(text: str) -> set[str]:
    """The {placeholder} names in `text` (translations must keep the same set)."""
    return {p[1:-1] for p in _PLACEHOLDER.findall(text)}
