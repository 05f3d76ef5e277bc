"""Protocol texts in a patient's language, from `v<N>.<language>.toml` beside each version.

A translation file maps each task code (and each visit, by number) to its title and
instructions, and lists the preparation lines in order. Plans store the English; the texts are
translated when a patient reads them, by their English wording, so a row from any shipped
version finds its translation.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field

from app.i18n.languages import PSEUDO, PSEUDO_RTL, TRANSLATED
from app.i18n.pseudo import pseudo
from app.protocols.loader import (
    AppointmentsTask,
    Protocol,
    _package,
    _shipped_names,
    available_versions,
    load_protocol,
)


@dataclass(frozen=True)
class Translation:
    """One protocol version's texts in one language: (title, instructions) by task code and
    by (task code, visit number), and the preparation lines."""

    tasks: dict[str, tuple[str, str]] = field(default_factory=dict)
    visits: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    preparation: tuple[str, ...] = ()


def file_name(version: int, language: str) -> str:
    return f"v{version}.{language}.toml"


def load_translation(name: str, version: int, language: str) -> Translation | None:
    """The translation file of protocol `name` version `version`, or None if it has none."""
    resource = _package().joinpath(name).joinpath(file_name(version, language))
    if not resource.is_file():
        return None
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    tasks: dict[str, tuple[str, str]] = {}
    visits: dict[tuple[str, int], tuple[str, str]] = {}
    for code, entry in data.get("tasks", {}).items():
        tasks[code] = (entry["title"], entry["instructions"])
        for number, visit in entry.get("visits", {}).items():
            visits[(code, int(number))] = (visit["title"], visit["instructions"])
    return Translation(tasks, visits, tuple(data.get("preparation", ())))


def shipped() -> list[Protocol]:
    """Every packaged protocol version."""
    return [load_protocol(n, v) for n in _shipped_names() for v in available_versions(n)]


def pairs(protocol: Protocol, translation: Translation) -> list[tuple[str, str]]:
    """(English, translated) for every text of `protocol` its translation covers."""
    found: list[tuple[str, str]] = []
    for task in protocol.tasks:
        if (texts := translation.tasks.get(task.code)) is not None:
            found += [(task.title, texts[0]), (task.instructions, texts[1])]
        if isinstance(task, AppointmentsTask):
            for visit in task.visits:
                if (texts := translation.visits.get((task.code, visit.number))) is not None:
                    found += [(visit.title or "", texts[0]), (visit.instructions or "", texts[1])]
    found += list(zip(protocol.preparation, translation.preparation, strict=False))
    return [(english, text) for english, text in found if english]


@functools.cache
def by_english(language: str) -> dict[str, str]:
    """English text → its translation, over every shipped protocol version (read once)."""
    found: dict[str, str] = {}
    for protocol in shipped():
        translation = load_translation(protocol.name, protocol.version, language)
        if translation is not None:
            found.update(pairs(protocol, translation))
    return found


def translate(language: str, english: str) -> str:
    """A protocol text (title, instructions, preparation line) in `language`; English where
    no translation exists (tests/protocols keeps the shipped ones complete)."""
    if not english:
        return english
    if language in (PSEUDO, PSEUDO_RTL):
        return pseudo(english, rtl=language == PSEUDO_RTL)
    if language in TRANSLATED:
        return by_english(language).get(english, english)
    return english
