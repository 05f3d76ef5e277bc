"""VAPID keys: kept across restarts, refused when missing in production; tokens per origin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256

from app.notifications.vapid import (
    TOKEN_LIFETIME_SECONDS,
    VapidKeyMissing,
    VapidSigner,
    generate_keys,
    load_or_create,
    write_keys,
)
from app.shared.base64url import b64url_decode


def test_development_key_is_created_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "var" / "vapid.pem"
    first = load_or_create(path, create=True)
    again = load_or_create(path, create=True)
    assert first.key_id == again.key_id
    assert first.public_key == again.public_key
    assert path.stat().st_mode & 0o777 == 0o600


def test_production_without_a_key_refuses(tmp_path: Path) -> None:
    with pytest.raises(VapidKeyMissing, match="aftercare vapid generate"):
        load_or_create(tmp_path / "none.pem", create=False)


def test_an_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "vapid.pem"
    write_keys(generate_keys(), path)
    with pytest.raises(FileExistsError):
        write_keys(generate_keys(), path)


def test_public_key_is_an_uncompressed_p256_point() -> None:
    raw = b64url_decode(generate_keys().public_key)
    assert len(raw) == 65
    assert raw[0] == 4


def _claims(header: str) -> dict[str, object]:
    token = header.split("t=")[1].split(",")[0]
    payload = token.split(".")[1]
    claims: dict[str, object] = json.loads(b64url_decode(payload))
    return claims


def _verify(header: str) -> None:
    token = header.split("t=")[1].split(",")[0].strip()
    key = header.split("k=")[1].strip()
    signing_input, signature = token.rsplit(".", 1)
    raw = b64url_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    public.verify(der, signing_input.encode(), ec.ECDSA(SHA256()))


class TestSigner:
    def test_token_names_the_origin_expires_within_a_day_and_verifies(self) -> None:
        now = 1_800_000_000.0
        signer = VapidSigner(generate_keys(), "mailto:ops@clinic.example", wall_clock=lambda: now)
        header = signer.authorization("https://push.example.net/send/abc?x=1")
        assert header.startswith("vapid t=")
        claims = _claims(header)
        assert claims["aud"] == "https://push.example.net"
        assert claims["sub"] == "mailto:ops@clinic.example"
        assert now < float(claims["exp"]) <= now + 24 * 3600  # type: ignore[arg-type]
        _verify(header)

    def test_tokens_are_cached_per_origin_and_renewed_before_expiry(self) -> None:
        clock = [1_800_000_000.0]
        signer = VapidSigner(generate_keys(), "mailto:o@c.example", wall_clock=lambda: clock[0])
        first = signer.authorization("https://a.example/1")
        assert signer.authorization("https://a.example/2") == first  # same origin: cached
        other = signer.authorization("https://b.example/1")
        assert _claims(other)["aud"] == "https://b.example"
        clock[0] += TOKEN_LIFETIME_SECONDS - 1800  # inside the renewal margin
        renewed = signer.authorization("https://a.example/3")
        assert renewed != first
        assert float(_claims(renewed)["exp"]) > float(_claims(first)["exp"])  # type: ignore[arg-type]
