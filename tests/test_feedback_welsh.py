"""The needs form and "You said, we did" in Welsh: every page, its errors, follow-ups and their email."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login, make_staff
from tests.welsh_helpers import english_left
from webmap.core.db import db
from webmap.core.models import Category, NeedFollowUp, Ward

WARD = "E05900001"  # Northgate in the sample area
WARD_CY = "Porth y Gogledd"
EMAIL = "preswylydd@example.com"


def add_welsh_names(app) -> None:
    """Give the sample ward and two categories Welsh names, as a Welsh council's data would."""
    with app.app_context():
        db.session.scalar(select(Ward).where(Ward.code == WARD)).name_cy = WARD_CY
        db.session.get(Category, "food_support").label_cy = "Cymorth bwyd"
        db.session.get(Category, "youth").label_cy = "Ieuenctid"
        db.session.commit()


@pytest.fixture
def welsh_app(sample_app):
    add_welsh_names(sample_app)
    return sample_app


def welsh_client(app):
    """A test client that asked for Welsh once (the choice is kept in its cookie)."""
    client = app.test_client()
    assert client.get("/?lang=cy").status_code == 200
    return client


def staff_client(app, welsh: bool = False):
    make_staff(app)
    client = app.test_client()
    assert login(client).status_code == 302
    if welsh:
        client.get("/?lang=cy")
    return client


def ours(html: str) -> str:
    """Return the page's title and main content: the header and footer are the shared frame's to translate."""
    title = re.search(r"<title>.*?</title>", html, re.S)
    main = re.search(r"<main\b.*?</main>", html, re.S)
    assert main, "the page has no <main>"
    return (title.group(0) if title else "") + main.group(0)


def assert_welsh(html: str, *phrases: str) -> None:
    assert re.search(r'<html[^>]*\blang="cy"', html), "the page is not marked as Welsh"
    assert english_left(ours(html)) == []
    for phrase in phrases:
        assert phrase in html, phrase


def state_need(client, **fields):
    data = {"csrf_token": csrf_token(client, "/needs/new"), "ward": WARD, "categories": ["food_support"], **fields}
    return client.post("/needs/new", data=data)


def record_response(client, **fields):
    data = {
        "csrf_token": csrf_token(client, "/responses/new"),
        "ward": WARD,
        "category": "food_support",
        "summary": "Opened a weekly food bank at the library",
        "done_on": date.today().isoformat(),
        **fields,
    }
    return client.post("/responses/new", data=data)


def test_needs_form_in_welsh_with_welsh_labels_and_errors(welsh_app):
    client = welsh_client(welsh_app)
    html = client.get("/needs/new?lang=cy").get_data(as_text=True)
    assert_welsh(
        html,
        "Dywedwch beth sydd ei angen ar eich ardal",
        "Cod post",
        "Neu dewiswch ward",
        "Cymorth bwyd",  # the category's Welsh label
        WARD_CY,  # the ward's Welsh name in the picker
        "Clywed beth a wnaed (dewisol)",
        "Anfonwch e-bost ataf unwaith",  # the consent sentence
        'data-marker-alt="Y pwynt a ddewisoch"',  # the map script's words come from the page
    )
    # Nothing chosen, a bad email: the errors are in Welsh too.
    answer = client.post(
        "/needs/new",
        data={"csrf_token": csrf_token(client, "/needs/new"), "ward": WARD, "email": "not-an-address"},
    )
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert_welsh(
        page,
        "Dewiswch o leiaf un math o le neu wasanaeth sydd ei angen ar yr ardal.",
        "Rhowch gyfeiriad e-bost fel enw@example.com",
        "Gwall:",
    )
    # No place given at all, and too many kinds.
    none_given = client.post(
        "/needs/new",
        data={
            "csrf_token": csrf_token(client, "/needs/new"),
            "categories": ["food_support", "youth", "library", "education", "health", "sport"],
        },
    ).get_data(as_text=True)
    assert "Rhowch god post, dewiswch ward neu dewiswch bwynt ar y map" in none_given
    assert english_left(ours(none_given)) == []


def test_follow_up_from_the_welsh_form_keeps_welsh_and_its_consent(welsh_app):
    client = welsh_client(welsh_app)
    answer = state_need(client, email=EMAIL, consent="yes", categories=["food_support", "youth"])
    assert answer.status_code == 302
    thanks = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert_welsh(thanks, "Diolch", "Rydym wedi cofnodi 2 angen ar gyfer Porth y Gogledd.", "Byddwn yn anfon un e-bost")
    with welsh_app.app_context():
        person = db.session.scalars(select(NeedFollowUp)).one()
        assert person.language == "cy"
        assert person.consent_text.startswith("Anfonwch e-bost ataf unwaith") and "12 mis" in person.consent_text

    english = welsh_app.test_client()
    assert state_need(english, email="english@example.com", consent="yes").status_code == 302
    with welsh_app.app_context():
        person = db.session.scalar(select(NeedFollowUp).where(NeedFollowUp.email == "english@example.com"))
        assert person.language == "en" and person.consent_text.startswith("Email me once")
    html = english.get("/needs/new").get_data(as_text=True)
    assert "Say what your area needs" in html and "Dywedwch" not in html and 'lang="en-GB"' in html


