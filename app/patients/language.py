"""A patient's language code: its shape in requests, and whether this server offers it."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from app.error_codes import ErrorCode
from app.errors import InvalidInput
from app.i18n.languages import is_offered, offered

# Shape only ("pl", "qps-ploc"); which codes are offered depends on the settings (check_language).
LanguageCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2,3}(-[a-z]{2,8})?$")
]


def check_language(code: str, *, pseudo_locales: bool) -> str:
    """`code` if this server offers it, else InvalidInput naming the ones it does."""
    if not is_offered(code, pseudo_locales=pseudo_locales):
        names = ", ".join(f"{lang.name} ({lang.code})" for lang in offered(pseudo_locales=False))
        raise InvalidInput(
            f"The language {code!r} is not offered; choose one of {names}.",
            code=ErrorCode.LANGUAGE_NOT_OFFERED,
        )
    return code
