"""SecretBox: sealed values open with their key and purpose only; key files as openssl writes."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest

from app.shared.secret_box import KEY_BYTES, SealBroken, SecretBox, SecretKeyMissing, read_key

SEED = bytes(range(20))


def box() -> SecretBox:
    return SecretBox(os.urandom(KEY_BYTES))


def test_a_sealed_value_opens_to_what_was_sealed() -> None:
    one = box()
    sealed = one.seal(SEED, purpose="totp")
    assert sealed.startswith("v1:") and len(sealed) == 51  # fits a 64-character column
    assert one.open(sealed, purpose="totp") == SEED


@pytest.mark.parametrize("how", ["another key", "another purpose", "one character changed"])
def test_anything_else_does_not_open(how: str) -> None:
    one = box()
    sealed = one.seal(SEED, purpose="totp")
    if how == "another key":
        attempt = lambda: box().open(sealed, purpose="totp")  # noqa: E731
    elif how == "another purpose":
        attempt = lambda: one.open(sealed, purpose="other")  # noqa: E731
    else:
        flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
        attempt = lambda: one.open(flipped, purpose="totp")  # noqa: E731
    with pytest.raises(SealBroken):
        attempt()


def test_a_key_must_be_64_bytes() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        SecretBox(os.urandom(32))


def test_reads_a_key_file_as_openssl_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "key"
    try:
        made = subprocess.run(
            ["openssl", "rand", "-base64", "64"], check=True, capture_output=True
        ).stdout
    except FileNotFoundError:
        made = base64.encodebytes(os.urandom(64))  # the same shape: base64 in 64-column lines
    path.write_bytes(made)
    assert b"\n" in made.rstrip()  # wrapped over two lines
    assert len(read_key(path)) == KEY_BYTES


@pytest.mark.parametrize("content", [b"not base64!", base64.b64encode(os.urandom(32))])
def test_a_bad_key_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "key"
    path.write_bytes(content)
    with pytest.raises(SecretKeyMissing, match=str(path)):
        read_key(path)
