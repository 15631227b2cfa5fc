"""Privacy: a submitter's name, email, phone and IP address never reach any public page, API or export."""

from __future__ import annotations

import math
import re
from urllib.parse import quote, urlsplit

from sqlalchemy import select

from tests.conftest import csrf_token, login, make_staff
from webmap.core.db import db
from webmap.core.models import Asset, ChangeRequest, NeedFollowUp, Postcode

SECRETS = {
    "submitter_name": "Quentin Zebedee-Private",
    "submitter_email": "qz-secret-7731@example.com",
    "submitter_phone": "07700 900 731",
}
SECRET_IP = "203.0.113.77"
# A resident's follow-up email from the needs form (webmap.feedback), and its unsubscribe token.
FOLLOWUP_EMAIL = "hear-back-secret-5521@example.com"
REPORTER_IP = "203.0.113.78"
PUBLIC_NAME = "Aardvark Community Pantry"  # sorts first, so it is on the first page of the home list
# Routes that send files from disk (Leaflet, CSS), not data from the database.
FILE_ROUTES = {"static", "vendor.static_file"}


# Pages a visitor without an account is sent away from, and links that only work with the secret a person
# was emailed (here a made-up one): the crawl checks they answer just that, and everything else answers 200.
SIGN_IN = (302, "/login")
NOT_PUBLIC = {
    "moderation.queue": SIGN_IN,
    "moderation.edit": SIGN_IN,
    "moderation.stale": SIGN_IN,
    "feedback.new_response": SIGN_IN,
    "imports.index": SIGN_IN,
    "imports.new": SIGN_IN,
    "imports.show": SIGN_IN,
    "imports.status": SIGN_IN,
    "imports.problems": SIGN_IN,
    "imports.confirm_rollback": SIGN_IN,
    "moderation.merge_choice": SIGN_IN,
    "privacy.requests": SIGN_IN,
    "staff.users": SIGN_IN,
    "staff.audit_log": SIGN_IN,
    "ops.background": SIGN_IN,
    "groups.mine": (302, "/groups/sign-in"),
    "groups.edit": (403, None),
    "groups.exchange": (403, None),
    "groups.confirm_claim": (400, None),
    "groups.signin_link": (400, None),
    "staff.set_password": (404, None),
    "notify.recheck": (404, None),
    "notify.stop": (404, None),
}
MADE_UP_SECRET = "not-a-real-link-token"


def tile_of(lon: float, lat: float, z: int = 12) -> dict[str, int]:
    """Return the web map tile (z, x, y) holding a point."""
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return {"z": z, "x": int((lon + 180) / 360 * n), "y": int(y)}


