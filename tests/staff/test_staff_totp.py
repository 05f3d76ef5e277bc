"""TOTP arithmetic: RFC 6238 codes, the accepted window, otpauth:// URIs, new secrets."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from app.staff import totp

# RFC 6238 appendix B: the ASCII secret "12345678901234567890" (SHA-1), as base32.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
NOW = datetime(2026, 3, 27, 12, 0, 10, tzinfo=UTC)


class TestCodes:
    @pytest.mark.parametrize(
        ("unix_time", "code"),
        [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")],
    )
    def test_match_the_rfc_6238_test_vectors(self, unix_time: int, code: str) -> None:
        # The RFC lists 8 digits; authenticator apps show the last 6.
        assert totp.code_at(RFC_SECRET, datetime.fromtimestamp(unix_time, UTC)) == code

    def test_match_what_an_authenticator_app_shows(self) -> None:
        secret = totp.new_secret()
        assert totp.code_at(secret, NOW) == pyotp.TOTP(secret).at(NOW)

    def test_a_step_is_30_seconds_of_unix_time(self) -> None:
        assert totp.time_step(datetime.fromtimestamp(59, UTC)) == 1
        assert totp.time_step(datetime.fromtimestamp(60, UTC)) == 2


class TestMatchingStep:
    def test_the_current_code_is_the_current_step(self) -> None:
        secret = totp.new_secret()
        assert totp.matching_step(secret, totp.code_at(secret, NOW), NOW) == totp.time_step(NOW)

    @pytest.mark.parametrize(
        ("offset", "accepted"), [(-60, False), (-30, True), (30, True), (60, False)]
    )
    def test_one_step_either_side_is_accepted_and_no_more(
        self, offset: int, accepted: bool
    ) -> None:
        secret = totp.new_secret()
        then = NOW + timedelta(seconds=offset)
        step = totp.matching_step(secret, totp.code_at(secret, then), NOW)
        assert step == (totp.time_step(then) if accepted else None)

    def test_spaces_as_apps_show_them_are_ignored(self) -> None:
        secret = totp.new_secret()
        code = totp.code_at(secret, NOW)
        assert totp.matching_step(secret, f" {code[:3]} {code[3:]} ", NOW) == totp.time_step(NOW)

    @pytest.mark.parametrize(
        "change",
        [
            lambda c: f"{(int(c) + 1) % 1_000_000:06d}",  # one off
            lambda c: c[:5],  # too short
            lambda c: c + "0",  # too long
            lambda c: c[:5] + "x",
            lambda c: "".join(chr(0x0660 + int(d)) for d in c),  # Arabic-Indic digits
            lambda c: "",
        ],
        ids=["one-off", "short", "long", "letter", "non-ascii-digits", "empty"],
    )
    def test_anything_else_matches_no_step(self, change: Callable[[str], str]) -> None:
        secret = totp.new_secret()
        code = totp.code_at(secret, NOW)
        assert totp.matching_step(secret, change(code), NOW) is None

    def test_another_secrets_code_does_not_match(self) -> None:
        mine, theirs = totp.new_secret(), totp.new_secret()
        assert totp.matching_step(mine, totp.code_at(theirs, NOW), NOW) is None


class TestSecretsAndUris:
    def test_secrets_are_160_random_bits_in_base32(self) -> None:
        secrets = {totp.new_secret() for _ in range(20)}
        assert len(secrets) == 20
        for secret in secrets:
            assert len(base64.b32decode(secret)) == 20

    def test_the_uri_names_the_account_the_clinic_and_carries_the_secret(self) -> None:
        secret = totp.new_secret()
        uri = totp.otpauth_uri(secret, email="nurse@riverside.example", clinic_name="Riverside")
        parts = urlsplit(uri)
        query = parse_qs(parts.query)
        assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
        assert "nurse%40riverside.example" in parts.path or "nurse@riverside.example" in parts.path
        assert query["secret"] == [secret]
        assert query["issuer"] == ["Aftercare (Riverside)"]
        parsed = pyotp.parse_uri(uri)
        assert isinstance(parsed, pyotp.TOTP)
        assert parsed.at(NOW) == totp.code_at(secret, NOW)
