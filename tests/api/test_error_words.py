"""A Polish patient's refusals in Polish; an English one keeps the service's own sentence."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from app.api.error_words import BY_CODE, BY_FIELD
from app.error_codes import ErrorCode
from app.i18n import catalogue


def polish(me: TestClient) -> None:
    assert me.patch("/api/me/preferences", json={"language": "pl"}).status_code == 200


def test_every_code_named_is_one_of_the_set() -> None:
    assert {ErrorCode(code) for code in BY_CODE} <= set(ErrorCode)


def test_a_refusal_in_polish(me: TestClient) -> None:
    polish(me)
    refused = me.post("/api/me/reports", json={"client_id": str(uuid.uuid4())})
    assert refused.status_code == 422
    assert refused.json() == {
        "code": "pain_required",
        "detail": "Wybierz ocenę bólu, zaznacz niepokojący objaw albo napisz wiadomość.",
    }


def test_field_errors_in_polish_by_their_field(me: TestClient) -> None:
    polish(me)
    refused = me.patch("/api/me/preferences", json={"wake_time": "", "language": "xx"})
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "invalid_input"
    assert body["detail"] == "Sprawdź, co zostało wpisane."
    messages = {error["field"]: error["message"] for error in body["errors"]}
    assert messages["wake_time"] == "Podaj godzinę, np. 07:30."
    # The codes and the validator's own words stay for programs.
    assert all(error["type"] for error in body["errors"])
    assert me.get("/api/me").json()["language"] == "pl"  # nothing changed


def test_english_keeps_the_services_sentence(me: TestClient) -> None:
    refused = me.post("/api/me/reports", json={"client_id": str(uuid.uuid4())})
    assert refused.json()["detail"] == (
        "Please give your pain from 0 to 10, or tick a warning sign, or write a note."
    )


def test_a_phone_not_signed_in_is_answered_in_english(client: TestClient) -> None:
    # No patient, no language: the sign-in refusal is the service's sentence.
    refused = client.get("/api/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "not_authenticated"


def test_the_field_words_have_translations() -> None:
    for field, english in BY_FIELD.items():
        assert catalogue.text("pl", english) != english, field
