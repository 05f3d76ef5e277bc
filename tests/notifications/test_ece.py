"""RFC 8291 encryption: the RFC's own example byte for byte, and http_ece can read ours."""

from __future__ import annotations

import os

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.notifications.ece import MAX_PLAINTEXT, encrypt
from app.shared.base64url import b64url_decode
from app.shared.base64url import b64url_encode as b64


def private_key(b64: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(b64url_decode(b64), "big"), ec.SECP256R1())


def new_device() -> tuple[ec.EllipticCurvePrivateKey, str, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return key, b64(point), os.urandom(16)


def test_the_rfc_8291_example_comes_out_byte_for_byte() -> None:
    # RFC 8291 Appendix A.
    body = encrypt(
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        "BTBZMqHH6r4Tts7J_aSIgg",
        b"When I grow up, I want to be a watermelon",
        salt=b64url_decode("DGv6ra1nlYgDCS1FRnbzlw"),
        sender_key=private_key("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"),
    )
    assert b64(body) == (
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmY"
        "WAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexS"
        "gSxsj_Qulcy4a-fN"
    )


@pytest.mark.parametrize("size", [1, 100, MAX_PLAINTEXT])
def test_http_ece_decrypts_what_we_send(size: int) -> None:
    key, p256dh, auth = new_device()
    message = os.urandom(size)
    body = encrypt(p256dh, b64(auth) + "==", message)  # padded base64url is accepted too
    assert http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm") == (
        message
    )


def test_every_message_has_its_own_key_and_salt() -> None:
    _, p256dh, auth = new_device()
    first, second = (encrypt(p256dh, b64(auth), b"same") for _ in range(2))
    assert first[:16] != second[:16]  # salt
    assert first[21:86] != second[21:86]  # the sender's ephemeral public key


def test_a_message_longer_than_one_record_is_refused() -> None:
    _, p256dh, auth = new_device()
    with pytest.raises(ValueError, match="at most 4079"):
        encrypt(p256dh, b64(auth), b"x" * (MAX_PLAINTEXT + 1))


@pytest.mark.parametrize(
    ("p256dh", "auth", "error"),
    [
        ("AAAA", b64(bytes(16)), "point|key"),
        (None, b64(bytes(8)), "auth secret is 8 bytes"),
    ],
)
def test_malformed_device_keys_are_refused(p256dh: str | None, auth: str, error: str) -> None:
    _, good, _ = new_device()
    with pytest.raises(ValueError, match=error):
        encrypt(p256dh or good, auth, b"hello")