def test_you_said_we_did_pages_in_welsh(welsh_app):
    staff = staff_client(welsh_app)
    assert record_response(staff).status_code == 302
    client = welsh_client(welsh_app)

    area = client.get("/you-said-we-did").get_data(as_text=True)
    assert_welsh(area, "Chi ddywedodd, ni wnaeth", "Ni wnaeth", "Sut newidiodd y bwlch", "Cymorth bwyd", WARD_CY)

    ward = client.get(f"/wards/{WARD}/you-said-we-did").get_data(as_text=True)
    assert_welsh(
        ward,
        f"Chi ddywedodd, ni wnaeth: {WARD_CY}",
        "Lleoedd a agorodd gerllaw ers i drigolion ofyn",
        "Opened a weekly food bank at the library",  # what staff wrote is shown as written
        "Pan ofynnodd trigolion",
    )
    # Dates in Welsh, never an English month.
    months = "January February March April May June July August September October November December".split()
    text = re.sub(r"<[^>]+>", " ", ward)
    assert not [m for m in months if re.search(rf"\d {m} \d{{4}}", text)]

    needs = client.get("/needs/").get_data(as_text=True)
    assert_welsh(needs, "Beth ofynnodd trigolion amdano, dros amser", "Rownd arolwg", "Pob ward", WARD_CY)
    bad = client.get("/needs/?from=31-03-2027&round=x").get_data(as_text=True)
    assert_welsh(bad, "Mae problem", "O: rhowch ddyddiad ar ffurf BBBB-MM-DD", "Rownd arolwg: dewiswch un o’r rhestr.")

    # The ward profile's trends and "what changed" sections (the rest of the page is the gaps feature's).
    profile = client.get(f"/wards/{WARD}").get_data(as_text=True)
    ours = profile[profile.index('<section aria-labelledby="trends-heading"') :]
    ours = ours[: ours.index("</section>", ours.index('id="changed-heading"')) + len("</section>")]
    assert english_left(ours) == []
    assert "Sut newidiodd pethau dros amser" in ours and "Beth sydd wedi newid ers i drigolion ofyn" in ours
    assert f"Chi ddywedodd, ni wnaeth: {WARD_CY}</a>" in ours


def test_staff_response_form_in_welsh(welsh_app):
    staff = staff_client(welsh_app, welsh=True)
    form = staff.get(f"/responses/new?ward={WARD}&category=food_support").get_data(as_text=True)
    assert_welsh(form, "Cofnodi beth a wnaed", "Rhestru lleoedd cyfagos", "Cymorth bwyd", WARD_CY)
    wrong = record_response(staff, summary="", done_on="2999-01-01")
    assert wrong.status_code == 200
    page = wrong.get_data(as_text=True)
    assert_welsh(page, "Dywedwch mewn brawddeg beth a wnaed", "Ni all y dyddiad y cafodd ei wneud fod yn y dyfodol.")
    done = record_response(staff)
    assert done.status_code == 302
    after = staff.get(done.headers["Location"]).get_data(as_text=True)
    assert_welsh(after, f"Cofnodwyd yr ymateb: Cymorth bwyd yn {WARD_CY}.")


def test_unsubscribe_pages_in_welsh(welsh_app):
    client = welsh_client(welsh_app)
    state_need(client, email=EMAIL, consent="yes")
    with welsh_app.app_context():
        token = db.session.scalars(select(NeedFollowUp.token)).one()
    assert_welsh(client.get(f"/unsubscribe/{token}").get_data(as_text=True), "Atal negeseuon e-bost am eich cais")
    done = client.post(f"/unsubscribe/{token}").get_data(as_text=True)
    assert_welsh(done, "Ni fyddwch yn cael rhagor o negeseuon e-bost", "Mae eich cyfeiriad wedi’i ddileu")


@pytest.fixture
def mail_app(make_app, mail_settings):
    from tests.conftest import load_fresh_sample

    app = make_app(**mail_settings, PUBLIC_URL="https://map.example.gov.uk")
    with app.app_context():
        load_fresh_sample()
    add_welsh_names(app)
    return app


def test_follow_up_email_is_in_the_language_of_the_form(mail_app, inbox):
    assert state_need(welsh_client(mail_app), email=EMAIL, consent="yes").status_code == 302
    assert state_need(mail_app.test_client(), email="english@example.com", consent="yes").status_code == 302
    # Staff work in English; each resident hears back in the language they used.
    assert record_response(staff_client(mail_app)).status_code == 302
    [welsh] = inbox.to(EMAIL)
    body = welsh.get_content()
    assert welsh["Subject"] == f"Chi ddywedodd, ni wnaeth: Cymorth bwyd yn {WARD_CY}"
    assert f"Dywedoch wrthym fod angen gwasanaethau cymorth bwyd yn {WARD_CY}." in body
    assert "Dyma beth a wnaed (" in body and "Opened a weekly food bank at the library" in body
    assert f"https://map.example.gov.uk/wards/{WARD}/you-said-we-did" in body
    [english] = inbox.to("english@example.com")
    assert english["Subject"] == "You said, we did: Food support in Northgate"
    assert "You told us Northgate needs food support services." in english.get_content()
