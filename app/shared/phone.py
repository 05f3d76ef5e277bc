"""The phone number field patients and clinics share: digits with the usual separators."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

PhoneNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()\-.]{3,39}$")
]
