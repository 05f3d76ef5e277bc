"""Pushes, e-mails and texts to a patient come in their language, with Polish dates and the
protocol's Polish titles; the pseudo-locale changes every word."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.i18n.formats import short_when_in
from app.notifications.letter_text import reminder_letter
from app.notifications.payload import reminder_payload, report_seen_payload, visit_notice_payload

TASK = uuid.UUID(int=1)
URL = "https://aftercare.example"


def body(plaintext: bytes) -> str:
    return str(json.loads(plaintext)["notification"]["body"])


def test_a_visit_notice_in_polish_with_a_polish_date() -> None:
    when = short_when_in(datetime(2026, 4, 6, 7, 15, tzinfo=UTC), ZoneInfo("Europe/Warsaw"), "pl")
    assert when == "pon., 6 kwi o 09:15"
    shown = visit_notice_payload(
        occurrence_id=TASK, notice="visit_moved", title="Final review", when=when,
        show_title=True, public_url=URL, language="pl",
    )  # fmt: skip
    assert body(shown) == "Wizyta końcowa: termin przeniesiony na pon., 6 kwi o 09:15."
    private = visit_notice_payload(
        occurrence_id=TASK, notice="visit_booked", title="Final review", when=when,
        show_title=False, public_url=URL, language="pl",
    )  # fmt: skip
    assert body(private) == "Twoja wizyta w klinice: termin zarezerwowany na pon., 6 kwi o 09:15."


def test_a_reminder_in_polish_titled_or_generic() -> None:
    titled = reminder_payload(
        occurrence_id=TASK, kind="task", title="Raise your legs", show_title=True,
        public_url=URL, language="pl",
    )  # fmt: skip
    assert body(titled) == "Unieś nogi"
    generic = reminder_payload(
        occurrence_id=TASK, kind="task", title="Raise your legs", show_title=False,
        public_url=URL, language="pl",
    )  # fmt: skip
    assert body(generic) == "Czas na zadanie z planu opieki po zabiegu"
    pseudo = reminder_payload(
        occurrence_id=TASK, kind="task", title="Raise your legs", show_title=False,
        public_url=URL, language="qps-ploc",
    )  # fmt: skip
    assert body(pseudo).startswith("⟦")


def test_the_seen_push_title_in_polish() -> None:
    document = json.loads(
        report_seen_payload(
            report_id=TASK, text="x", show_text=False, public_url=URL, language="pl"
        )
    )
    assert document["notification"]["title"] == "Wiadomość z Twojej kliniki"
    assert document["notification"]["body"].startswith("Klinika odczytała Twoje zgłoszenie.")


def test_an_email_and_a_text_in_polish() -> None:
    mail = reminder_letter(
        channel="email", to="a@example.org", occurrence_id=TASK, kind="task",
        title="Raise your legs", show_title=True, clinic="Riverside", public_url=URL,
        language="pl",
    )  # fmt: skip
    assert mail.subject == "Przypomnienie od: Riverside"
    assert mail.text.startswith("Unieś nogi.\n\nOtwórz w aplikacji: ")
    assert mail.html is not None and "Otwórz w aplikacji</a>" in mail.html
    assert "Otrzymujesz tę wiadomość" in mail.html
    sms = reminder_letter(
        channel="sms", to="+48600000000", occurrence_id=TASK, kind="appointment",
        title="Final review", show_title=False, clinic="Riverside", public_url=URL,
        language="pl",
    )  # fmt: skip
    assert sms.text.startswith("Riverside: Przypomnienie o następnej wizycie w klinice. Otwórz: ")
