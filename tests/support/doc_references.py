"""Tests a document names (`tests/x.py::test_y`) that do not exist: for docs that cite tests."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)((?:::\w+)*)`")
BARE_TEST_NAME = re.compile(r"`(test_\w+)`")


def defined_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
    }


def missing_references(text: str) -> list[str]:
    """Every `tests/file.py::Name::name` in `text` whose file or names do not exist."""
    missing = []
    for file, names in REFERENCE.findall(text):
        path = ROOT / file
        if not path.is_file():
            missing.append(file)
            continue
        known = defined_names(path)
        missing += [f"{file}::{name}" for name in names.split("::")[1:] if name not in known]
    return missing


def missing_bare_names(units: list[str]) -> list[str]:
    """Bare `test_x` names in a unit (a line, a paragraph) not defined in a file it names."""
    missing = []
    for unit in units:
        files = REFERENCE.findall(unit)
        if not files:
            continue
        known = set().union(*(defined_names(ROOT / f) for f, _ in files if (ROOT / f).is_file()))
        missing += [name for name in BARE_TEST_NAME.findall(unit) if name not in known]
    return missing
