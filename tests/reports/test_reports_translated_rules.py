"""Triage texts in the patient's language: the Polish file covers every default advice and
sign with the same placeholders; the form and the advice come in Polish; a clinic's own words
stay; the level never depends on the language."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clinics.models import Clinic
from app.clinics.opening_hours import reopens_text
from app.db import transaction
from app.i18n.languages import TRANSLATED
from app.i18n.pseudo import placeholders
from app.reports.translated_rules import overlay, overlay_path, rules_in
from app.reports.triage import default_rules


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_advice_and_sign_has_a_translation_with_the_same_placeholders(
    language: str,
) -> None:
    defaults, table = default_rules(), overlay(language)
    assert set(table["advice"]) == {key.value for key in defaults.advice}
    for key, advice in defaults.advice.items():
        entry = table["advice"][key.value]
        for field in ("title", "advice", "call_label"):
            english = getattr(advice, field)
            if english is None:
                assert field not in entry, (key, field)
                continue
            assert entry[field].strip(), (key, field)
            assert placeholders(entry[field]) == placeholders(english), (key, field)
    assert set(table["signs"]) == {sign.code for sign in defaults.signs}
    for sign in defaults.signs:
        entry = table["signs"][sign.code]
        assert entry["label"].strip(), sign.code
        assert bool(entry["description"]) == bool(sign.description), sign.code
    # The translated rules are still valid rules (lengths, no placeholders in sign texts).
    type(defaults).model_validate(rules_in(defaults, language).model_dump(mode="json"))
    assert (
        overlay_path(language)
        .read_text("utf-8")
        .startswith("# DRAFT for clinical review (translation)")
    )


def test_pseudo_rules_change_every_text_and_keep_placeholders() -> None:
    defaults = default_rules()
    pseudo = rules_in(defaults, "qps-ploc")
    for key, advice in defaults.advice.items():
        assert pseudo.advice[key].title.startswith("⟦")
        assert placeholders(pseudo.advice[key].advice) == placeholders(advice.advice)
    assert all(sign.label.startswith("⟦") for sign in pseudo.signs)
    assert [s.level for s in pseudo.signs] == [s.level for s in defaults.signs]


def test_polish_says_when_the_clinic_reopens_with_a_polish_weekday() -> None:
    wednesday = datetime(2026, 4, 1, 7, 0, tzinfo=UTC)
    assert reopens_text(wednesday, ZoneInfo("Europe/Warsaw"), "pl") == "środa, 9:00"
    assert reopens_text(wednesday, ZoneInfo("Europe/London")) == "8:00 on Wednesday"


def polish(me: TestClient) -> TestClient:
    assert me.patch("/api/me/preferences", json={"language": "pl"}).status_code == 200
    return me


def report(me: TestClient, **fields: Any) -> Any:
    body = {"client_id": str(uuid.uuid4()), "pain": 2, "signs": [], "note": ""} | fields
    response = me.post("/api/me/reports", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_report_form_comes_in_polish(me: TestClient) -> None:
    form = polish(me).get("/api/me/report-form").json()
    labels = {sign["code"]: sign["label"] for sign in form["signs"]}
    assert labels["fever"] == "Gorączka lub dreszcze"
    assert form["rules"]["advice"]["emergency"]["title"] == "Zadzwoń teraz pod {emergency_number}"
    assert form["rules"]["signs"][0]["label"] == "Ból w klatce piersiowej lub nagła duszność"
    # Only the words change: the numbers the app triages with offline stay.
    assert (form["urgent_pain_at_least"], form["rules"]["pain"]["urgent_at_least"]) == (7, 7)


def test_the_advice_comes_in_polish_at_the_same_level(me: TestClient) -> None:
    english = report(me, signs=["chest_pain_breathless"])
    answer = report(polish(me), signs=["chest_pain_breathless"])
    assert (answer["level"], answer["call_number"]) == (english["level"], "999")
    assert answer["title"] == "Zadzwoń teraz pod 999"
    assert answer["call_label"] == "Zadzwoń teraz pod 999"
    assert answer["advice"].startswith("Zadzwoń teraz pod numer 999.")
    listed = me.get("/api/me/reports").json()
    assert listed[0]["sign_labels"] == ["Ból w klatce piersiowej lub nagła duszność"]


def test_the_clinics_own_words_are_not_replaced(
    me: TestClient, factory: sessionmaker[Session]
) -> None:
    rules = default_rules().model_dump(mode="json")
    rules["signs"][0]["label"] = "Chest pain (our wording)"
    with transaction(factory) as session:
        clinic = session.exec(select(Clinic)).one()
        clinic.triage_rules = rules
        session.add(clinic)
    form = polish(me).get("/api/me/report-form").json()
    labels = {sign["code"]: sign["label"] for sign in form["signs"]}
    assert labels["chest_pain_breathless"] == "Chest pain (our wording)"
    assert labels["fever"] == "Gorączka lub dreszcze"
