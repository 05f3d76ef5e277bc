"""Server texts by gettext msgid in the patient's language, from app/locales/*.po at start-up."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

from app.i18n.languages import PSEUDO, PSEUDO_RTL, TRANSLATED
from app.i18n.pseudo import pseudo

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


def po_path(language: str) -> Path:
    """Where a language's catalogue lives."""
    return LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: str) -> dict[str, str]:
    """msgid → translation for a translated language (empty translations left out)."""
    with po_path(language).open("rb") as f:
        catalog = read_po(f, locale=language)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
    }


def load() -> None:
    """Read every catalogue now (start-up), so a broken file stops the service, not a send."""
    for language in TRANSLATED:
        translations(language)


def text(language: str, msgid: str, **params: object) -> str:
    """`msgid` (English) in `language`, with {params} filled in; English where none exists."""
    if language in (PSEUDO, PSEUDO_RTL):
        template = pseudo(msgid, rtl=language == PSEUDO_RTL)
    elif language in TRANSLATED:
        # A missing translation falls back to English; tests/i18n keeps the catalogue complete.
        template = translations(language).get(msgid, msgid)
    else:
        template = msgid
    return template.format(**params) if params else template
