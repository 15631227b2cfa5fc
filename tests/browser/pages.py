"""Every page the app serves, in ONE list that the accessibility, layout and keyboard tests share.

A page the app no longer routes fails its checks (it answers 404, not its listed status): renaming a
route means updating its line here. Add new pages here, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """A page to check: its path (may hold {asset} or {ward}), a short file-safe name, and who may see it."""

    path: str
    name: str
    needs_login: bool = False
    status: int = 200  # the error page is a page people see too
    counted_map: bool = False  # its map's text twin must say how many things it lists (data-items="N")
    who: str = ""  # "admin" or "manager" when only they may open it (needs_login alone means a moderator)
    # CSS selector of the page's key column or controls: they must be in view, unclipped, at every size.
    key: str = ""

    def url(self, ids: dict[str, str]) -> str:
        """Return the path with sample ids filled in."""
        return self.path.format(**ids)


PAGES = [
    Page("/", "home", counted_map=True),
    Page("/?category=youth", "home-filtered", counted_map=True),
    Page("/?q=lunch&near=Northgate&radius=2000", "home-search", counted_map=True),
    Page("/about", "about"),
    Page("/embed?category=youth", "embed", counted_map=True),
    Page("/assets/new", "asset-form"),
    Page("/assets/{asset}", "asset-page"),
    Page("/assets/{asset}/report", "report-a-problem"),
    Page("/needs/new", "needs-form"),
    Page("/gaps", "gaps", key="table.gap-table td.gap"),
    Page("/wards/{ward}", "ward", key="#ward-gaps td[data-key=gap_score]"),
    Page("/wards/{ward}/report", "ward-report"),
    Page("/partners", "partners"),
    Page("/partners?postcode={postcode}&radius=1000", "partners-results"),
    Page("/assets/{asset}/partners", "asset-partners"),
    Page("/api/docs", "api-docs"),
    Page("/login", "login"),
    Page("/assets/{asset}/claim", "claim-listing"),
    Page("/groups/sign-in", "manager-sign-in"),
    Page("/moderate", "moderation", needs_login=True, key=".queue-item .actions"),
    Page("/moderate/stale", "stale-places", needs_login=True, key="#stale-table td[data-key=actions]"),
    Page("/moderate/assets/{asset}/edit", "staff-edit", needs_login=True),
    Page("/moderate/assets/{pending}/merge", "merge-choose", needs_login=True, key="#merge-choices"),
    Page(
        "/moderate/assets/{pending}/merge?with={asset}",
        "merge-pair",
        needs_login=True,
        key="#merge-pair th[data-key=kept]",
    ),
    Page("/needs/", "needs-over-time"),
    Page("/you-said-we-did", "you-said-we-did"),
    Page("/wards/{ward}/you-said-we-did", "ward-you-said-we-did"),
    Page("/responses/new", "record-response", needs_login=True),
    Page("/imports/", "imports", needs_login=True),
    Page("/imports/new", "imports-choose", needs_login=True),
    Page("/imports/new?kind=places", "imports-upload", needs_login=True),
    Page("/imports/{job}", "import-done", needs_login=True),
    Page("/imports/{job}/rollback", "import-rollback", needs_login=True, key="#rollback-confirm button"),
    Page("/admin/users", "staff-accounts", needs_login=True, who="admin", key="#accounts td[data-key=actions]"),
    Page("/admin/audit", "audit-log", needs_login=True, who="admin"),
    Page("/groups/my", "manager-listings", who="manager"),
    Page("/groups/listings/{asset}/edit", "manager-edit", who="manager"),
    Page("/groups/listings/{asset}/offers-needs", "manager-offers-needs", who="manager"),
    Page("/privacy", "privacy-notice"),
    Page("/privacy/requests", "privacy-requests", needs_login=True),
    Page("/no-such-page", "not-found", status=404),
]
