"""Every server text through the catalogue has a complete Polish translation and a pseudo form."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.i18n import catalogue
from app.i18n.languages import PSEUDO, PSEUDO_RTL, TRANSLATED, offered
from app.i18n.pseudo import placeholders, pseudo

APP = Path(catalogue.__file__).resolve().parent.parent


def _is_text_call(node: ast.Call) -> bool:
    func = node.func
    if isinstance(func, ast.Attribute):
        return (
            func.attr == "text"
            and isinstance(func.value, ast.Name)
            and (func.value.id == "catalogue")
        )
    return False


def used_msgids() -> dict[str, str]:
    """msgid → where it is used, for every catalogue.text(language, "msgid", …) in app/."""
    found: dict[str, str] = {}
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _is_text_call(node):
                where = f"{path.relative_to(APP)}:{node.lineno}"
                assert len(node.args) >= 2, where
                msgid = node.args[1]
                # A literal, so this test (and a translator) can see every text.
                assert isinstance(msgid, ast.Constant) and isinstance(msgid.value, str), where
                found[msgid.value] = where
    return found


def test_the_scan_finds_the_texts() -> None:
    assert len(used_msgids()) >= 1


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_msgid_used_has_a_translation(language: str) -> None:
    translated = catalogue.translations(language)
    missing = {m: where for m, where in used_msgids().items() if m not in translated}
    assert missing == {}


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_match_between_english_and_translation(language: str) -> None:
    for msgid, translation in catalogue.translations(language).items():
        assert placeholders(translation) == placeholders(msgid), msgid


def test_pseudo_keeps_placeholders_and_is_longer() -> None:
    for msgid in [*used_msgids(), "OK", "Seen by {name} at {time}: {reply}"]:
        for rtl in (False, True):
            out = pseudo(msgid, rtl=rtl)
            assert placeholders(out) == placeholders(msgid)
            assert len(out) >= 1.3 * len(msgid)
            assert "⟦" in out and "⟧" in out


def test_pseudo_accents_outside_placeholders() -> None:
    assert pseudo("Take a walk at {time}") == "⟦Ţàķé à wàĺķ àţ {time}~~~~~~~~~⟧"


def test_text_fills_in_params_in_each_language() -> None:
    msgid = next(iter(used_msgids()))
    params = {name: "X" for name in placeholders(msgid)}
    assert catalogue.text("en", msgid, **params) == msgid.format(**params)
    assert catalogue.text("pl", msgid, **params) != msgid.format(**params)
    assert catalogue.text(PSEUDO, msgid, **params).startswith("⟦")
    assert catalogue.text(PSEUDO_RTL, msgid, **params).startswith("\u202b⟦")


def test_pseudo_languages_only_when_the_setting_is_on() -> None:
    assert [lang.code for lang in offered(pseudo_locales=False)] == ["en", "pl"]
    assert [lang.name for lang in offered(pseudo_locales=True)][:2] == ["English", "Polski"]
    assert len(offered(pseudo_locales=True)) == 4
