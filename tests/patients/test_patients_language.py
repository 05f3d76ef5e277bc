"""A patient's language: set by staff at enrolment, shown on the patient page, changed by the
patient in Settings; only offered codes are accepted, and a refusal changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.errors import InvalidInput
from app.patients.language import check_language
from tests.support.api import enrol, new_patient_body, pair_phone


def test_the_profile_says_the_language_and_the_languages_offered(me: TestClient) -> None:
    profile = me.get("/api/me").json()
    assert profile["language"] == "en"
    assert profile["languages"][:2] == [
        {"code": "en", "name": "English"},
        {"code": "pl", "name": "Polski"},
    ]
    # The test settings turn the pseudo-locales on.
    assert [lang["code"] for lang in profile["languages"][2:]] == ["qps-ploc", "qps-plocm"]


def test_the_patient_changes_their_language(me: TestClient) -> None:
    response = me.patch("/api/me/preferences", json={"language": "pl"})
    assert response.status_code == 200, response.text
    assert response.json()["language"] == "pl"
    assert me.get("/api/me").json()["language"] == "pl"


def test_an_unknown_language_is_refused_in_plain_words_and_nothing_changes(
    me: TestClient,
) -> None:
    for code in ("de", "xx-yy"):
        response = me.patch(
            "/api/me/preferences", json={"language": code, "show_task_titles": True}
        )
        assert response.status_code == 422, response.text
        assert "is not offered; choose one of English (en), Polski (pl)" in response.text
    response = me.patch("/api/me/preferences", json={"language": "Polish!"})
    assert response.status_code == 422
    profile = me.get("/api/me").json()
    assert (profile["language"], profile["show_task_titles"]) == ("en", False)


def test_pseudo_codes_only_when_the_setting_is_on() -> None:
    assert check_language("qps-ploc", pseudo_locales=True) == "qps-ploc"
    with pytest.raises(InvalidInput, match="not offered"):
        check_language("qps-ploc", pseudo_locales=False)


def test_staff_enrol_in_polish_and_see_it_on_the_patient_page(
    staff: TestClient, phone: TestClient
) -> None:
    created = enrol(staff, language="pl")
    detail = staff.get(f"/api/patients/{created['id']}").json()
    assert (detail["language"], detail["language_name"]) == ("pl", "Polski")
    assert pair_phone(phone, created["enrolment"]["code"])["language"] == "pl"


def test_enrolment_without_a_language_is_english_and_an_unknown_one_is_refused(
    staff: TestClient,
) -> None:
    created = enrol(staff)
    assert staff.get(f"/api/patients/{created['id']}").json()["language"] == "en"

    response = staff.post("/api/patients", json=new_patient_body(language="de"))
    assert response.status_code == 422
    assert "not offered" in response.text


def test_staff_change_the_language_and_the_audit_names_the_field(staff: TestClient) -> None:
    created = enrol(staff)
    response = staff.patch(f"/api/patients/{created['id']}", json={"language": "pl"})
    assert response.status_code == 200, response.text
    assert response.json()["changed"] == ["language"]
    assert response.json()["patient"]["language_name"] == "Polski"
    refused = staff.patch(f"/api/patients/{created['id']}", json={"language": "de"})
    assert refused.status_code == 422
    assert staff.get(f"/api/patients/{created['id']}").json()["language"] == "pl"
