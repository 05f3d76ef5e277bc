"""Small HTTP helpers the API tests share: sign staff in, enrol a patient, pair a phone."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.staff.models import StaffRole
from app.staff.totp import code_at
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff
from tests.support.push_service import b64url_encode


def sign_in_staff(
    client: TestClient,
    factory: sessionmaker[Session],
    *,
    now: datetime,
    clinic_name: str = "Riverside Vein Clinic",
    email: str = "nurse@riverside.example",
    role: StaffRole = StaffRole.CLINICIAN,
) -> None:
    make_clinic_with_staff(factory, now=now, clinic_name=clinic_name, email=email, role=role)
    log_in(client, email)


def log_in(client: TestClient, email: str = "nurse@riverside.example") -> None:
    """Sign an existing staff user in (again, e.g. after moving the clock past session expiry)."""
    response = client.post("/api/auth/login", json={"email": email, "password": STAFF_PASSWORD})
    assert response.status_code == 200, response.text


def turn_on_totp(client: TestClient, *, now: datetime) -> str:
    """Set up and enable TOTP for the signed-in staff user; returns the secret.

    Enabling uses the code of `now`'s time step: move the clock 30 s on before the next code.
    """
    setup = client.post("/api/auth/totp/setup", json={"password": STAFF_PASSWORD})
    assert setup.status_code == 200, setup.text
    secret: str = setup.json()["secret"]
    enabled = client.post("/api/auth/totp/enable", json={"code": code_at(secret, now)})
    assert enabled.status_code == 204, enabled.text
    return secret


def new_patient_body(
    performed_at: str = "2026-03-27T10:00:00+00:00", **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Ada Lovelace",
        "time_zone": "Europe/London",
        "wake_time": "07:30",
        "bed_time": "22:00",
        "stockings_advised": True,
        "phone": "+44 7700 900123",
        "treatment": {"performed_at": performed_at, "method": "sclerotherapy"},
        "doppler_checked": True,
    }
    body.update(fields)
    return body


def enrol(client: TestClient, **fields: Any) -> dict[str, Any]:
    """Enrol a patient as the signed-in staff user; the response body (id, enrolment)."""
    response = client.post("/api/patients", json=new_patient_body(**fields))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def pair_phone(phone: TestClient, code: str) -> dict[str, Any]:
    response = phone.post("/api/enrol", json={"code": code})
    assert response.status_code == 200, response.text
    profile: dict[str, Any] = response.json()
    return profile


def push_subscription_body() -> dict[str, Any]:
    """What a browser's PushSubscription.toJSON() gives: an https endpoint and fresh keys."""
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {
        "endpoint": f"https://push.example.net/send/{secrets.token_urlsafe(16)}",
        "expirationTime": None,
        "keys": {"p256dh": b64url_encode(point), "auth": b64url_encode(secrets.token_bytes(16))},
    }


def subscribe_push(phone: TestClient) -> dict[str, Any]:
    """Subscribe the signed-in phone to push; the body it sent."""
    body = push_subscription_body()
    response = phone.post("/api/me/push-subscriptions", json=body)
    assert response.status_code == 201, response.text
    return body


def send_report(phone: TestClient, **fields: Any) -> dict[str, Any]:
    """A symptom report from the paired phone (pain 2, no signs unless given); asserts 201."""
    body = {"client_id": str(uuid.uuid4()), "pain": 2, "signs": [], "note": ""} | fields
    response = phone.post("/api/me/reports", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
