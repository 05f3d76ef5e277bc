"""The PWA's pseudo-locale catalogues, made from its English one (app/web/locales/en.json)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from app.i18n.languages import PSEUDO_RTL
from app.i18n.pseudo import pseudo

ENGLISH_CATALOGUE = Path(__file__).resolve().parent.parent / "web" / "locales" / "en.json"


@cache
def pseudo_catalogue(code: str, english: Path = ENGLISH_CATALOGUE) -> bytes:
    """The JSON of `code` (qps-ploc or qps-plocm): every English string made pseudo, keys and
    {placeholders} as they are."""
    source: dict[str, str] = json.loads(english.read_text(encoding="utf-8"))
    rtl = code == PSEUDO_RTL
    made = {key: pseudo(text, rtl=rtl) for key, text in source.items()}
    return json.dumps(made, ensure_ascii=False, indent=0).encode()
