"""Contact a group through a relay form, and find partners by what they offer and need."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.groups_helpers import approved, claim_by_link, set_contact_email
from tests.test_groups_claims import mail_app  # noqa: F401  (fixture)
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent
from webmap.groups.listings import Exchange, set_exchange

GROUP, ORGANISER = "hello@pantry.example.org", "olive@organiser.example.org"
SENDER = "sam.sender@example.net"
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def send(client, aid: int, **fields):
    path = f"/assets/{aid}/contact"
    data = {
        "csrf_token": csrf_token(client, path),
        "name": "Sam Sender",
        "email": SENDER,
        "message": "Could we borrow your kitchen on Tuesdays?",
        **fields,
    }
    return client.post(path, data=data)


def test_a_message_reaches_the_managers_and_only_they_see_the_senders_address(mail_app, inbox):  # noqa: F811
    [aid] = approved(mail_app, 1)
    claim_by_link(mail_app, mail_app.test_client(), inbox, aid, GROUP, ORGANISER)
    visitor = mail_app.test_client()
    page = visitor.get(f"/assets/{aid}/contact").get_data(as_text=True)
    assert not ADDRESS.findall(page)  # neither the group's nor a manager's address is on the page
    response = send(visitor, aid)
    assert response.status_code == 302
    assert "Message on its way" in visitor.get(response.headers["Location"]).get_data(as_text=True)
    [message] = inbox.to(ORGANISER)[-1:]
    assert message["Reply-To"] == SENDER
    assert "Could we borrow your kitchen on Tuesdays?" in message.get_content()
    assert SENDER in message.get_content()
    assert "Why you got this: you manage the listing" in message.get_content()
    assert [m for m in inbox.messages if "Could we borrow" in m.get_content()] == [message]  # not to GROUP too
    with mail_app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "contact")).one()
        assert SENDER not in (event.note or "") and "Could we borrow" not in (event.note or "")


def test_without_managers_the_message_goes_to_the_listings_own_email(mail_app, inbox):  # noqa: F811
    first, second = approved(mail_app, 2)
    set_contact_email(mail_app, first, GROUP)
    visitor = mail_app.test_client()
    send(visitor, first)
    [message] = inbox.to(GROUP)
    assert "Why you got this: this is the email address of" in message.get_content()
    # A listing nobody can be reached at offers no form, and its page no link to one.
    assert visitor.get(f"/assets/{second}/contact").status_code == 404
    assert f"/assets/{second}/contact" not in visitor.get(f"/assets/{second}").get_data(as_text=True)
    assert f"/assets/{first}/contact" in visitor.get(f"/assets/{first}").get_data(as_text=True)


def test_contact_errors_keep_the_message(mail_app):  # noqa: F811
    [aid] = approved(mail_app, 1)
    set_contact_email(mail_app, aid, GROUP)
    client = mail_app.test_client()
    html = send(client, aid, email="not an address").get_data(as_text=True)
    assert "There is a problem" in html and "Could we borrow your kitchen" in html


def test_a_new_line_in_the_name_cannot_add_mail_headers(mail_app, inbox):  # noqa: F811
    [aid] = approved(mail_app, 1)
    set_contact_email(mail_app, aid, GROUP)
    response = send(mail_app.test_client(), aid, name="Sam\r\nBcc: victim@example.org")
    # Refused outright (issue 26): 400, naming the field, and nothing is sent.
    assert response.status_code == 400 and "The field &#39;name&#39; contains a line break" in response.get_data(
        as_text=True
    )
    assert inbox.messages == []


def test_when_mail_cannot_go_the_form_says_so(make_app, sample_app):
    app = make_app(MAIL_SERVER="")  # no mail server at all: nothing can take the message
    [aid] = approved(app, 1)
    set_contact_email(app, aid, GROUP)
    response = send(app.test_client(), aid)
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and "We could not send your message" in html and "Could we borrow" in html


def test_a_mail_server_that_is_down_leaves_the_message_to_the_workers_retries(make_app, sample_app):
    from webmap.core.models import BackgroundTask

    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)
    [aid] = approved(app, 1)
    set_contact_email(app, aid, GROUP)
    response = send(app.test_client(), aid)
    assert response.status_code == 302  # the form does not wait on the mail server
    with app.app_context():
        task = db.session.scalar(select(BackgroundTask).where(BackgroundTask.name == "notify.deliver"))
        assert task.state == "retrying" and "ConnectionRefusedError" in task.error


def test_contact_is_rate_limited(make_app, sample_app, mail_settings, inbox):
    app = make_app(**mail_settings, RATELIMIT_ENABLED=True, GROUP_CONTACT_RATE_LIMIT="2 per hour")
    [aid] = approved(app, 1)
    set_contact_email(app, aid, GROUP)
    client = app.test_client()
    codes = [send(client, aid).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    assert len(inbox.to(GROUP)) == 2


def _set(app, aid: int, offers: list[str], needs: list[str]) -> None:
    with app.app_context():
        set_exchange(db.session.get(Asset, aid), Exchange(offers, needs), who="test")
        db.session.commit()


def test_partners_search_by_offers_and_needs(sample_app, client):
    first, second, third = approved(sample_app, 3)
    _set(sample_app, first, ["kitchen"], ["volunteers"])
    _set(sample_app, second, ["kitchen", "room"], [])
    _set(sample_app, third, ["volunteers"], ["kitchen"])
    with sample_app.app_context():
        a = db.session.get(Asset, first)
        where = f"lat={a.lat}&lon={a.lon}&radius=10000&search=1"

    def ids(query: str) -> list[int]:
        html = client.get(f"/partners?{where}&{query}").get_data(as_text=True)
        results = html.split('id="results"')[1]
        return sorted({int(i) for i in re.findall(r'href="/assets/(\d+)"', results)})  # list and map both link

    assert ids("offers=kitchen") == sorted([first, second])
    assert ids("offers=kitchen&needs=volunteers") == [first]
    assert ids("needs=kitchen") == [third]
    bad = client.get(f"/partners?{where}&offers=spaceship")
    assert bad.status_code == 400 and "is not one of the things groups can offer" in bad.get_data(as_text=True)


def test_a_listing_page_puts_the_group_that_meets_its_needs_first_and_says_why(sample_app, client):
    with sample_app.app_context():
        assets = list(db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)))
        home = assets[0]
        from pyproj import Geod

        geod = Geod(ellps="WGS84")
        # The farthest approved listing within 2 km, so only the offers and needs can put it first.
        far = max(
            (a for a in assets[1:] if geod.inv(home.lon, home.lat, a.lon, a.lat)[2] < 2000),
            key=lambda a: geod.inv(home.lon, home.lat, a.lon, a.lat)[2],
        )
        home_id, far_id, far_name = home.id, far.id, far.name
    _set(sample_app, home_id, ["volunteers"], ["kitchen"])
    _set(sample_app, far_id, ["kitchen"], ["volunteers"])
    html = client.get(f"/assets/{home_id}").get_data(as_text=True)
    section = html.split('id="partners-for-asset"')[1]
    first = re.search(r'<a href="/assets/(\d+)">([^<]+)</a>\s*<span class="meta why">Why: ([^<]+)</span>', section)
    assert int(first.group(1)) == far_id and first.group(2) == far_name.replace("&", "&amp;").replace("'", "&#39;")
    assert first.group(3).startswith("offers a kitchen, which you need; needs volunteers, which you offer;")
