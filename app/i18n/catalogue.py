"""Server texts by gettext msgid in the patient's language, from app/locales/*.po at start-up."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from app.i18n.languages import PSEUDO, PSEUDO_RTL, TRANSLATED
from app.i18n.pseudo import pseudo

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


def po_path(language: str) -> Path:
    """Where a language's catalogue lives."""
    return LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"


@dataclass(frozen=True)
class Plurals:
    """A language's texts that change with a number: the forms by English singular, and the
    catalogue's own rule choosing a form for n (Polish has three: 1, 2 to 4, 5 and more)."""

    forms: dict[str, tuple[str, ...]]
    form_of: Callable[[int], int]


@cache
def _catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as f:
        return read_po(f, locale=language)


@cache
def translations(language: str) -> dict[str, str]:
    """msgid → translation for a translated language (empty translations left out)."""
    return {
        str(m.id): str(m.string)
        for m in _catalog(language)
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
    }


@cache
def plurals(language: str) -> Plurals:
    """The plural texts of a translated language (only those with every form filled in)."""
    catalog = _catalog(language)
    forms = {
        str(m.id[0]): tuple(str(s) for s in m.string)
        for m in catalog
        if isinstance(m.id, tuple) and isinstance(m.string, tuple) and all(m.string)
    }
    # gettext's own evaluator of the catalogue's Plural-Forms rule, as gettext uses it.
    return Plurals(forms, gettext.c2py(catalog.plural_expr))


def load() -> None:
    """Read every catalogue now (start-up), so a broken file stops the service, not a send."""
    for language in TRANSLATED:
        translations(language)
        plurals(language)


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


def plural(language: str, english: tuple[str, str], n: int, **params: object) -> str:
    """The text for the number `n` in `language`, from the English (singular, plural) pair
    ("{n} more day", "{n} more days"), with {n} and the other params filled in; English
    where no translation exists."""
    singular = english[0]
    template = singular if n == 1 else english[1]
    if language in (PSEUDO, PSEUDO_RTL):
        template = pseudo(template, rtl=language == PSEUDO_RTL)
    elif language in TRANSLATED and (found := plurals(language)).forms.get(singular):
        forms = found.forms[singular]
        template = forms[min(found.form_of(n), len(forms) - 1)]
    return template.format(n=n, **params)
