"""The screens' measured figures in one table: `python -m tests.e2e.measurements` after a run."""

from __future__ import annotations

import json
import sys

from tests.e2e.layout_support import MEASUREMENTS


def summary(lines: list[dict[str, float | str | None]]) -> str:
    """The worst bar share, smallest target and largest layout shift over every screen."""
    bars = [(float(m["bar_share"] or 0), str(m["screen"])) for m in lines]
    targets = [(float(m["smallest_target"]), str(m["screen"])) for m in lines
               if m["smallest_target"] is not None]  # fmt: skip
    shifts = [(float(m["cls"] or 0), str(m["screen"])) for m in lines]
    bar, bar_at = max(bars)
    target, target_at = min(targets)
    shift, shift_at = max(shifts)
    return (
        f"{len(lines)} screens checked\n"
        f"tallest fixed bar: {bar:.1%} of the screen height ({bar_at})\n"
        f"smallest tap target: {target:.0f} CSS px ({target_at})\n"
        f"largest layout shift (CLS): {shift:.3f} ({shift_at})"
    )


def main() -> int:
    if not MEASUREMENTS.exists():
        print(f"no measurements yet: run the browser tests first ({MEASUREMENTS})")
        return 1
    lines = [json.loads(line) for line in MEASUREMENTS.read_text(encoding="utf-8").splitlines()]
    print(summary(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
