"""The clinical safety file names only tests that exist: a renamed control cannot go unnoticed."""

from __future__ import annotations

from tests.support.doc_references import ROOT, missing_bare_names, missing_references

HAZARD_LOG = ROOT / "docs" / "safety" / "hazard-log.md"


def test_every_test_the_hazard_log_names_exists() -> None:
    text = HAZARD_LOG.read_text()
    assert text.count("`tests/") > 30, "the log should point at its tests"
    assert missing_references(text) == []


def test_bare_test_names_in_brackets_exist_in_the_file_before_them() -> None:
    # "(`test_a`, `test_b`)" after a file reference names tests of that file.
    assert missing_bare_names(HAZARD_LOG.read_text().splitlines()) == []
