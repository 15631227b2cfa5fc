"""What managers do to their listings: who manages what, edits, offers and needs; all audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import shapely
from sqlalchemy import select

from webmap.core import audit
from webmap.core.db import db
from webmap.core.emails import normalise_email
from webmap.core.geo import geodesic_m
from webmap.core.models import Asset, Category, ChangeRequest, utcnow
from webmap.groups.models import DIRECTIONS, ListingExchange, ListingManager
from webmap.web.language import language as current_language

# Published as soon as a manager saves them (with an audit record).
SMALL_FIELDS = ("kind", "description", "address", "postcode", "website", "phone", "opening_times", "accessibility")
MANAGER_KIND = "manager"
CLAIM_KIND = "claim"


def manager_actor(email: str) -> str:
    """Return how a manager appears in the audit trail."""
    return f"manager: {email}"


# --- managers ---


def active_managers(asset_id: int) -> list[ListingManager]:
    """Return the listing's current managers, oldest first."""
    return list(
        db.session.scalars(
            select(ListingManager)
            .where(ListingManager.asset_id == asset_id, ListingManager.active.is_(True))
            .order_by(ListingManager.id)
        )
    )


def managed_listings(email: str) -> list[Asset]:
    """Return the listings this email manages, by name (archived ones left out)."""
    return list(
        db.session.scalars(
            select(Asset)
            .join(ListingManager, ListingManager.asset_id == Asset.id)
            .where(
                ListingManager.email == normalise_email(email),
                ListingManager.active.is_(True),
                Asset.status != "archived",
            )
            .order_by(Asset.name, Asset.id)
        )
    )


def is_manager(email: str | None, asset_id: int) -> bool:
    """Say whether this email currently manages the listing."""
    if not email:
        return False
    return (
        db.session.scalar(
            select(ListingManager.id).where(
                ListingManager.asset_id == asset_id,
                ListingManager.email == normalise_email(email),
                ListingManager.active.is_(True),
            )
        )
        is not None
    )


def add_manager(
    asset: Asset, email: str, name: str | None, granted_by: str, who: str, language: str | None = None
) -> ListingManager:
    """Make `email` a manager of the listing (again, if they were removed), with an audit record.

    `language` is the one they claimed the listing in: their emails are written in it.
    """
    email = normalise_email(email)
    manager = db.session.scalar(
        select(ListingManager).where(ListingManager.asset_id == asset.id, ListingManager.email == email)
    )
    if manager is None:
        manager = ListingManager(
            asset_id=asset.id,
            email=email,
            name=name,
            granted_by=granted_by,
            active=True,
            created_at=utcnow(),
            language=language,
        )
        db.session.add(manager)
    elif manager.active:
        if language:
            manager.language = language
        return manager
    else:
        manager.active, manager.revoked_at, manager.granted_by = True, None, granted_by
        manager.language = language or manager.language
    db.session.flush()
    audit.record(
        "add_manager",
        "asset",
        asset.id,
        after={"manager_id": manager.id, "granted_by": granted_by},
        who=who,
        note=f"manager {manager.id} added ({granted_by})",
    )
    return manager


def remove_manager(manager: ListingManager, who: str | None) -> None:
    """Stop someone managing a listing; the row is kept for the trail."""
    manager.active, manager.revoked_at = False, utcnow()
    audit.record(
        "remove_manager",
        "asset",
        manager.asset_id,
        before={"manager_id": manager.id},
        who=who,
        note=f"manager {manager.id} removed",
    )


def contact_addresses(asset: Asset) -> list[str]:
    """Return where a relayed message goes: the managers, else the listing's own email, else nowhere."""
    managers = [m.email for m in active_managers(asset.id)]
    if managers:
        return managers
    return [asset.contact_email] if asset.contact_email else []


# --- offers and needs ---


@dataclass
class Exchange:
    """What one listing offers and needs: vocabulary ids and free text."""

    offers: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    offers_text: str | None = None
    needs_text: str | None = None

    def as_dict(self) -> dict:
        return {
            "offers": sorted(self.offers),
            "needs": sorted(self.needs),
            "offers_text": self.offers_text,
            "needs_text": self.needs_text,
        }

    def __bool__(self) -> bool:
        return bool(self.offers or self.needs or self.offers_text or self.needs_text)


