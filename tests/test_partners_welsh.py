"""Find partners and the groups' pages in Welsh: no English left, Welsh errors, and Welsh recorded for emails."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.groups_helpers import approved, claim_by_link, confirm, link_in, set_contact_email
from tests.test_groups_claims import mail_app  # noqa: F401  (fixture)
from tests.welsh_helpers import english_left
from webmap.core.db import db
from webmap.core.models import Asset, Category, ChangeRequest, Postcode
from webmap.groups.models import GroupToken, ListingExchange, ListingManager

GROUP, ORGANISER = "helo@pantri.example.org", "olwen@trefnydd.example.org"


def html_lang(html: str) -> str:
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", html)
    assert match, "no <html lang>"
    return match.group(1)


def welsh_page(client, path: str, status: int = 200) -> str:
    """Fetch a page in Welsh and check it is wholly Welsh: <html lang="cy"> and none of the site's English."""
    separator = "&" if "?" in path else "?"
    response = client.get(f"{path}{separator}lang=cy")
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert html_lang(html) == "cy"
    assert english_left(html) == [], path
    return html


def a_postcode(app) -> str:
    with app.app_context():
        return db.session.scalars(
            select(Postcode.postcode).where(Postcode.ward_code.is_not(None)).order_by(Postcode.postcode)
        ).first()


def give_welsh_names(app) -> None:
    """Give the categories and the first listing Welsh names, as a Welsh council's data would."""
    with app.app_context():
        for category in db.session.scalars(select(Category)):
            category.label_cy = f"{category.label} (cy)"
        first = db.session.get(Asset, approved(app, 1)[0])
        first.name_cy = "Pantri Cymunedol"
        db.session.commit()


# --- find partners ---


def test_partners_search_page_is_welsh(sample_app):
    give_welsh_names(sample_app)
    client = sample_app.test_client()
    html = welsh_page(client, "/partners")
    assert "Dod o hyd i bartneriaid gerllaw" in html
    assert "Cod post" in html and "Defnyddio fy lleoliad" in html
    assert "(cy)</label>" in html, "category tick boxes should show the Welsh labels"
    assert "Ystafell neu neuadd i’w defnyddio" in html, "the offers/needs vocabulary should be in Welsh"
    # The script's words are on the form, in Welsh (none are in partners.js).
    assert 'data-finding="Wrthi’n dod o hyd i’ch lleoliad…"' in html
    assert 'data-chosen="{how}: lledred {lat}, hydred {lon}.' in html


def test_partners_results_are_welsh(sample_app):
    give_welsh_names(sample_app)
    client = sample_app.test_client()
    postcode = a_postcode(sample_app)
    html = welsh_page(client, f"/partners?search=1&postcode={postcode.replace(' ', '+')}&radius=10000")
    assert re.search(r"\d+ lle o fewn 10,000 m o gwmpas " + re.escape(postcode), html)
    assert "mewn llinell syth" in html


def test_partners_from_a_chosen_point_and_kind_names_are_welsh(sample_app):
    client = sample_app.test_client()
    with sample_app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        lat, lon = asset.lat, asset.lon
    html = welsh_page(client, f"/partners?search=1&lat={lat}&lon={lon}&radius=2000")
    assert "o gwmpas y pwynt a ddewiswyd" in html
    assert re.search(r"· (Grŵp|Busnes|Lleoliad|Gwasanaeth)", html)


def test_partners_errors_are_welsh(sample_app):
    client = sample_app.test_client()
    html = welsh_page(client, "/partners?search=1&lat=abc&lon=-2.6&radius=99999&offers=nothing", status=400)
    assert "Rhaid i’r lledred fod yn rhif, fel 53.54" in html
    assert "Rhaid i’r radiws fod rhwng 1 a 10,000 metr" in html
    assert "Nid yw ‘nothing’ yn un o’r pethau y gall grwpiau eu cynnig" in html
    assert "<title>Gwall:" in html


