"""Every shipped protocol version has a complete Polish translation (each task, each visit,
each preparation line), marked a draft for clinical review, with the same placeholders."""

from __future__ import annotations

from collections import defaultdict

import pytest

from app.i18n.languages import TRANSLATED
from app.i18n.pseudo import placeholders
from app.protocols.loader import AppointmentsTask, Protocol, _package
from app.protocols.translations import (
    by_english,
    file_name,
    load_translation,
    pairs,
    shipped,
    translate,
)

VERSIONS = [(p.name, p.version) for p in shipped()]


def protocol(name: str, version: int) -> Protocol:
    return next(p for p in shipped() if (p.name, p.version) == (name, version))


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize(("name", "version"), VERSIONS)
def test_every_task_visit_and_preparation_line_is_translated(
    name: str, version: int, language: str
) -> None:
    translation = load_translation(name, version, language)
    assert translation is not None, f"app/protocols/{name}/{file_name(version, language)}"
    shipped_protocol = protocol(name, version)
    assert set(translation.tasks) == set(shipped_protocol.codes)
    visits = {
        (task.code, visit.number)
        for task in shipped_protocol.tasks
        if isinstance(task, AppointmentsTask)
        for visit in task.visits
        if visit.title or visit.instructions
    }
    assert set(translation.visits) == visits
    assert len(translation.preparation) == len(shipped_protocol.preparation)
    for english, text in pairs(shipped_protocol, translation):
        assert text.strip(), english
        assert placeholders(text) == placeholders(english), english


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize(("name", "version"), VERSIONS)
def test_the_file_says_it_is_a_draft_for_clinical_review(
    name: str, version: int, language: str
) -> None:
    text = _package().joinpath(name).joinpath(file_name(version, language)).read_text("utf-8")
    assert text.startswith("# DRAFT for clinical review (translation)")


@pytest.mark.parametrize("language", TRANSLATED)
def test_one_english_text_has_one_translation_across_versions(language: str) -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for shipped_protocol in shipped():
        translation = load_translation(shipped_protocol.name, shipped_protocol.version, language)
        assert translation is not None
        for english, text in pairs(shipped_protocol, translation):
            seen[english].add(text)
    assert {english: texts for english, texts in seen.items() if len(texts) > 1} == {}
    assert len(by_english(language)) == len(seen)


def test_translate_by_language() -> None:
    assert translate("pl", "Final review") == "Wizyta końcowa"
    assert translate("en", "Final review") == "Final review"
    assert translate("qps-ploc", "Final review").startswith("⟦")
    assert translate("pl", "A text no protocol has") == "A text no protocol has"
