"""Payloads: private by default, the task's title only on opt-in, one JSON for SW and Safari."""

from __future__ import annotations

import json
import uuid

import pytest

from app.notifications.payload import (
    GENERIC_APPOINTMENT_TEXT,
    GENERIC_TASK_TEXT,
    MAX_PLAINTEXT_BYTES,
    reminder_payload,
)

TASK_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")


def payload(**overrides: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "occurrence_id": TASK_ID,
        "kind": "task",
        "title": "Put on the cream",
        "show_title": False,
        "public_url": "https://care.example.org",
    } | overrides
    document: dict[str, object] = json.loads(reminder_payload(**arguments))  # type: ignore[arg-type]
    return document


def test_lock_screen_text_is_generic_by_default() -> None:
    document = payload()
    assert document["notification"] == {
        "title": "Aftercare",
        "body": GENERIC_TASK_TEXT,
        "lang": "en-GB",
        "navigate": f"https://care.example.org/?task={TASK_ID}",
        "tag": str(TASK_ID),
    }
    assert "cream" not in json.dumps(document)
    assert document["web_push"] == 8030  # Safari's declarative Web Push
    assert document["task_id"] == str(TASK_ID)
    assert document["url"] == f"/?task={TASK_ID}"


def test_appointments_have_their_own_generic_text() -> None:
    assert payload(kind="appointment")["notification"]["body"] == GENERIC_APPOINTMENT_TEXT  # type: ignore[index]


def test_title_is_shown_when_the_patient_opted_in() -> None:
    assert payload(show_title=True)["notification"]["body"] == "Put on the cream"  # type: ignore[index]


@pytest.mark.parametrize("title", ["é" * 3000, "x" * 10_000])
def test_payload_never_exceeds_the_push_limit(title: str) -> None:
    encoded = reminder_payload(
        occurrence_id=TASK_ID, kind="task", title=title, show_title=True,
        public_url="https://care.example.org",
    )  # fmt: skip
    assert len(encoded) <= MAX_PLAINTEXT_BYTES
    assert json.loads(encoded)["notification"]["body"] == GENERIC_TASK_TEXT


def test_the_daily_check_in_opens_the_report_form() -> None:
    document = payload(task="symptom_check")
    assert document["url"] == f"/?task={TASK_ID}&report=1"
    assert document["notification"]["navigate"].endswith("&report=1")  # type: ignore[index]
    assert payload(task="stockings_on")["url"] == f"/?task={TASK_ID}"


def test_the_buttons_come_with_the_done_token_in_the_patients_language() -> None:
    assert "actions" not in payload()  # no token: nothing the buttons could do
    assert payload(action_token="t")["actions"] == [
        {"action": "done", "title": "Done"},
        {"action": "snooze", "title": "Remind me in 30 minutes"},  # SNOOZE, worded once
    ]
    polish = payload(action_token="t", language="pl")
    assert polish["actions"] == [
        {"action": "done", "title": "Zrobione"},
        {"action": "snooze", "title": "Przypomnij mi za 30 minut"},
    ]
    assert polish["notification"]["lang"] == "pl-PL"  # type: ignore[index]
    assert payload(language="qps-ploc")["notification"]["lang"] == "en-GB"  # type: ignore[index]
