"""axe-core and sideways scrolling on the real open data kit, every page, at phone and desktop sizes.

The sample area is small and tidy; real data brings long names, many places on top of each other
and wide tables. Skipped when the kit is absent.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.pages import PAGES
from tests.browser.realkit import real_site  # noqa: F401 (fixture)
from tests.browser.test_accessibility import axe_violations, describe
from tests.browser.test_every_page_fits import KEY_JS

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 640}}
CASES = [(spec, size) for spec in PAGES for size in SIZES]
IDS = [f"{spec.name}-{size}" for spec, size in CASES]


@pytest.fixture(scope="module")
def real_tabs(browser, real_site):  # noqa: F811
    """A public tab and a signed-in staff tab on the real kit, shared by the module."""
    public = browser.new_context(viewport=SIZES["desktop"])
    staff = browser.new_context(viewport=SIZES["desktop"])
    tabs = {"public": public.new_page(), "staff": staff.new_page()}
    signed: list[bool] = []

    def get(needs_login: bool):
        if needs_login and not signed:
            sign_in(tabs["staff"], real_site)
            signed.append(True)
        return tabs["staff" if needs_login else "public"]

    yield get
    public.close()
    staff.close()


@pytest.mark.parametrize(("spec", "size"), CASES, ids=IDS)
def test_real_kit_page_passes_axe_and_fits(spec, size, real_site, real_tabs):  # noqa: F811
    if spec.who or any(f"{{{name}}}" in spec.path for name in ("pending", "job")):
        pytest.skip(
            f"{spec.path}: the real-kit site has no admin, manager, duplicate or import set up (the sample has)"
        )
    path = spec.url(real_site.ids)
    tab = real_tabs(spec.needs_login)
    tab.set_viewport_size(SIZES[size])
    response = tab.goto(real_site.url + path)
    assert response is not None and response.status == spec.status, f"{path} answered {response and response.status}"
    tab.wait_for_load_state("load")
    violations = axe_violations(tab)
    assert not violations, f"{path} at {size}: {len(violations)} WCAG A/AA rule(s) broken:\n{describe(violations)}"
    width = tab.evaluate("() => document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], f"{path} at {size} is {width} px wide: it scrolls sideways"
    if spec.key:  # (the kit may have nothing in that state, e.g. no pending place: then there is no column)
        key = tab.evaluate(KEY_JS, spec.key)
        assert not key["problems"], f"{path} at {size}: key column {spec.key} out of view: {key['problems']}"
