"""A Polish patient's refusals in Polish; an English one keeps the service's own sentence."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from app.api.error_words import ANY_FIELD, BY_CODE, BY_FIELD
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


def test_every_sentence_has_a_polish_translation() -> None:
    untranslated = [english for english in {*BY_CODE.values(), *BY_FIELD.values(), ANY_FIELD}
                    if english not in catalogue.translations("pl")]  # fmt: skip
    assert untranslated == []


class TestBeforeSignIn:
    """A phone not signed in yet: its browser's language, if offered, on patients' paths."""

    def test_a_refused_link_in_the_browsers_language(self, client: TestClient) -> None:
        headers = {"accept-language": "pl-PL,pl;q=0.9,en-GB;q=0.8"}
        unknown = {"code": "ABCD-EFGH-JKLM-NPQR"}  # the shape of a code, but no link's
        refused = client.post("/api/enrol", json=unknown, headers=headers)
        assert refused.json() == {
            "code": "link_unknown",
            "detail": "Ten link jest nieprawidłowy. Poproś klinikę o nowy link.",
        }
        signed_out = client.get("/api/me", headers=headers)
        assert signed_out.json() == {
            "code": "not_authenticated",
            "detail": "Ten telefon nie jest zalogowany. Poproś klinikę o nowy link.",
        }

    def test_the_q_values_decide_and_unknown_languages_are_passed_over(
        self, client: TestClient
    ) -> None:
        english_first = {"accept-language": "de;q=1, en;q=0.9, pl;q=0.8"}
        assert "not signed in" in client.get("/api/me", headers=english_first).json()["detail"]
        polish_first = {"accept-language": "en;q=0.5, xx, pl;q=0.7"}
        assert "zalogowany" in client.get("/api/me", headers=polish_first).json()["detail"]
        broken = {"accept-language": "pl;q=abc, ;;, en"}
        assert "not signed in" in client.get("/api/me", headers=broken).json()["detail"]

    def test_staff_routes_stay_english(self, client: TestClient) -> None:
        headers = {"accept-language": "pl"}
        refused = client.get("/api/patients", headers=headers)
        assert refused.json()["code"] == "not_authenticated"
        assert "zalogowany" not in refused.json()["detail"]
