"""The clinical safety file names only tests that exist: a renamed control cannot go unnoticed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HAZARD_LOG = ROOT / "docs" / "safety" / "hazard-log.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)((?:::\w+)*)`")
BARE_TEST_NAME = re.compile(r"`(test_\w+)`")


def defined_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
    }


def test_every_test_the_hazard_log_names_exists() -> None:
    text = HAZARD_LOG.read_text()
    references = REFERENCE.findall(text)
    assert len(references) > 30, "the log should point at its tests"
    missing = []
    for file, names in references:
        path = ROOT / file
        if not path.is_file():
            missing.append(file)
            continue
        known = defined_names(path)
        missing += [f"{file}::{name}" for name in names.split("::")[1:] if name not in known]
    assert missing == []


def test_bare_test_names_in_brackets_exist_in_the_file_before_them() -> None:
    # "(`test_a`, `test_b`)" after a file reference names tests of that file.
    missing = []
    for line in HAZARD_LOG.read_text().splitlines():
        files = REFERENCE.findall(line)
        if not files:
            continue
        known = set().union(*(defined_names(ROOT / f) for f, _ in files if (ROOT / f).is_file()))
        missing += [name for name in BARE_TEST_NAME.findall(line) if name not in known]
    assert missing == []
