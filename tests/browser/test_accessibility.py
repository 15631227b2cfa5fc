"""axe-core on every page the app serves: WCAG 2.0/2.1/2.2 A and AA rules, zero violations."""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from pages import PAGES

pytestmark = pytest.mark.browser

# The WCAG 2.x level A and AA rule sets (axe-core tags); best-practice rules are not part of the law.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Axe() reads the axe.min.js shipped inside the package and injects it: nothing is fetched from a CDN.
AXE = Axe()


def describe(violations: list[dict]) -> str:
    """List every violation with its rule, impact, help text and the nodes it was found on."""
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    {target}: {node.get('failureSummary', '').replace(chr(10), ' ')}")
    return "\n".join(lines)


def axe_violations(tab) -> list[dict]:
    """Run axe-core with the WCAG A/AA tags on the page as it stands."""
    results = AXE.run(tab, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    return results.response["violations"]


@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_page_has_no_wcag_violations(spec, open_page):
    tab = open_page(spec)
    violations = axe_violations(tab)
    assert not violations, f"{spec.path}: {len(violations)} WCAG A/AA rule(s) broken:\n{describe(violations)}"
