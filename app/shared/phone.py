"""The phone number field patients and clinics share, and the textable (E.164) form of one:
the patients' reminders and the on-call staff's alerts go by SMS only to such a number."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

PhoneNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()\-.]{3,39}$")
]

# A number a gateway can text: the country code first (E.164), separators allowed as typed.
_INTERNATIONAL = re.compile(r"^\+[1-9][0-9]{7,14}$")
_SEPARATORS = re.compile(r"[ ()\-.]")


def sms_number(phone: str | None) -> str | None:
    """The number in E.164 (+447700900123), or None if it lacks the country code."""
    if not phone:
        return None
    digits = _SEPARATORS.sub("", phone)
    return digits if _INTERNATIONAL.match(digits) else None