def public_get_urls(app, asset_id: int, ward_code: str, postcode: str) -> list[str]:
    """Return a URL for every GET route in the app, each argument filled with a real value about the asset."""
    from webmap.opendata import oruk

    with app.app_context():
        asset = db.session.get(Asset, asset_id)
        oruk_ids = {
            "oruk.service": oruk.service_id(asset),
            "oruk.service_at_location": oruk.service_at_location_id(asset),
            "oruk.taxonomy": oruk.taxonomy()["id"],
            "oruk.taxonomy_term": oruk.term_id("food_support"),
        }
        tile = tile_of(asset.lon, asset.lat)
    by_name = {
        "asset_id": [asset_id],
        "code": [ward_code],
        "job_id": [1],
        "fmt": ["csv", "geojson"],
        "token": [MADE_UP_SECRET],
        "secret": [MADE_UP_SECRET],
        **{k: [v] for k, v in tile.items()},
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in FILE_ROUTES:
            continue
        choices = [{}]
        for arg in sorted(rule.arguments):
            values = [oruk_ids[rule.endpoint]] if arg == "id" else by_name.get(arg)
            assert values, f"{rule.rule}: no real value for <{arg}>: add one to the privacy crawl"
            choices = [{**c, arg: v} for c in choices for v in values]
        with app.test_request_context():
            for values in choices:
                urls.append(app.url_for(rule.endpoint, **values))
    return [u if u != "/api/nearby" else f"/api/nearby?postcode={quote(postcode)}&radius=2000" for u in urls]


def crawl(client, app, urls: list[str], limit: int = 400, expect: dict[str, int] | None = None) -> dict[str, str]:
    """GET every URL, and the site's own links on them one step further; return {url: body}.

    Each must answer 200, or what NOT_PUBLIC (or `expect`, by URL) says: a leak check of a 404 page checks nothing.
    """
    seen: dict[str, str] = {}
    wrong: dict[str, str] = {}
    adapter = app.url_map.bind("localhost")
    queue = list(dict.fromkeys(urls))
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        with client.get(url) as response:
            # GeoPackage exports are binary; their text fields are still plain UTF-8 inside.
            body = response.get_data().decode("utf-8", errors="replace")
            status, location = response.status_code, response.headers.get("Location", "")
        seen[url] = body
        endpoint = adapter.match(urlsplit(url).path, method="GET")[0]
        # A page's other-language link (?lang=cy) answers as the page itself does.
        known = url if url in (expect or {}) else urlsplit(url).path
        expected, goes_to = (expect[known], None) if known in (expect or {}) else NOT_PUBLIC.get(endpoint, (200, None))
        if status != expected or (goes_to and not location.startswith(goes_to)):
            wrong[url] = f"{status} {location}".strip()
        # Follow the site's own links one step further (list pages, category filters, pages of the list).
        if url in urls:
            for href in re.findall(r'href="(/[^"]*)"', body):
                path = href.replace("&amp;", "&")
                if not urlsplit(path).path.startswith(("/static/", "/vendor/")) and path not in seen:
                    queue.append(path)
    assert wrong == {}, "pages that did not answer as expected (so their leak check would check nothing)"
    return seen


def test_submitter_details_never_appear_publicly(sample_app):
    with sample_app.app_context():
        postcode = db.session.scalars(select(Postcode).order_by(Postcode.postcode)).first()
        pc = postcode.postcode
    resident = sample_app.test_client()
    resident.environ_base["REMOTE_ADDR"] = SECRET_IP
    response = resident.post(
        "/assets/new",
        data={
            "csrf_token": csrf_token(resident, "/assets/new"),
            "name": PUBLIC_NAME,
            "categories": ["food_support"],
            "kind": "group",
            "postcode": pc,
            "description": "Free food on Fridays",
            **SECRETS,
        },
    )
    assert response.status_code == 302
    with sample_app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.name == PUBLIC_NAME)).one()
        # The secrets really are stored, so not finding them below means they were kept private.
        assert (asset.submitter_name, asset.submitter_email, asset.submitter_phone, asset.submitter_ip) == (
            SECRETS["submitter_name"],
            SECRETS["submitter_email"],
            SECRETS["submitter_phone"],
            SECRET_IP,
        )
        asset_id, ward_code = asset.id, asset.ward_code

    make_staff(sample_app)
    staff = sample_app.test_client()
    login(staff)
    assert (
        staff.post(
            f"/moderate/assets/{asset_id}/approve", data={"csrf_token": csrf_token(staff, "/moderate")}
        ).status_code
        == 302
    )
    # Staff do see the details (the test can find them where they are shown)...
    assert SECRETS["submitter_email"] in staff.get(f"/assets/{asset_id}").get_data(as_text=True)

    # ...and a change report's IP address is private too.
    reporter = sample_app.test_client()
    reporter.environ_base["REMOTE_ADDR"] = REPORTER_IP
    reporter.post(
        f"/assets/{asset_id}/report",
        data={
            "csrf_token": csrf_token(reporter, f"/assets/{asset_id}/report"),
            "kind": "other",
            "note": "Now also open Saturdays",
        },
    )
    with sample_app.app_context():
        assert db.session.scalars(select(ChangeRequest.reporter_ip)).one() == REPORTER_IP

    # A resident asks to hear back by email, and staff record a response to that need.
    resident = sample_app.test_client()
    assert (
        resident.post(
            "/needs/new",
            data={
                "csrf_token": csrf_token(resident, "/needs/new"),
                "ward": ward_code,
                "categories": ["food_support"],
                "email": FOLLOWUP_EMAIL,
                "consent": "yes",
            },
        ).status_code
        == 302
    )
    assert (
        staff.post(
            "/responses/new",
            data={
                "csrf_token": csrf_token(staff, "/responses/new"),
                "ward": ward_code,
                "category": "food_support",
                "summary": "Opened a pantry",
                "done_on": "2026-01-01",
                "assets": [str(asset_id)],
            },
        ).status_code
        == 302
    )
    with sample_app.app_context():
        followup = db.session.scalars(select(NeedFollowUp)).one()
        assert followup.email == FOLLOWUP_EMAIL
        followup_token = followup.token

    public = sample_app.test_client()
    public.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    urls = public_get_urls(sample_app, asset_id, ward_code, pc)
    urls += [
        "/?category=food_support",
        "/api/assets.geojson?category=food_support",
        f"/wards/{ward_code}/you-said-we-did.csv",
        f"/wards/{ward_code}/you-said-we-did.geojson",
        "/you-said-we-did.csv",
        "/you-said-we-did.geojson",
        "/needs/export.csv",
        "/needs/export.geojson",
    ]
    assert {"/", f"/assets/{asset_id}", "/api/assets.geojson"} <= set(urls)
    # A resident's place has no group email of its own, so there is no form to write to it.
    seen = crawl(public, sample_app, urls, expect={f"/assets/{asset_id}/contact": 404})

    leaks = {
        url: secret
        for url, body in seen.items()
        for secret in [*SECRETS.values(), SECRET_IP, REPORTER_IP, FOLLOWUP_EMAIL, followup_token]
        if secret in body
    }
    assert leaks == {}
    # The approved place itself is public: on its page, the home list and the API.
    assert PUBLIC_NAME in seen[f"/assets/{asset_id}"]
    assert PUBLIC_NAME in seen["/"]
    assert PUBLIC_NAME in seen["/api/assets.geojson"]
    assert len(seen) > 20
    # The response itself is public, on the ward's "You said, we did" page and its export.
    assert "Opened a pantry" in seen[f"/wards/{ward_code}/you-said-we-did"]
    assert "Opened a pantry" in seen[f"/wards/{ward_code}/you-said-we-did.csv"]


