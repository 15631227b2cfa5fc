"""What moderators do to assets and suggested changes; every action is audited and nothing is deleted."""

from __future__ import annotations

import shapely
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webmap.core import audit
from webmap.core.db import db
from webmap.core.geo import geodesic_m
from webmap.core.models import Asset, Category, ChangeRequest, utcnow
from webmap.groups.claims import ClaimError, grant_from_request

# Fields a merge copies from the merged asset when the surviving one has none.
FILLABLE = ("description", "address", "postcode", "website", "phone", "opening_times", "accessibility")
# Fields an accepted change request may set.
CHANGEABLE = ("name", "description", "address", "postcode", "website", "phone", "opening_times", "accessibility")


class ModerationError(ValueError):
    """An action that does not make sense for this record, in plain words (in the reader's language)."""


# Each status in words, for pages and messages (the stored value stays English).
STATUS_WORDS = {
    "pending": _l("pending"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "archived": _l("archived"),
}
# A suggested change's status in words.
CHANGE_STATUS_WORDS = {"open": _l("open"), "accepted": _l("accepted"), "rejected": _l("rejected")}


# Each kind of place in words (the stored value stays English).
KIND_WORDS = {"group": _l("group"), "business": _l("business"), "venue": _l("venue"), "service": _l("service")}


def kind_word(kind: str) -> str:
    """Return a kind of place in the reader's language."""
    return str(KIND_WORDS.get(kind, kind))


# The fields a suggested change shows, by name (any other is shown as its name, capitalised).
FIELD_WORDS = {
    "name": _l("Name"),
    "description": _l("Description"),
    "address": _l("Address"),
    "postcode": _l("Postcode"),
    "website": _l("Website"),
    "phone": _l("Phone"),
    "opening_times": _l("Opening times"),
    "accessibility": _l("Accessibility"),
    "categories": _l("Categories"),
    "location": _l("Location"),
    "status": _l("Status"),
    "manager": _l("Manager"),
}


def field_word(field: str) -> str:
    """Return a record field's name in words, in the reader's language."""
    return str(FIELD_WORDS.get(field) or field.replace("_", " ").capitalize())


def status_word(status: str) -> str:
    """Return a place's status in the reader's language."""
    return str(STATUS_WORDS.get(status, status))


def _audited(asset: Asset, action: str, change, note: str | None = None) -> None:
    before = audit.snapshot(asset)
    change()
    db.session.flush()
    audit.record(action, "asset", asset.id, before=before, after=audit.snapshot(asset), note=note)


def approve(asset: Asset) -> None:
    """Make a pending (or previously rejected) asset public; approving counts as checking it."""
    if asset.status not in ("pending", "rejected"):
        raise ModerationError(
            _("'%(name)s' is %(status)s, so it cannot be approved.", name=asset.name, status=status_word(asset.status))
        )

    def change():
        asset.status, asset.last_verified_at = "approved", utcnow()

    _audited(asset, "approve", change)


def reject(asset: Asset, reason: str) -> None:
    """Turn down a pending asset, keeping the row and the reason."""
    if not (reason or "").strip():
        raise ModerationError(_("Give a reason for rejecting '%(name)s'.", name=asset.name))
    if asset.status != "pending":
        raise ModerationError(
            _(
                "'%(name)s' is %(status)s; only pending places can be rejected.",
                name=asset.name,
                status=status_word(asset.status),
            )
        )
    _audited(asset, "reject", lambda: setattr(asset, "status", "rejected"), note=reason.strip())


def archive(asset: Asset, reason: str | None = None) -> None:
    """Take an asset off the map without deleting it."""
    if asset.status == "archived":
        raise ModerationError(_("'%(name)s' is already archived.", name=asset.name))
    _audited(asset, "archive", lambda: setattr(asset, "status", "archived"), note=(reason or "").strip() or None)


def verify(asset: Asset) -> None:
    """Record that staff have checked a listed asset is still right today."""
    _audited(asset, "verify", lambda: setattr(asset, "last_verified_at", utcnow()))


def edit(asset: Asset, values: dict, categories: list | None = None) -> bool:
    """Change an asset's fields (and categories); return False when nothing changed."""
    before = audit.snapshot(asset)
    for field, value in values.items():
        setattr(asset, field, value)
    if categories is not None:
        asset.categories = categories
    db.session.flush()
    after = audit.snapshot(asset)
    if after == before:
        return False
    audit.record("edit", "asset", asset.id, before=before, after=after)
    return True


def merge(duplicate: Asset, target: Asset) -> None:
    """Fold a duplicate into an existing asset: fill the target's gaps, then archive the duplicate."""
    if duplicate.id == target.id:
        raise ModerationError(_("A place cannot be merged into itself."))
    if target.status not in ("approved", "pending") or target.merged_into_id:
        raise ModerationError(
            _(
                "'%(name)s' is %(status)s; merge into a pending or approved place.",
                name=target.name,
                status=status_word(target.status),
            )
        )
    if duplicate.status == "archived":
        raise ModerationError(_("'%(name)s' is already archived.", name=duplicate.name))

    def fill():
        for field in FILLABLE:
            if not getattr(target, field) and getattr(duplicate, field):
                setattr(target, field, getattr(duplicate, field))
        target.categories = list(dict.fromkeys([*target.categories, *duplicate.categories]))

    def fold():
        duplicate.status, duplicate.merged_into_id = "archived", target.id

    _audited(target, "merge", fill, note=f"merged in place {duplicate.id} ({duplicate.name})")
    _audited(duplicate, "merge", fold, note=f"merged into place {target.id} ({target.name})")


def accept_change(change: ChangeRequest, by: str) -> None:
    """Apply a suggested change to its asset ("closed" archives it) and close the request."""
    if change.status != "open":
        raise ModerationError(
            _("This suggestion was already %(status)s.", status=CHANGE_STATUS_WORDS.get(change.status, change.status))
        )
    asset = change.asset
    note = f"from suggested change {change.id}"
    if change.kind == "closed":
        if asset.status != "archived":
            archive(asset, f"reported closed ({note})")
    elif change.kind == "claim":
        try:
            grant_from_request(change, by)
        except ClaimError as exc:
            raise ModerationError(str(exc)) from exc
    elif change.proposed:

        def apply():
            for field, value in change.proposed.items():
                if field in CHANGEABLE:
                    setattr(asset, field, value)
            _apply_categories_and_location(asset, change.proposed)
            asset.last_verified_at = utcnow()

        _audited(asset, "edit", apply, note=note)
    _close(change, "accepted", by)


def _apply_categories_and_location(asset: Asset, proposed: dict) -> None:
    """Apply the categories and pin of a manager's change (see webmap/groups), checking the ward."""
    if proposed.get("categories"):
        found = [db.session.get(Category, c) for c in proposed["categories"]]
        if not all(found):
            missing = proposed["categories"][found.index(None)]
            raise ModerationError(_("Category '%(category)s' no longer exists.", category=missing))
        asset.categories = found
    if "lon" in proposed and "lat" in proposed:
        from webmap.core.store import ward_at

        lon, lat = float(proposed["lon"]), float(proposed["lat"])
        ward = ward_at(lon, lat)
        if ward is None:
            raise ModerationError(_("The suggested pin is outside the council's wards."))
        asset.lon, asset.lat, asset.ward_code, asset.geom = lon, lat, ward.code, shapely.Point(lon, lat)


def reject_change(change: ChangeRequest, by: str, reason: str | None = None) -> None:
    """Close a suggested change without applying it."""
    if change.status != "open":
        raise ModerationError(
            _("This suggestion was already %(status)s.", status=CHANGE_STATUS_WORDS.get(change.status, change.status))
        )
    _close(change, "rejected", by, reason)


def _close(change: ChangeRequest, status: str, by: str, note: str | None = None) -> None:
    before = {"status": change.status}
    change.status, change.resolved_at, change.resolved_by = status, utcnow(), by
    audit.record(
        "accept" if status == "accepted" else "reject",
        "change_request",
        change.id,
        before=before,
        after={"status": status, "asset_id": change.asset_id},
        note=(note or "").strip() or None,
    )


def change_diff(change: ChangeRequest) -> list[tuple[str, object, object]]:
    """Return (field, current value, suggested value) rows for showing a suggestion against the record."""
    asset = change.asset
    if change.kind == "closed":
        return [("status", status_word(asset.status), _("archived (reported closed)"))]
    proposed = dict(change.proposed or {})
    if change.kind == "claim":
        name = proposed.get("manager_name")
        return [("manager", _("(not listed)"), f"{proposed.get('manager_email')}" + (f" ({name})" if name else ""))]
    rows = []
    if "categories" in proposed:
        rows.append(("categories", ", ".join(asset.category_ids()), ", ".join(proposed.pop("categories"))))
    if "lon" in proposed and "lat" in proposed:
        lon, lat = float(proposed.pop("lon")), float(proposed.pop("lat"))
        moved = float(geodesic_m(asset.lon, asset.lat, [lon], [lat])[0])
        away = _("%(distance)s m away", distance=format_decimal(round(moved)))
        rows.append(("location", f"{asset.lat:.6f}, {asset.lon:.6f}", f"{lat:.6f}, {lon:.6f} ({away})"))
    return [(field, getattr(asset, field), value) for field, value in proposed.items()] + rows
