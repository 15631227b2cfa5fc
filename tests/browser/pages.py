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
    Page("/needs/new", "needs-form"),
    Page("/gaps", "gaps"),
    Page("/wards/{ward}", "ward"),
    Page("/wards/{ward}/report", "ward-report"),
    Page("/partners", "partners"),
    Page("/partners?postcode={postcode}&radius=1000", "partners-results"),
    Page("/assets/{asset}/partners", "asset-partners"),
    Page("/api/docs", "api-docs"),
    Page("/login", "login"),
    Page("/assets/{asset}/claim", "claim-listing"),
    Page("/groups/sign-in", "manager-sign-in"),
    Page("/moderate", "moderation", needs_login=True),
    Page("/needs/", "needs-over-time"),
    Page("/you-said-we-did", "you-said-we-did"),
    Page("/wards/{ward}/you-said-we-did", "ward-you-said-we-did"),
    Page("/responses/new", "record-response", needs_login=True),
    Page("/imports/", "imports", needs_login=True),
    Page("/imports/new", "imports-choose", needs_login=True),
    Page("/imports/new?kind=places", "imports-upload", needs_login=True),
    Page("/privacy", "privacy-notice"),
    Page("/privacy/requests", "privacy-requests", needs_login=True),
    Page("/no-such-page", "not-found", status=404),
]

