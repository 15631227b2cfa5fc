"""Moderation: staff-only pages, approve/reject/edit/merge/bulk, duplicates, suggested changes, freshness, audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import shapely
from sqlalchemy import select

from tests.conftest import csrf_token, login, make_staff
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, ChangeRequest, Postcode, Ward, utcnow

STAFF_GET_PAGES = ["/moderate", "/moderate/stale", "/moderate/assets/1/edit"]


def add_pending(
    app, name="Riverside Lunch Club", lon=None, lat=None, postcode=None, categories=("food_support",), **extra
) -> int:
    """Submit a place the way residents do (through the form) and return its id.

    It is sent as a resident does after seeing any likely existing matches ("send anyway"), so the
    staff-side duplicate checks here have near-duplicates to find.
    """
    client = app.test_client()
    data = {
        "csrf_token": csrf_token(client, "/assets/new"),
        "name": name,
        "categories": list(categories),
        "kind": "group",
        "not_a_duplicate": "1",
    }
    if lon is not None:
        data.update(lon=f"{lon:.6f}", lat=f"{lat:.6f}")
    if postcode:
        data["postcode"] = postcode
    data.update(extra)
    response = client.post("/assets/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        return db.session.scalar(select(Asset.id).where(Asset.name == name).order_by(Asset.id.desc()))


def an_approved(app, offset=0) -> Asset:
    with app.app_context():
        asset = db.session.scalars(
            select(Asset).where(Asset.status == "approved").order_by(Asset.id).offset(offset)
        ).first()
        db.session.expunge(asset)
        return asset


def get(app, asset_id) -> Asset:
    with app.app_context():
        asset = db.session.get(Asset, asset_id)
        asset.category_list = asset.category_ids()
        db.session.expunge(asset)
        return asset


def events(app, entity_id, entity_type="asset") -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/moderate"), **data})


@pytest.mark.parametrize("url", STAFF_GET_PAGES)
def test_anonymous_visitors_are_sent_to_login(sample_app, url):
    response = sample_app.test_client().get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_staff_posts_need_login_and_csrf(sample_app, moderator):
    asset_id = add_pending(sample_app, postcode=None, lon=an_approved(sample_app).lon, lat=an_approved(sample_app).lat)
    anonymous = sample_app.test_client()
    token = csrf_token(anonymous, "/assets/new")
    response = anonymous.post(f"/moderate/assets/{asset_id}/approve", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert moderator.post(f"/moderate/assets/{asset_id}/approve").status_code == 400  # no CSRF token
    assert get(sample_app, asset_id).status == "pending"


def test_only_staff_roles_pass(sample_app):
    make_staff(sample_app, "admin@example.gov.uk", role="admin")
    admin = sample_app.test_client()
    login(admin, "admin@example.gov.uk")
    assert admin.get("/moderate").status_code == 200
    # An account whose role is not a staff role gets 403, not the queue.
    with sample_app.app_context():
        from webmap.core.models import User

        make_staff(sample_app, "odd@example.gov.uk")
        db.session.query(User).filter_by(email="odd@example.gov.uk").one().role = "viewer"
        db.session.commit()
    odd = sample_app.test_client()
    login(odd, "odd@example.gov.uk")
    assert odd.get("/moderate").status_code == 403


def test_queue_shows_pending_and_filters_by_category_and_ward(sample_app, moderator):
    base = an_approved(sample_app)
    food = add_pending(sample_app, "Tuesday Lunch Club", base.lon, base.lat, categories=("food_support",))
    youth = add_pending(sample_app, "Boxing for Teens", base.lon, base.lat, categories=("youth",))
    html = moderator.get("/moderate").get_data(as_text=True)
    assert "2 pending places" in html and "Tuesday Lunch Club" in html and "Boxing for Teens" in html
    html = moderator.get("/moderate?category=youth").get_data(as_text=True)
    assert "Boxing for Teens" in html and "Tuesday Lunch Club" not in html
    with sample_app.app_context():
        other_ward = db.session.scalar(select(Ward.code).where(Ward.code != base.ward_code).order_by(Ward.code))
    assert "Tuesday Lunch Club" in moderator.get(f"/moderate?ward={base.ward_code}").get_data(as_text=True)
    assert "0 pending places" in moderator.get(f"/moderate?ward={other_ward}").get_data(as_text=True)
    html = moderator.get("/moderate?status=approved&category=youth").get_data(as_text=True)
    assert "Boxing for Teens" not in html and "approved place" in html
    assert moderator.get("/moderate?status=nonsense").status_code == 400
    assert moderator.get("/moderate?ward=E99999999").status_code == 400
    assert food != youth


def test_approve_makes_public_and_audits_who_when_before_after(sample_app, moderator):
    base = an_approved(sample_app)
    asset_id = add_pending(sample_app, "Approve Me Hall", base.lon, base.lat)
    response = post(moderator, f"/moderate/assets/{asset_id}/approve", next="/moderate")
    assert response.status_code == 302
    asset = get(sample_app, asset_id)
    assert asset.status == "approved" and asset.last_verified_at is not None
    [created, approved] = events(sample_app, asset_id)
    assert (created.actor, created.action) == ("resident", "create")
    assert (approved.actor, approved.action) == ("mod@example.gov.uk", "approve") and approved.user_id is not None
    assert approved.before["status"] == "pending" and approved.after["status"] == "approved"
    assert approved.at >= created.at
    public = sample_app.test_client()
    assert "Approve Me Hall" in public.get(f"/assets/{asset_id}").get_data(as_text=True)
    assert "Approve Me Hall" in public.get("/api/assets.geojson").get_data(as_text=True)
    # The trail is shown to staff on the asset page, and not to the public.
    staff_html = moderator.get(f"/assets/{asset_id}").get_data(as_text=True)
    trail = staff_html.split("Audit trail", 1)[1]
    assert "mod@example.gov.uk" in trail and "approve" in trail and "resident" in trail
    assert "Audit trail" not in public.get(f"/assets/{asset_id}").get_data(as_text=True)
    # Approving twice is refused with a message, not a crash.
    post(moderator, f"/moderate/assets/{asset_id}/approve")
    assert "cannot be approved" in moderator.get("/moderate").get_data(as_text=True)


def test_reject_needs_a_reason_and_keeps_the_row(sample_app, moderator):
    base = an_approved(sample_app)
    asset_id = add_pending(sample_app, "Spam Place", base.lon, base.lat)
    post(moderator, f"/moderate/assets/{asset_id}/reject", reason="  ")
    assert get(sample_app, asset_id).status == "pending"
    assert "Give a reason for rejecting" in moderator.get("/moderate").get_data(as_text=True)
    post(moderator, f"/moderate/assets/{asset_id}/reject", reason="Advertising, not a community asset")
    assert get(sample_app, asset_id).status == "rejected"
    assert events(sample_app, asset_id)[-1].note == "Advertising, not a community asset"
    assert sample_app.test_client().get(f"/assets/{asset_id}").status_code == 404


def test_archive_removes_from_map_without_deleting(sample_app, moderator):
    asset = an_approved(sample_app)
    post(moderator, f"/moderate/assets/{asset.id}/archive", reason="Closed down")
    with sample_app.app_context():
        assert db.session.get(Asset, asset.id).status == "archived"
    assert sample_app.test_client().get(f"/assets/{asset.id}").status_code == 404
    assert f'"id": {asset.id},' not in sample_app.test_client().get("/api/assets.geojson").get_data(as_text=True)
    last = events(sample_app, asset.id)[-1]
    assert (last.action, last.before["status"], last.after["status"], last.note) == (
        "archive",
        "approved",
        "archived",
        "Closed down",
    )


def test_bulk_approve_approves_only_ticked_pending_places(sample_app, moderator):
    base = an_approved(sample_app)
    ids = [add_pending(sample_app, f"Bulk place {i}", base.lon, base.lat) for i in range(3)]
    html = moderator.get("/moderate").get_data(as_text=True)
    assert html.count('form="bulk" name="ids"') == 3
    post(moderator, "/moderate/bulk-approve", ids=[str(ids[0]), str(ids[2]), str(base.id)])
    assert [get(sample_app, i).status for i in ids] == ["approved", "pending", "approved"]
    assert [e.action for e in events(sample_app, ids[2])] == ["create", "approve"]
    assert [e.action for e in events(sample_app, base.id)] == []  # already approved: untouched


def farthest_from(app, asset) -> tuple[float, float]:
    """Return the location of the approved place farthest from this one (kilometres away in the sample)."""
    with app.app_context():
        rows = db.session.execute(select(Asset.lon, Asset.lat).where(Asset.status == "approved")).all()
    return max(rows, key=lambda r: (r[0] - asset.lon) ** 2 + (r[1] - asset.lat) ** 2)


def test_queue_warns_of_likely_duplicates_nearby_or_same_postcode(sample_app, moderator):
    existing = an_approved(sample_app)
    # ~70 m east of an approved place, with nearly the same name.
    lon = existing.lon + 70 / (111_320 * 0.6)
    twin = add_pending(sample_app, existing.name + "s", lon, existing.lat)
    far_lon, far_lat = farthest_from(sample_app, existing)
    far = add_pending(sample_app, existing.name, far_lon, far_lat)  # kilometres away, no postcode
    other = add_pending(sample_app, "Nothing Alike Whatsoever", existing.lon, existing.lat)
    html = moderator.get("/moderate").get_data(as_text=True)
    item = lambda i: html.split(f'id="asset-{i}"', 1)[1].split("</article>", 1)[0]  # noqa: E731
    assert "Possible duplicate" in item(twin) and f"(place {existing.id})" in item(twin)
    distance = int(re.search(r"(\d+) m away", item(twin)).group(1))
    assert 40 < distance < 100
    assert "Possible duplicate" not in item(far)
    assert "Possible duplicate" not in item(other)
    # The same postcode and a similar name count, wherever the pins are.
    with sample_app.app_context():
        postcode = db.session.scalars(select(Postcode).order_by(Postcode.postcode)).first()
        db.session.get(Asset, existing.id).postcode = postcode.postcode
        db.session.commit()
        pc = postcode.postcode
    by_postcode = add_pending(sample_app, existing.name.upper(), far_lon, far_lat, postcode=pc)
    html = moderator.get("/moderate").get_data(as_text=True)
    assert "same postcode" in item(by_postcode)


def test_merge_archives_duplicate_fills_gaps_and_audits_both(sample_app, moderator):
    target = an_approved(sample_app)
    with sample_app.app_context():
        db.session.get(Asset, target.id).opening_times = None
        db.session.commit()
    dup = add_pending(
        sample_app,
        target.name,
        target.lon,
        target.lat,
        categories=("youth",),
        opening_times="Fridays 6pm",
        description="From the duplicate",
    )
    post(moderator, f"/moderate/assets/{dup}/merge", target_id=str(target.id))
    merged, kept = get(sample_app, dup), get(sample_app, target.id)
    assert merged.status == "archived" and merged.merged_into_id == target.id
    assert kept.status == "approved" and kept.opening_times == "Fridays 6pm"
    assert "youth" in kept.category_list and set(target.category_ids()) <= set(kept.category_list)
    assert kept.description == target.description  # the kept record's own text wins
    assert [e.action for e in events(sample_app, dup)][-1] == "merge"
    assert events(sample_app, target.id)[-1].note.startswith(f"merged in place {dup}")
    # The public following an old link to the merged place land on the kept one.
    response = sample_app.test_client().get(f"/assets/{dup}")
    assert response.status_code == 301 and response.headers["Location"] == f"/assets/{target.id}"
    # Nonsense targets are refused with a message.
    post(moderator, f"/moderate/assets/{target.id}/merge", target_id=str(target.id))
    assert "cannot be merged into itself" in moderator.get("/moderate").get_data(as_text=True)
    post(moderator, f"/moderate/assets/{target.id}/merge", target_id="abc")
    assert get(sample_app, target.id).status == "approved"


def test_edit_changes_fields_moves_ward_and_audits(sample_app, moderator):
    base = an_approved(sample_app)
    asset_id = add_pending(sample_app, "Edit Me", base.lon, base.lat)
    with sample_app.app_context():
        ward = db.session.scalars(select(Ward).where(Ward.code != base.ward_code).order_by(Ward.code)).first()
        point, code = ward.geom.representative_point(), ward.code
    token = csrf_token(moderator, f"/moderate/assets/{asset_id}/edit")
    html = moderator.get(f"/moderate/assets/{asset_id}/edit").get_data(as_text=True)
    assert 'value="Edit Me"' in html and "checked" in html
    response = moderator.post(
        f"/moderate/assets/{asset_id}/edit",
        data={
            "csrf_token": token,
            "name": "Edited Name",
            "categories": ["youth", "sport"],
            "kind": "venue",
            "lon": f"{point.x:.6f}",
            "lat": f"{point.y:.6f}",
            "opening_times": "Sat 10-12",
        },
    )
    assert response.status_code == 302
    asset = get(sample_app, asset_id)
    assert (asset.name, asset.kind, asset.ward_code, asset.status) == ("Edited Name", "venue", code, "pending")
    assert sorted(asset.category_list) == ["sport", "youth"]
    assert asset.geom.equals_exact(shapely.Point(round(point.x, 6), round(point.y, 6)), 1e-9)
    last = events(sample_app, asset_id)[-1]
    assert last.action == "edit" and last.before["name"] == "Edit Me" and last.after["name"] == "Edited Name"
    assert last.before["ward_code"] != last.after["ward_code"]
    # Bad input gets the same messages as the public form.
    html = moderator.post(f"/moderate/assets/{asset_id}/edit", data={"csrf_token": token, "name": ""}).get_data(
        as_text=True
    )
    assert "Enter the name of the place" in html and "There is a problem" in html


def suggest(app, asset_id, **data):
    client = app.test_client()
    token = csrf_token(client, f"/assets/{asset_id}/report")
    assert client.post(f"/assets/{asset_id}/report", data={"csrf_token": token, **data}).status_code == 302
    with app.app_context():
        return db.session.scalar(select(ChangeRequest.id).order_by(ChangeRequest.id.desc()))


def test_suggested_change_shows_as_diff_and_accepting_applies_it(sample_app, moderator):
    asset = an_approved(sample_app)
    change_id = suggest(sample_app, asset.id, kind="details", opening_times="Mon-Fri 9-5", phone="01632 960 123")
    html = moderator.get("/moderate").get_data(as_text=True)
    block = html.split(f'id="change-{change_id}"', 1)[1].split("</article>", 1)[0]
    assert "Suggested change against the current record" in block
    assert "<ins>Mon-Fri 9-5</ins>" in block and "<ins>01632 960 123</ins>" in block
    assert f"<del>{asset.opening_times or '(empty)'}</del>" in block
    post(moderator, f"/moderate/changes/{change_id}/accept")
    fresh = get(sample_app, asset.id)
    assert (fresh.opening_times, fresh.phone, fresh.status) == ("Mon-Fri 9-5", "01632 960 123", "approved")
    with sample_app.app_context():
        change = db.session.get(ChangeRequest, change_id)
        assert (change.status, change.resolved_by) == ("accepted", "mod@example.gov.uk")
    last = events(sample_app, asset.id)[-1]
    assert last.action == "edit" and last.after["opening_times"] == "Mon-Fri 9-5"
    assert [e.action for e in events(sample_app, change_id, "change_request")] == ["report", "accept"]
    assert f'id="change-{change_id}"' not in moderator.get("/moderate").get_data(as_text=True)


def test_reported_closure_archives_when_accepted_and_rejection_leaves_it(sample_app, moderator):
    first, second = an_approved(sample_app), an_approved(sample_app, offset=1)
    closed = suggest(sample_app, first.id, kind="closed", note="Shut last month")
    wrong = suggest(sample_app, second.id, kind="closed")
    html = moderator.get("/moderate").get_data(as_text=True)
    assert "archived (reported closed)" in html and "Shut last month" in html
    post(moderator, f"/moderate/changes/{closed}/accept")
    post(moderator, f"/moderate/changes/{wrong}/reject", reason="Still open, I phoned them")
    assert get(sample_app, first.id).status == "archived"
    assert get(sample_app, second.id).status == "approved"
    assert events(sample_app, wrong, "change_request")[-1].note == "Still open, I phoned them"
    post(moderator, f"/moderate/changes/{wrong}/accept")
    assert "already rejected" in moderator.get("/moderate").get_data(as_text=True)


def test_stale_page_lists_unchecked_places_and_marks_or_archives(sample_app, make_app, moderator):
    old, older, fresh = an_approved(sample_app), an_approved(sample_app, 1), an_approved(sample_app, 2)
    with sample_app.app_context():
        db.session.query(Asset).filter(Asset.status == "approved").update({"last_verified_at": utcnow()})
        db.session.get(Asset, old.id).last_verified_at = utcnow() - timedelta(days=400)
        db.session.get(Asset, older.id).last_verified_at = None
        db.session.commit()
    html = moderator.get("/moderate/stale").get_data(as_text=True)
    assert "2 listed places" in html and "12 months" in html
    assert f'id="stale-{old.id}"' in html and f'id="stale-{older.id}"' in html and f'id="stale-{fresh.id}"' not in html
    assert html.index(f'id="stale-{older.id}"') < html.index(f'id="stale-{old.id}"')  # never checked comes first
    post(moderator, "/moderate/stale/verify", ids=[str(old.id)], next="/moderate/stale")
    post(moderator, f"/moderate/assets/{older.id}/archive", reason="not checked")
    assert get(sample_app, old.id).last_verified_at > utcnow() - timedelta(minutes=1)
    assert get(sample_app, older.id).status == "archived"
    assert "0 listed places" in moderator.get("/moderate/stale").get_data(as_text=True)
    assert [e.action for e in events(sample_app, old.id)] == ["verify"]
    # The number of months is a setting.
    short = make_app(STALE_AFTER_MONTHS=1)
    with short.app_context():
        db.session.get(Asset, fresh.id).last_verified_at = utcnow() - timedelta(days=45)
        db.session.commit()
    client = short.test_client()
    login(client)
    html = client.get("/moderate/stale").get_data(as_text=True)
    assert "1 month or more" in html and f'id="stale-{fresh.id}"' in html


def test_nothing_is_ever_hard_deleted(sample_app, moderator):
    with sample_app.app_context():
        before = db.session.query(Asset).count()
    base = an_approved(sample_app)
    a = add_pending(sample_app, "Keep Me One", base.lon, base.lat)
    b = add_pending(sample_app, "Keep Me Two", base.lon, base.lat)
    post(moderator, f"/moderate/assets/{a}/reject", reason="dup")
    post(moderator, f"/moderate/assets/{b}/merge", target_id=str(base.id))
    post(moderator, f"/moderate/assets/{base.id}/archive")
    with sample_app.app_context():
        assert db.session.query(Asset).count() == before + 2


@pytest.mark.parametrize(
    "url, data, message",
    [
        ("/moderate/bulk-approve", {}, "Tick at least one place to approve."),
        ("/moderate/stale/verify", {}, "Tick at least one place to mark as checked."),
        ("/moderate/assets/{dup}/merge", {"target_id": "999999"}, "Choose the place to merge"),
    ],
)
def test_refused_actions_change_nothing_and_say_why(sample_app, moderator, url, data, message):
    target = an_approved(sample_app)
    dup = add_pending(sample_app, target.name, target.lon, target.lat, categories=("youth",))
    response = post(moderator, url.format(dup=dup), **data)
    assert response.status_code == 302
    assert message in moderator.get("/moderate").get_data(as_text=True)
    assert get(sample_app, dup).status == "pending"
