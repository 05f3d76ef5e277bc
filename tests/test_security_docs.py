"""The security documents name only tests that exist: a control whose test is renamed shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.doc_references import ROOT, missing_bare_names, missing_references

DOCUMENTS = [ROOT / "docs" / "security.md", *sorted((ROOT / "docs" / "security").glob("*.md"))]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_test_a_security_document_names_exists(document: Path) -> None:
    assert missing_references(document.read_text()) == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_bare_test_names_exist_in_a_file_their_paragraph_names(document: Path) -> None:
    paragraphs = document.read_text().split("\n\n")
    assert missing_bare_names(paragraphs) == []
