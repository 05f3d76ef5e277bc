"""axe-core in the browser tests: every screen a test looks at is checked against WCAG 2.2 AA.

axe-core is pinned in package.json and installed by `make install` (npm ci); it is evaluated
into the page by the test (DevTools evaluation is not subject to the page's CSP), so the app
never serves it and its Content-Security-Policy stays as strict as patients get it.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# The WCAG 2.0-2.2 A and AA rules (axe's tags); best practices are not part of the contract.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

# axe measures at the current scroll position: a target that happens to lie under the bottom
# bar now counts as "obscured", though the patient scrolls it clear. So fixed and sticky bars
# scroll with the page while axe runs (put back after); the bar's own height is measured by
# layout_support's check. The page's CSP allows CSSOM style changes (not style attributes).
RUN = """async ([root, tags]) => {
    const bars = [...document.querySelectorAll("body *")].filter((e) =>
        ["fixed", "sticky"].includes(getComputedStyle(e).position));
    for (const bar of bars) bar.style.setProperty("position", "static", "important");
    const context = root ? document.querySelector(root) : document;
    let result;
    try {
        result = await axe.run(context, { runOnly: { type: "tag", values: tags } });
    } finally {
        for (const bar of bars) bar.style.removeProperty("position");
    }
    return result.violations.map((v) => ({
        id: v.id,
        help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
    }));
}"""


@cache
def axe_source() -> str:
    if not AXE.exists():
        reason = f"{AXE} is missing (make install runs npm ci)"
        if os.environ.get("AFTERCARE_REQUIRE_BROWSER"):  # CI: a missing checker fails, never skips
            pytest.fail(reason)
        pytest.skip(reason)
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any, root: str | None = None) -> list[dict[str, Any]]:
    """The WCAG 2.2 AA violations axe finds on the page (or under the `root` selector) now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    violations: list[dict[str, Any]] = page.evaluate(RUN, [root, WCAG_AA])
    return violations


def assert_accessible(page: Any, name: str, root: str | None = None) -> None:
    """Fail with axe's own words for each rule broken on the screen called `name`."""
    violations = axe_violations(page, root)
    lines = [f"{v['id']} ({v['help']}): " + "; ".join(v["nodes"]) for v in violations]
    assert not violations, f"axe on {name}:\n" + "\n".join(lines)