def exchanges_for(asset_ids: Iterable[int]) -> dict[int, Exchange]:
    """Return {asset id: Exchange} for these listings (an empty Exchange where none is set)."""
    ids = list(dict.fromkeys(int(i) for i in asset_ids))
    found = {i: Exchange() for i in ids}
    for start in range(0, len(ids), 500):  # keep IN lists short
        rows = db.session.scalars(
            select(ListingExchange)
            .where(ListingExchange.asset_id.in_(ids[start : start + 500]))
            .order_by(ListingExchange.id)
        )
        for row in rows:
            ex = found[row.asset_id]
            if row.item:
                getattr(ex, row.direction).append(row.item)
            else:
                setattr(ex, f"{row.direction}_text", row.detail)
    return found


def set_exchange(asset: Asset, new: Exchange, who: str) -> bool:
    """Replace what a listing offers and needs; return False when nothing changed."""
    old = exchanges_for([asset.id])[asset.id]
    if old.as_dict() == new.as_dict():
        return False
    for row in db.session.scalars(select(ListingExchange).where(ListingExchange.asset_id == asset.id)):
        db.session.delete(row)  # rows of a list, not records: the audit event keeps the old list
    for direction in DIRECTIONS:
        for item in dict.fromkeys(getattr(new, direction)):
            db.session.add(ListingExchange(asset_id=asset.id, direction=direction, item=item, created_at=utcnow()))
        text = getattr(new, f"{direction}_text")
        if text:
            db.session.add(
                ListingExchange(asset_id=asset.id, direction=direction, item=None, detail=text, created_at=utcnow())
            )
    db.session.flush()
    audit.record("offers_needs", "asset", asset.id, before=old.as_dict(), after=new.as_dict(), who=who)
    return True


# --- edits ---


@dataclass
class EditOutcome:
    """What happened to a manager's edit: fields published now, and a change sent to moderation."""

    published: list[str]
    moderated: ChangeRequest | None
    moved_m: float


def manager_edit(
    asset: Asset,
    values: dict,
    categories: list[str],
    lon: float,
    lat: float,
    ward_code: str,
    who: str,
    max_move_m: float,
) -> EditOutcome:
    """Publish small edits at once; send a new name or categories, or a long pin move, to moderation."""
    moved_m = float(geodesic_m(asset.lon, asset.lat, [lon], [lat])[0])
    small = {f: values[f] for f in SMALL_FIELDS if f in values and values[f] != getattr(asset, f)}
    if 0 < moved_m <= max_move_m:
        small.update(lon=lon, lat=lat, ward_code=ward_code)
    proposed: dict = {}
    if values.get("name") and values["name"] != asset.name:
        proposed["name"] = values["name"]
    if sorted(set(categories)) != sorted(asset.category_ids()):
        proposed["categories"] = list(dict.fromkeys(categories))
    if moved_m > max_move_m:
        proposed.update(lon=lon, lat=lat)
    if small:
        before = audit.snapshot(asset)
        for name, value in small.items():
            setattr(asset, name, value)
        if "lon" in small:
            asset.geom = shapely.Point(lon, lat)
        db.session.flush()
        audit.record(
            "edit",
            "asset",
            asset.id,
            before=before,
            after=audit.snapshot(asset),
            who=who,
            note="published by the group's manager",
        )
    change = None
    if proposed:
        note = "Sent by the group's manager."
        if "lon" in proposed:
            note += f" Moves the pin {moved_m:,.0f} m."
        change = ChangeRequest(
            asset_id=asset.id,
            kind=MANAGER_KIND,
            proposed=proposed,
            note=note,
            status="open",
            created_at=utcnow(),
            language=current_language(),
        )
        db.session.add(change)
        db.session.flush()
        audit.record(
            "report",
            "change_request",
            change.id,
            after={"asset_id": asset.id, "kind": MANAGER_KIND, "proposed": proposed},
            who=who,
        )
    return EditOutcome(sorted(small), change, moved_m)


def confirm_still_correct(asset: Asset, who: str) -> None:
    """Record that the listing's manager checked it is still right today."""
    before = audit.snapshot(asset)
    asset.last_verified_at = utcnow()
    db.session.flush()
    audit.record(
        "verify",
        "asset",
        asset.id,
        before=before,
        after=audit.snapshot(asset),
        who=who,
        note="confirmed still correct by the group's manager",
    )


def category_objects(ids: Iterable[str]) -> list[Category]:
    """Return Category rows for known ids, in the order given."""
    return [c for c in (db.session.get(Category, i) for i in dict.fromkeys(ids)) if c is not None]
