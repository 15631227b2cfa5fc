"""Build "You said, we did": what residents asked for, what was done, places opened since, and how the gap moved."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import geopandas as gpd
import pandas as pd
from flask import current_app
from sqlalchemy import func, select

from webmap.core import store
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, Need, Response, SurveyRound
from webmap.gaps import history as snapshots
from webmap.feedback.nearby_changes import places_within


@dataclass
class Asked:
    """Needs stated in one period: a survey round, or a month of web-form answers."""

    period: str
    on: date
    count: float


@dataclass
class Place:
    asset_id: int
    name: str
    approved_on: date
    in_ward: bool


@dataclass
class Item:
    """One ward + category: the asks, the responses, new places and the gap before and now."""

    ward_code: str
    ward_name: str
    category: str
    label: str
    asked: list[Asked] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    before: snapshots.Point | None = None
    now: snapshots.Point | None = None
    first_asked: date | None = None

    @property
    def total_asked(self) -> float:
        return sum(a.count for a in self.asked)

    @property
    def latest(self) -> date:
        dates = [a.on for a in self.asked] + [r.done_on for r in self.responses] + [p.approved_on for p in self.places]
        return max(dates) if dates else date.min


def approval_dates(asset_ids: list[int]) -> dict[int, date]:
    """Return when each asset was approved: its first approval in the audit trail, else when it was added."""
    if not asset_ids:
        return {}
    found = dict(db.session.execute(
        select(AuditEvent.entity_id, func.min(AuditEvent.at))
        .where(AuditEvent.entity_type == "asset", AuditEvent.action == "approve",
               AuditEvent.entity_id.in_([str(i) for i in asset_ids]))
        .group_by(AuditEvent.entity_id)).all())
    created = dict(db.session.execute(select(Asset.id, Asset.created_at).where(Asset.id.in_(asset_ids))).all())
    out = {}
    for asset_id in asset_ids:
        when: datetime | None = found.get(str(asset_id)) or created.get(asset_id)
        out[asset_id] = when.date() if when else date.min
    return out


def _asked(ward_codes: list[str] | None) -> dict[tuple[str, str], tuple[list[Asked], date, datetime]]:
    """Return {(ward, category): (asks by period, first asked on, first stored at)}."""
    query = (select(Need.ward_code, Need.category_id, Need.round_id, SurveyRound.name, Need.asked_on, Need.count,
                    Need.created_at)
             .join(SurveyRound, SurveyRound.id == Need.round_id, isouter=True))
    if ward_codes is not None:
        query = query.where(Need.ward_code.in_(ward_codes))
    periods: dict[tuple[str, str], dict[tuple, list]] = defaultdict(dict)
    firsts: dict[tuple[str, str], tuple[date, datetime]] = {}
    for ward, category, round_id, round_name, asked_on, count, created in db.session.execute(query).all():
        key = (ward, category)
        if round_id is not None:
            period, on = (round_name, round_id), asked_on
            label = round_name
        else:
            period, on = (f"{asked_on:%B %Y}", None), asked_on.replace(day=1)
            label = f"{asked_on:%B %Y} (web form and other reports)"
        slot = periods[key].setdefault(period, [label, on, 0.0])
        slot[1] = max(slot[1], asked_on) if round_id is None else on
        slot[2] += float(count)
        first = firsts.get(key)
        firsts[key] = (min(first[0], asked_on), min(first[1], created)) if first else (asked_on, created)
    out = {}
    for key, by_period in periods.items():
        asks = sorted((Asked(label, on, count) for label, on, count in by_period.values()), key=lambda a: a.on, reverse=True)
        out[key] = (asks, *firsts[key])
    return out


def items(ward_code: str | None = None) -> list[Item]:
    """Return the "You said, we did" items for one ward (or every ward), newest activity first."""
    wards = store.wards_frame([ward_code] if ward_code is not None else None)
    names = dict(zip(wards["code"], wards["name"]))
    labels = store.category_labels()
    asked = _asked(list(names) if ward_code is not None else None)
    query = select(Response).where(Response.status == "published").order_by(Response.done_on.desc(), Response.id.desc())
    if ward_code is not None:
        query = query.where(Response.ward_code == ward_code)
    responses: dict[tuple[str, str], list[Response]] = defaultdict(list)
    for response in db.session.scalars(query):
        responses[(response.ward_code, response.category_id)].append(response)

    distance = float(current_app.config["ACCESS_DISTANCE_M"])
    # One ward: only the places in a box around it (grown by the distance) can be within reach.
    around = store.box_around(wards.total_bounds, distance) if ward_code is not None and len(wards) else None
    assets = store.assets_frame(explode=True, bbox=around)
    out = []
    for key in sorted(set(asked) | set(responses)):
        ward, category = key
        if ward not in names:
            continue
        asks, first_asked, first_stored = asked.get(key, ([], None, None))
        item = Item(ward, names[ward], category, labels.get(category, category), asks, responses.get(key, []),
                    first_asked=first_asked)
        since = first_asked or min(r.done_on for r in item.responses)
        item.places = _places_since(wards[wards["code"] == ward], assets[assets["category"] == category], since,
                                    distance)
        item.before, item.now = _before_and_now(ward, category, first_stored)
        out.append(item)
    # Newest first: by the latest date, then the latest response recorded; ties by ward and kind.
    out.sort(key=lambda i: (i.ward_name, i.label))
    return sorted(out, key=lambda i: (i.latest, max((r.created_at for r in i.responses), default=datetime.min)),
                  reverse=True)


def _places_since(ward: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, since: date, distance: float) -> list[Place]:
    """Return the places of this category approved on or after `since` within the distance of the ward."""
    if assets.empty:
        return []
    near = assets[places_within(ward, assets, distance)]
    # Approval dates only for the few places within reach, not for every place in the area.
    approved = approval_dates([int(i) for i in near["asset_id"]])
    near = near[near["asset_id"].map(lambda i: approved[int(i)] >= since)]
    code = ward["code"].iloc[0]
    return sorted((Place(int(r.asset_id), r.name, approved[int(r.asset_id)], r.ward_code == code)
                   for r in near.itertuples()), key=lambda p: p.approved_on, reverse=True)


def _before_and_now(ward: str, category: str, first_stored: datetime | None):
    """Return the snapshot taken when residents first asked (or the earliest) and the latest one."""
    found = snapshots.points(ward, category)
    if not found:
        return None, None
    before = next((p for p in found if first_stored is None or p.taken_at >= first_stored), found[0])
    return before, found[-1]


def rows(found: list[Item]) -> pd.DataFrame:
    """Return the items as a flat table for CSV and GeoJSON exports (public figures only)."""
    def fig(point, name):
        return None if point is None else getattr(point, name)

    records = [{
        "ward_code": i.ward_code, "ward_name": i.ward_name, "category": i.category, "category_label": i.label,
        "first_asked": i.first_asked.isoformat() if i.first_asked else None, "times_asked": i.total_asked,
        "asked_by_period": "; ".join(f"{a.period}: {a.count:g}" for a in i.asked),
        "responses": " | ".join(f"{r.done_on:%Y-%m-%d}: {r.summary}" for r in i.responses),
        "places_opened_since": "; ".join(f"{p.name} ({p.approved_on:%Y-%m-%d})" for p in i.places),
        "places_opened_count": len(i.places),
        "need_before": fig(i.before, "need_count"), "need_now": fig(i.now, "need_count"),
        "access_share_before": fig(i.before, "access_share"), "access_share_now": fig(i.now, "access_share"),
        "gap_before": fig(i.before, "gap_score"), "gap_now": fig(i.now, "gap_score"),
        "before_date": i.before.as_of.isoformat() if i.before else None,
        "now_date": i.now.as_of.isoformat() if i.now else None,
    } for i in found]
    return pd.DataFrame.from_records(records, columns=[
        "ward_code", "ward_name", "category", "category_label", "first_asked", "times_asked", "asked_by_period",
        "responses", "places_opened_since", "places_opened_count", "need_before", "need_now", "access_share_before",
        "access_share_now", "gap_before", "gap_now", "before_date", "now_date"])
