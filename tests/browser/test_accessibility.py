"""axe-core on every page the app serves: WCAG 2.0/2.1/2.2 A and AA rules, zero violations."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.pages import PAGES

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
    """Run axe-core with the WCAG A/AA tags on the page once its maps have settled."""
    # Marker clusters slide apart while the map zooms to fit its places; caught mid-animation they
    # overlap, which axe's target-size rule rightly reports but no visitor would see at rest.
    tab.wait_for_function("() => !document.querySelector('.leaflet-cluster-anim, .leaflet-zoom-anim')", timeout=15_000)
    tab.wait_for_timeout(300)
    tab.wait_for_function("() => !document.querySelector('.leaflet-cluster-anim, .leaflet-zoom-anim')", timeout=15_000)
    results = AXE.run(tab, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    return results.response["violations"]


# Every page at both sizes passes axe in test_every_page_fits.py (with the width and key-column checks).


PUBLIC = [p for p in PAGES if not p.needs_login and not p.who and p.status == 200]


@pytest.mark.parametrize("spec", PUBLIC, ids=[p.name for p in PUBLIC])
def test_form_errors_are_summarised_and_accessible(spec, open_page):
    """Send each public form empty: a GOV.UK-style error summary links to the fields, and axe still passes."""
    tab = open_page(spec)
    form = tab.locator("main form[method=post i]")
    if form.count() == 0:
        pytest.skip(f"{spec.path} has no form that sends data")
    form = form.first
    button = form.locator("button[type=submit], button:not([type]), input[type=submit]").last
    invalid = form.evaluate("(f) => [...f.elements].filter((e) => e.willValidate && !e.checkValidity()).length")
    novalidate = form.evaluate("(f) => f.noValidate")
    assert novalidate or not invalid, (
        f"{spec.path}: the browser's own pop-ups would stop an empty form; add novalidate so the page's "
        "error summary and messages (readable by screen readers, in plain English) show instead"
    )
    with tab.expect_navigation():
        button.click()
    summary = tab.locator(".error-summary")
    assert summary.count() == 1, f"{spec.path}: an empty form should come back with one error summary"
    assert summary.evaluate(
        "(s) => !!(s.compareDocumentPosition(document.querySelector('main form')) & Node.DOCUMENT_POSITION_FOLLOWING)"
    ), f"{spec.path}: the error summary should come before the form"
    links = summary.locator("a[href^='#']")
    assert links.count() > 0, f"{spec.path}: the error summary should link to each field with a problem"
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href")[1:]
        found = tab.evaluate(
            "(id) => { const e = document.getElementById(id); return !!e && !!e.closest('form') && "
            "(e.matches('input, select, textarea, fieldset') || !!e.querySelector('input, select, textarea')); }",
            target,
        )
        assert found, f"{spec.path}: the summary links to #{target}, which is not a field of the form"
    violations = axe_violations(tab)
    assert not violations, (
        f"{spec.path} with errors: {len(violations)} WCAG A/AA rule(s) broken:\n{describe(violations)}"
    )
