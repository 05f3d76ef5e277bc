"""The languages this server offers patients, each named in its own language."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LANGUAGE = "en"
# Pseudo-locales for tests: every visible string must go through a catalogue to change.
PSEUDO = "qps-ploc"
PSEUDO_RTL = "qps-plocm"
PSEUDO_CODES = (PSEUDO, PSEUDO_RTL)


@dataclass(frozen=True)
class Language:
    """One offered language: its code and its name as its speakers write it."""

    code: str
    name: str


REAL_LANGUAGES = (Language("en", "English"), Language("pl", "Polski"))
PSEUDO_LANGUAGES = (
    Language(PSEUDO, "Pseudo (accented, longer)"),
    Language(PSEUDO_RTL, "Pseudo (right to left)"),
)
# The real languages with translated catalogues (English is the msgid itself).
TRANSLATED = tuple(lang.code for lang in REAL_LANGUAGES if lang.code != DEFAULT_LANGUAGE)


def offered(*, pseudo_locales: bool) -> tuple[Language, ...]:
    """The languages a patient may choose; pseudo ones only where the setting turns them on."""
    return REAL_LANGUAGES + (PSEUDO_LANGUAGES if pseudo_locales else ())


def is_offered(code: str, *, pseudo_locales: bool) -> bool:
    """Whether `code` is one this server offers."""
    return any(lang.code == code for lang in offered(pseudo_locales=pseudo_locales))


def name_of(code: str) -> str:
    """The language's own name ("Polski"); an unknown code is shown as itself."""
    for lang in REAL_LANGUAGES + PSEUDO_LANGUAGES:
        if lang.code == code:
            return lang.name
    return code
