"""Validation errors read as one plain sentence: no field names, no pydantic text."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.validation_words import FIELD_WORDS, detail_of, field_of, sentence
from tests.support.api import new_patient_body

MACHINE_WORDS = ("Input should", "String should", "Field required", "Value error", "_")


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ({"type": "missing", "loc": ("body", "name")}, "Please give the name."),
        ({"type": "string_too_short", "loc": ("body", "name"), "ctx": {"min_length": 1}},
         "Please fill in the name."),
        ({"type": "string_too_long", "loc": ("body", "note"), "ctx": {"max_length": 2000}},
         "The note is too long: at most 2000 characters."),
        ({"type": "int_parsing", "loc": ("body", "pain")},
         "The pain score must be a whole number."),
        ({"type": "less_than_equal", "loc": ("body", "pain"), "ctx": {"le": 10}},
         "The pain score must be at most 10."),
        ({"type": "time_parsing", "loc": ("body", "bed_time")},
         "The bedtime must be a time like 07:30."),
        ({"type": "value_error", "loc": ("body", "name"),
          "msg": "Value error, must not contain control characters"},
         "The name must not contain control characters."),
        ({"type": "value_error", "loc": ("body", "time_zone"),
          "msg": "Value error, unknown time zone 'X'"},
         "Unknown time zone 'X'."),
        ({"type": "value_error", "loc": ("body", "email"),
          "msg": "value is not a valid email address: An email address must have an @-sign."},
         "The e-mail address needs an @ and a domain, like name@example.org."),
        ({"type": "some_new_pydantic_type", "loc": ("query", "limit")}, "The limit is not valid."),
    ],
)  # fmt: skip
def test_each_kind_of_error_in_words(error: dict[str, Any], words: str) -> None:
    assert sentence(error) == words


def test_the_innermost_field_is_named() -> None:
    assert field_of(("body", "treatment", "performed_at")) == "performed_at"
    assert field_of(("body", 0)) is None
    assert detail_of([]) == "The request is not valid."


def test_every_field_has_its_article() -> None:
    assert all(words.startswith(("the ", "whether ")) for words in FIELD_WORDS.values())


def test_the_api_answers_with_the_sentence_and_where(staff: TestClient) -> None:
    body = new_patient_body(wake_time="25:00", name="")
    answer = staff.post("/api/patients", json=body).json()
    assert answer["code"] == "invalid_input"
    assert not any(word in answer["detail"] for word in MACHINE_WORDS), answer["detail"]
    fields = {error["field"]: error["message"] for error in answer["errors"]}
    assert fields["wake_time"] == "The time of getting up must be a time like 07:30."
    assert fields["name"] == "Please fill in the name."
    assert "25:00" not in str(answer)  # the input is never echoed