GROUP_SECRETS = {
    "contact_email": "group-own-4410@example.org",
    "manager": "manager-4411@example.org",
    "claimant": "claimant-4412@example.org",
}


def test_group_addresses_never_appear_publicly(sample_app):
    """A group's own email, its managers' and claimants' addresses stay private (webmap/groups)."""
    from webmap.groups.listings import Exchange, add_manager, set_exchange

    with sample_app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        asset.contact_email = GROUP_SECRETS["contact_email"]
        add_manager(asset, GROUP_SECRETS["manager"], "Mo Manager", "claim link", who="test")
        set_exchange(asset, Exchange(["kitchen"], ["volunteers"]), who="test")
        db.session.add(
            ChangeRequest(
                asset_id=asset.id,
                kind="claim",
                status="open",
                note="Chair",
                proposed={"manager_email": GROUP_SECRETS["claimant"], "manager_name": "C"},
            )
        )
        db.session.commit()
        asset_id, ward_code = asset.id, asset.ward_code
        pc = db.session.scalars(select(Postcode.postcode).order_by(Postcode.postcode)).first()
    urls = public_get_urls(sample_app, asset_id, ward_code, pc)
    urls += [
        f"/assets/{asset_id}/contact",
        f"/assets/{asset_id}/claim",
        "/export/assets.csv",
        "/export/assets.geojson",
        "/oruk/services?per_page=1000",
    ]
    seen = crawl(sample_app.test_client(), sample_app, urls)
    leaks = {url: s for url, body in seen.items() for s in GROUP_SECRETS.values() if s in body}
    assert leaks == {}
    assert "Kitchen" in seen[f"/assets/{asset_id}"] and f"/assets/{asset_id}/contact" in seen[f"/assets/{asset_id}"]
    assert len(seen) > 20
