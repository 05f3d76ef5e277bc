"""base64url: no padding out, padded or bare accepted in, junk refused."""

from __future__ import annotations

import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.shared.base64url import b64url_decode, b64url_encode


@given(st.binary(max_size=80))
def test_round_trip_without_padding(data: bytes) -> None:
    text = b64url_encode(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert b64url_decode(text) == data
    assert b64url_decode(text + "=" * (-len(text) % 4)) == data


def test_a_single_leftover_character_is_refused() -> None:
    with pytest.raises(binascii.Error):
        b64url_decode("abcde")