def test_partners_for_an_asset_are_welsh_with_welsh_reasons(sample_app):
    client = sample_app.test_client()
    [aid, other] = approved(sample_app, 2)
    with sample_app.app_context():
        # Each needs what the other offers, so each is the other's partner with a reason in words.
        db.session.add_all(
            [
                ListingExchange(asset_id=aid, direction="needs", item="kitchen"),
                ListingExchange(asset_id=other, direction="offers", item="kitchen"),
            ]
        )
        db.session.get(Asset, other).lon = db.session.get(Asset, aid).lon + 0.001
        db.session.get(Asset, other).lat = db.session.get(Asset, aid).lat
        db.session.commit()
    html = welsh_page(client, f"/assets/{aid}/partners?radius=10000")
    assert "Partneriaid yn agos at" in html
    assert "Pam: mae’n cynnig cegin, sef rhywbeth sydd ei angen arnoch chi" in html
    english = client.get(f"/assets/{aid}/partners?radius=10000&lang=en").get_data(as_text=True)
    assert "Why: offers a kitchen, which you need" in english


def test_radius_error_on_partners_for_an_asset_is_welsh(sample_app):
    [aid] = approved(sample_app, 1)
    html = welsh_page(sample_app.test_client(), f"/assets/{aid}/partners?radius=lots", status=400)
    assert "Rhaid i’r radiws fod yn rhif, fel 1000" in html


# --- groups ---


def test_claim_form_and_its_errors_are_welsh(sample_app):
    [aid] = approved(sample_app, 1)
    client = sample_app.test_client()
    html = welsh_page(client, f"/assets/{aid}/claim")
    assert "Rheoli’r rhestriad ar gyfer" in html and "Eich enw" in html
    response = client.post(
        f"/assets/{aid}/claim", data={"csrf_token": csrf_token(client, f"/assets/{aid}/claim"), "email": "nope"}
    )
    html = response.get_data(as_text=True)
    assert html_lang(html) == "cy"  # the cookie keeps Welsh
    assert "Rhowch eich enw" in html
    assert "Rhowch gyfeiriad e-bost yn y ffurf gywir, gydag @ a pharth" in html
    assert english_left(html) == []


def test_a_claim_made_in_welsh_is_recorded_in_welsh(sample_app):
    [aid] = approved(sample_app, 1)
    client = sample_app.test_client()
    client.get(f"/assets/{aid}/claim?lang=cy")
    response = client.post(
        f"/assets/{aid}/claim",
        data={"csrf_token": csrf_token(client, f"/assets/{aid}/claim"), "name": "Olwen", "email": ORGANISER},
    )
    assert response.status_code == 302
    with sample_app.app_context():
        change = db.session.scalars(select(ChangeRequest).where(ChangeRequest.asset_id == aid)).one()
        assert change.language == "cy"
    html = welsh_page(client, response.headers["Location"])
    assert "Bydd un o gymedrolwyr y cyngor yn gwirio’ch cais" in html


def test_claim_by_link_in_welsh_writes_welsh_emails_and_records_welsh(mail_app, inbox):  # noqa: F811
    [aid] = approved(mail_app, 1)
    client = mail_app.test_client()
    client.get("/?lang=cy")
    set_contact_email(mail_app, aid, GROUP)
    response = client.post(
        f"/assets/{aid}/claim",
        data={"csrf_token": csrf_token(client, f"/assets/{aid}/claim"), "name": "Olwen", "email": ORGANISER},
    )
    assert response.status_code == 302
    welsh_page(client, response.headers["Location"])
    with mail_app.app_context():
        assert db.session.scalars(select(GroupToken.language).where(GroupToken.purpose == "claim")).one() == "cy"
    [to_group] = inbox.to(GROUP)
    assert "wedi gofyn am gael rheoli’r rhestriad" in to_group.get_content()
    path = link_in(to_group)
    html = welsh_page(client, path)
    assert "Cadarnhau pwy sy’n rheoli" in html and "Olwen" in html
    page = confirm(client, path)
    assert html_lang(page.get_data(as_text=True)) == "cy"
    assert english_left(page.get_data(as_text=True)) == []
    with mail_app.app_context():
        assert db.session.scalars(select(ListingManager.language)).one() == "cy"
    [signin] = inbox.to(ORGANISER)
    assert "Mewngofnodwch gyda’r ddolen hon" in signin.get_content()
    assert "Rydych chi’n rheoli:" in signin.get_content()
    signin_path = link_in(signin)
    html = welsh_page(client, signin_path)
    assert "Mewngofnodi i reoli’ch rhestriad" in html


