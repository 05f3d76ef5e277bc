"""The table of error codes in docs/errors.md, made from ErrorCode (`--write` rewrites it)."""

from __future__ import annotations

import sys
from pathlib import Path

from app.error_codes import ErrorCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
START = "<!-- error-codes:start (made by python -m tests.support.error_table --write) -->"
END = "<!-- error-codes:end -->"


def render() -> str:
    """One row per code, in the enum's order: code, status(es), meaning."""
    rows = ["| Code | Status | Meaning |", "|---|---|---|"]
    for code in ErrorCode:
        statuses = ", ".join(str(status) for status in code.statuses) or "any other"
        rows.append(f"| `{code}` | {statuses} | {code.meaning} |")
    return "\n".join(rows)


def documented_table(text: str) -> str:
    """The table as the document has it now (between the markers)."""
    if START not in text or END not in text:
        raise ValueError(f"{DOC.name} has lost its markers {START!r} ... {END!r}")
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def write() -> None:
    text = DOC.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    DOC.write_text(f"{before}{START}\n{render()}\n{END}{after}", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    else:
        print(render())
