"""E-mail and SMS messages as the dispatcher sends them, and what a gateway answered."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Letter:
    """One message to one person: an e-mail (subject, text and HTML) or an SMS (text only)."""

    to: str
    subject: str
    text: str
    html: str = ""
    unsubscribe: str = ""  # a page where the patient changes how they are reminded


class Answer(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # the same message may go through later (busy, down, no answer)
    REFUSED = "refused"  # never will: a bounced address, an invalid number


@dataclass(frozen=True)
class LetterResult:
    answer: Answer
    error: str = ""
    retry_after: float | None = None  # seconds the gateway asked us to wait

    @property
    def delivered(self) -> bool:
        return self.answer == Answer.SENT
