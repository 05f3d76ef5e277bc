"""Every server text through the catalogue has a complete Polish translation and a pseudo form."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.i18n import catalogue
from app.i18n.languages import PSEUDO, PSEUDO_RTL, TRANSLATED, offered
from app.i18n.pseudo import placeholders, pseudo

APP = Path(catalogue.__file__).resolve().parent.parent


def _catalogue_call(node: ast.Call) -> str | None:
    """ "text" or "plural" for a catalogue.text(…) or catalogue.plural(…) call, else None."""
    func = node.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr in ("text", "plural")
        and isinstance(func.value, ast.Name)
        and func.value.id == "catalogue"
    ):
        return func.attr
    return None


def _constants(tree: ast.Module, imported: dict[str, list[str]]) -> dict[str, list[str]]:
    """Module-level NAME = "text" (or a dict of texts) → the texts, plus those imported."""
    found = dict(imported)
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if not isinstance(target, ast.Name):
                continue
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found[target.id] = [value.value]
            elif isinstance(value, ast.Tuple):  # a plural text: (singular, plural)
                texts = [v.value for v in value.elts if isinstance(v, ast.Constant)]
                found[target.id] = [t for t in texts if isinstance(t, str)]
            elif isinstance(value, ast.Dict):
                texts = [v.value for v in value.values if isinstance(v, ast.Constant)]
                found[target.id] = [t for t in texts if isinstance(t, str)]
    return found


def _msgids(node: ast.expr, constants: dict[str, list[str]], where: str) -> list[str]:
    """The texts a msgid argument can be: a literal, a module constant, or one of a dict's."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in constants
    ):
        return constants[node.value.id]
    # Anything else could be any text: this test (and a translator) must see every one.
    raise AssertionError(f"{where}: the msgid must be a literal or a module constant")


def used_msgids(kind: str = "text") -> dict[str, str]:
    """msgid → where it is used, for every catalogue.text(language, msgid, …) in app/ (or,
    with kind "plural", the singular and plural of every catalogue.plural(language, pair, …))."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in APP.rglob("*.py")}
    # Constants by module name, so an imported one (from app.x import NAME) resolves too.
    by_module = {
        ".".join(path.relative_to(APP.parent).with_suffix("").parts): _constants(tree, {})
        for path, tree in trees.items()
    }
    found: dict[str, str] = {}
    for path, tree in sorted(trees.items()):
        imported: dict[str, list[str]] = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module in by_module:
                for alias in node.names:
                    texts = by_module[node.module].get(alias.name)
                    if texts is not None:
                        imported[alias.asname or alias.name] = texts
        constants = _constants(tree, imported)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _catalogue_call(node) == kind:
                where = f"{path.relative_to(APP)}:{node.lineno}"
                assert len(node.args) >= 2, where
                for msgid in _msgids(node.args[1], constants, where):
                    found[msgid] = where
    return found


def test_the_scan_finds_the_texts() -> None:
    assert len(used_msgids()) >= 1
    assert len(used_msgids("plural")) >= 2


def _plural_pairs() -> list[tuple[str, str]]:
    """Each (singular, plural) English pair of the plural texts used."""
    texts = list(used_msgids("plural"))
    assert len(texts) % 2 == 0, texts
    return list(zip(texts[::2], texts[1::2], strict=True))


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_plural_used_has_every_form(language: str) -> None:
    forms = catalogue.plurals(language).forms
    missing = [singular for singular, _ in _plural_pairs() if singular not in forms]
    assert missing == []
    for singular, many in _plural_pairs():
        wanted = placeholders(singular) | placeholders(many)
        assert all(placeholders(form) == wanted for form in forms[singular]), singular


def test_polish_plurals_follow_the_three_forms() -> None:
    pair = ("{n} task still to come.", "{n} tasks still to come.")
    assert catalogue.plural("en", pair, 1) == "1 task still to come."
    assert catalogue.plural("en", pair, 2) == "2 tasks still to come."
    assert catalogue.plural("pl", pair, 1) == "Jeszcze 1 zadanie przed Tobą."
    assert catalogue.plural("pl", pair, 3) == "Jeszcze 3 zadania przed Tobą."
    assert catalogue.plural("pl", pair, 5) == "Jeszcze 5 zadań przed Tobą."
    assert catalogue.plural("pl", pair, 22) == "Jeszcze 22 zadania przed Tobą."
    assert catalogue.plural("pl", pair, 12) == "Jeszcze 12 zadań przed Tobą."
    pseudo_text = catalogue.plural(PSEUDO, pair, 2)
    assert "2" in pseudo_text and pseudo_text != "2 tasks still to come."


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
    assert pseudo("Take a walk at {time}") == "⟦Ţàķé à wàĺķ àţ {time} ~~~~ ~~~⟧"


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