def test_english_claims_stay_english(mail_app, inbox):  # noqa: F811
    [aid] = approved(mail_app, 1)
    client = mail_app.test_client()
    claim_by_link(mail_app, client, inbox, aid, GROUP, ORGANISER)
    assert "asked to manage the listing" in inbox.to(GROUP)[0].get_content()
    assert "Sign in with this link" in inbox.to(ORGANISER)[0].get_content()
    with mail_app.app_context():
        assert db.session.scalars(select(ListingManager.language)).one() == "en"


@pytest.fixture
def welsh_manager(mail_app, inbox):  # noqa: F811
    """A client signed in, in Welsh, as the manager of the first sample listing; returns (client, asset id)."""
    [aid] = approved(mail_app, 1)
    client = mail_app.test_client()
    client.get("/?lang=cy")
    claim_by_link(mail_app, client, inbox, aid, GROUP, ORGANISER)
    return client, aid


def test_managers_pages_are_welsh(welsh_manager):
    client, aid = welsh_manager
    html = welsh_page(client, "/groups/my")
    assert "Eich rhestriadau" in html and "Allgofnodi" in html
    html = welsh_page(client, f"/groups/listings/{aid}/offers-needs")
    assert "Beth gall eich grŵp ei gynnig i grwpiau eraill" in html
    assert "Cegin</label>" in html
    html = welsh_page(client, f"/groups/listings/{aid}/edit")
    assert "Llusgwch y pin neu cliciwch y map i’w symud" in html


def test_offers_needs_saved_in_welsh_show_welsh_labels(welsh_manager):
    client, aid = welsh_manager
    path = f"/groups/listings/{aid}/offers-needs"
    response = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "offers": ["kitchen"], "needs": ["volunteers", "bogus"]},
    )
    html = response.get_data(as_text=True)
    assert "Nid yw ‘bogus’ ar y rhestr; dewiswch o’r blychau" in html
    assert english_left(html) == []
    client.post(path, data={"csrf_token": csrf_token(client, path), "offers": ["kitchen"], "needs": ["volunteers"]})
    page = client.get(f"/assets/{aid}").get_data(as_text=True)
    assert "Wedi cadw beth mae’ch grŵp yn ei gynnig a’i angen" in page
    offers = re.search(r'<dd id="listing-offers">(.*?)</dd>', page).group(1)
    needs = re.search(r'<dd id="listing-needs">(.*?)</dd>', page).group(1)
    assert (offers, needs) == ("Cegin", "Gwirfoddolwyr")
    assert "Cynigion ac anghenion" in page


def test_contact_pages_are_welsh(welsh_manager, inbox):
    client, aid = welsh_manager
    html = welsh_page(client, f"/assets/{aid}/contact")
    assert "Cysylltu â" in html and "Anfon neges" in html
    response = client.post(
        f"/assets/{aid}/contact",
        data={"csrf_token": csrf_token(client, f"/assets/{aid}/contact"), "name": "", "email": "a@b.example"},
    )
    html = response.get_data(as_text=True)
    assert "Rhowch eich enw" in html and "Ysgrifennwch eich neges" in html
    assert english_left(html) == []
    response = client.post(
        f"/assets/{aid}/contact",
        data={
            "csrf_token": csrf_token(client, f"/assets/{aid}/contact"),
            "name": "Dafydd",
            "email": "dafydd@example.org",
            "message": "Helo!",
        },
    )
    assert response.status_code == 302
    html = welsh_page(client, response.headers["Location"])
    assert "Mae’r neges ar ei ffordd" in html
    # The manager claimed in Welsh, so the relayed message is introduced in Welsh.
    relayed = [m for m in inbox.to(ORGANISER) if "Helo!" in m.get_content()]
    assert relayed and "Anfonodd Dafydd y neges hon" in relayed[0].get_content()


