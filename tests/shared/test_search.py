"""The "contains" LIKE pattern: wildcards typed by a person match only themselves."""

from __future__ import annotations

from app.shared.search import contains


def test_text_is_wrapped_and_wildcards_escaped() -> None:
    assert contains("ada") == "%ada%"
    assert contains("50%_off\\") == "%50\\%\\_off\\\\%"
