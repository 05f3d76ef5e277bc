"""The adherence rule's arithmetic: whole percents, halves up, null when nothing is due."""

from __future__ import annotations

import pytest

from app.adherence.counting import percent


class TestPercent:
    @pytest.mark.parametrize(
        ("done", "due", "expected"),
        [
            (0, 1, 0),
            (1, 1, 100),
            (2, 9, 22),
            (1, 3, 33),
            (2, 3, 67),
            (1, 6, 17),
            (1, 8, 13),  # 12.5: halves go up, not to even
            (3, 8, 38),  # 37.5
            (1, 200, 1),  # 0.5
            (199, 200, 100),  # 99.5
        ],
    )
    def test_whole_percent_halves_up(self, done: int, due: int, expected: int) -> None:
        assert percent(done, due) == expected

    @pytest.mark.parametrize("due", [0, -1])
    def test_null_when_nothing_is_due(self, due: int) -> None:
        assert percent(0, due) is None