def test_signin_pages_and_link_errors_are_welsh(sample_app):
    client = sample_app.test_client()
    html = welsh_page(client, "/groups/sign-in")
    assert "Anfon dolen mewngofnodi ataf" in html
    response = client.post("/groups/sign-in", data={"csrf_token": csrf_token(client, "/groups/sign-in"), "email": ""})
    assert "Rhowch y cyfeiriad e-bost rydych chi’n rheoli’ch rhestriad ag ef" in response.get_data(as_text=True)
    response = client.post(
        "/groups/sign-in", data={"csrf_token": csrf_token(client, "/groups/sign-in"), "email": "neb@example.org"}
    )
    html = response.get_data(as_text=True)
    assert "Gwiriwch eich e-bost" in html and english_left(html) == []
    html = welsh_page(client, "/groups/sign-in/not-a-real-link", status=400)
    assert "Nid yw’r ddolen hon yn gywir" in html


def test_a_sign_in_link_asked_for_in_welsh_is_welsh(mail_app, inbox):  # noqa: F811
    [aid] = approved(mail_app, 1)
    client = mail_app.test_client()
    claim_by_link(mail_app, client, inbox, aid, GROUP, ORGANISER)  # an English manager
    other = mail_app.test_client()
    other.get("/groups/sign-in?lang=cy")
    other.post("/groups/sign-in", data={"csrf_token": csrf_token(other, "/groups/sign-in"), "email": ORGANISER})
    from webmap.notify import later

    later.wait()
    latest = inbox.to(ORGANISER)[-1].get_content()
    assert "Mewngofnodwch gyda’r ddolen hon" in latest
    with mail_app.app_context():
        languages = db.session.scalars(
            select(GroupToken.language).where(GroupToken.purpose == "signin").order_by(GroupToken.id)
        ).all()
    assert languages[-1] == "cy"


def test_a_claim_made_in_welsh_and_approved_by_an_english_moderator_is_welcomed_in_welsh(mail_app, inbox):  # noqa: F811
    from tests.conftest import login, make_staff

    [aid] = approved(mail_app, 1)
    client = mail_app.test_client()
    client.get("/?lang=cy")
    client.post(
        f"/assets/{aid}/claim",
        data={"csrf_token": csrf_token(client, f"/assets/{aid}/claim"), "name": "Olwen", "email": ORGANISER},
    )
    make_staff(mail_app)
    staff = mail_app.test_client()
    login(staff)
    with mail_app.app_context():
        change = db.session.scalars(select(ChangeRequest).where(ChangeRequest.kind == "claim")).one()
    staff.post(f"/moderate/changes/{change.id}/accept", data={"csrf_token": csrf_token(staff, "/moderate")})
    [welcome] = inbox.to(ORGANISER)
    assert "Gallwch chi reoli’r rhestriad ar gyfer" in welcome.get_content()
    with mail_app.app_context():
        assert db.session.scalars(select(ListingManager.language)).one() == "cy"


def test_partners_map_markers_name_places_as_the_list_does(sample_app):
    """On a Welsh page a place with a Welsh name has it on its marker and popup too, not only in the list."""
    give_welsh_names(sample_app)
    client = sample_app.test_client()
    with sample_app.app_context():
        asset = db.session.get(Asset, approved(sample_app, 1)[0])
        url = f"/partners?search=1&lat={asset.lat}&lon={asset.lon}&radius=500"
    welsh = welsh_page(client, url)
    scripts = "".join(re.findall(r"<script.*?</script>", welsh, flags=re.S))
    page = re.sub(r"<script.*?</script>", "", welsh, flags=re.S)
    assert "Pantri Cymunedol" in page, "the list should name the place in Welsh"
    assert re.search(r'"title": "\d+\. Pantri Cymunedol"', scripts), "its marker should too"
    english = client.get(url + "&lang=en").get_data(as_text=True)
    assert "Pantri Cymunedol" not in english
