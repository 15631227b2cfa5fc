"""Build "You said, we did": what residents asked for, what was done, places opened since, and how the gap moved."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

import geopandas as gpd
import pandas as pd
from flask import current_app
from sqlalchemy import select

from webmap.core import store
from webmap.core.db import db
from webmap.core.models import Need, Response, SurveyRound, Ward, utcnow
from webmap.feedback.nearby_changes import places_within
from webmap.gaps import history as snapshots
from webmap.gaps import service as gaps_service


@dataclass
class Asked:
    """Needs stated in one period: a survey round, or a month of web-form answers (`web`).

    `period` names it in English for the exports; pages name a month of answers in the reader's language.
    """

    period: str
    on: date
    count: float
    web: bool = False


@dataclass
class Place:
    """A place within reach of the ward, with the dated record that lets the page name it.

    `how` is "approved" (a submission approved on `on`), "opened" (its source gives `on` as
    the day it opened) or "recorded" (first recorded on the map on `on`: not a claim it is new).
    """

    asset_id: int
    name: str
    on: date
    in_ward: bool
    how: str


@dataclass
class Item:
    """One ward + category: the asks, the responses, new places and the gap when residents asked and now."""

    ward_code: str
    ward_name: str
    category: str
    label: str
    asked: list[Asked] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    recorded: list[Place] = field(default_factory=list)
    before: snapshots.Point | None = None
    now: snapshots.Point | None = None
    first_asked: date | None = None
    asked_at: datetime | None = None
    # Welsh names for Welsh readers (pages use pick(); the exports keep the English).
    ward_name_cy: str | None = None
    label_cy: str | None = None

    @property
    def total_asked(self) -> float:
        return sum(a.count for a in self.asked)

    @property
    def latest(self) -> date:
        dates = [a.on for a in self.asked] + [r.done_on for r in self.responses] + [p.on for p in self.places]
        return max(dates) if dates else date.min


def _asked(ward_codes: list[str] | None) -> dict[tuple[str, str], tuple[list[Asked], date, datetime]]:
    """Return {(ward, category): (asks by period, first asked on, the moment of the first ask)}.

    The moment of a survey round's ask is the end of the round's day; of any other need, when it was stored.
    """
    query = select(
        Need.ward_code, Need.category_id, Need.round_id, SurveyRound.name, Need.asked_on, Need.count, Need.created_at
    ).join(SurveyRound, SurveyRound.id == Need.round_id, isouter=True)
    if ward_codes is not None:
        query = query.where(Need.ward_code.in_(ward_codes))
    periods: dict[tuple[str, str], dict[tuple, list]] = defaultdict(dict)
    firsts: dict[tuple[str, str], tuple[date, datetime]] = {}
    for ward, category, round_id, round_name, asked_on, count, created in db.session.execute(query).all():
        key = (ward, category)
        if round_id is not None:
            period, on = (round_name, round_id), asked_on
            label = round_name
            moment = datetime.combine(asked_on, time.max)
        else:
            period, on = (f"{asked_on:%B %Y}", None), asked_on.replace(day=1)
            label = f"{asked_on:%B %Y} (web form and other reports)"
            moment = created
        slot = periods[key].setdefault(period, [label, on, 0.0])
        slot[1] = max(slot[1], asked_on) if round_id is None else on
        slot[2] += float(count)
        first = firsts.get(key)
        firsts[key] = (min(first[0], asked_on), min(first[1], moment)) if first else (asked_on, moment)
    out = {}
    for key, by_period in periods.items():
        asks = sorted(
            (Asked(label, on, count, period[1] is None) for period, (label, on, count) in by_period.items()),
            key=lambda a: a.on,
            reverse=True,
        )
        out[key] = (asks, *firsts[key])
    return out


def items(ward_code: str | None = None, figures: bool = True) -> list[Item]:
    """Return the "You said, we did" items for one ward (or every ward), newest activity first.

    `figures=False` leaves out the gap when residents asked and now (the ward profile lists only places).
    """
    wards = store.wards_frame([ward_code] if ward_code is not None else None)
    names = dict(zip(wards["code"], wards["name"]))
    labels = store.category_labels()
    labels_cy = {c.id: c.label_cy for c in store.categories() if c.label_cy}
    welsh_names = select(Ward.code, Ward.name_cy).where(Ward.name_cy.is_not(None))
    if ward_code is not None:
        welsh_names = welsh_names.where(Ward.code == ward_code)
    names_cy = dict(db.session.execute(welsh_names).all())
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
        asks, first_asked, asked_at = asked.get(key, ([], None, None))
        item = Item(
            ward,
            names[ward],
            category,
            labels.get(category, category),
            asks,
            responses.get(key, []),
            first_asked=first_asked,
            ward_name_cy=names_cy.get(ward),
            label_cy=labels_cy.get(category),
        )
        # With no stated need (a response made for another reason): from the start of its first response's day.
        item.asked_at = asked_at or datetime.combine(min(r.done_on for r in item.responses), time.min)
        item.places, item.recorded = _places_since(
            wards[wards["code"] == ward], assets[assets["category"] == category], item.asked_at, distance
        )
        out.append(item)
    if figures:
        _add_figures(out, distance)
    # Newest first: by the latest date, then the latest response recorded; ties by ward and kind.
    out.sort(key=lambda i: (i.ward_name, i.label))
    return sorted(
        out, key=lambda i: (i.latest, max((r.created_at for r in i.responses), default=datetime.min)), reverse=True
    )


def _places_since(
    ward: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, asked_at: datetime, distance: float
) -> tuple[list[Place], list[Place]]:
    """Return (places new since the ask, places only first recorded on the map since) within reach of the ward.

    New: a submission approved after the ask, or a place whose own record says it opened after
    the ask's day. Recorded: any other record first put on the map after the ask (an import of
    places that were there all along says nothing about when they opened).
    """
    if assets.empty:
        return [], []
    near = assets[places_within(ward, assets, distance)]
    if near.empty:
        return [], []
    # Dates only for the few places within reach, not for every place in the area.
    dated = store.on_map_since([int(i) for i in near["asset_id"].unique()]).set_index("asset_id")
    code = ward["code"].iloc[0]
    new, recorded = [], []
    for row in near.drop_duplicates("asset_id").itertuples():
        if int(row.asset_id) not in dated.index:
            continue
        when = dated.loc[int(row.asset_id)]
        recorded_at = when["recorded_at"].to_pydatetime()
        opened = when["opened_on"] if isinstance(when["opened_on"], date) else None
        in_ward = row.ward_code == code
        if opened is not None and opened > asked_at.date():
            new.append(Place(int(row.asset_id), row.name, opened, in_ward, "opened"))
        elif opened is None and when["source"] in store.SUBMITTED_SOURCES and recorded_at > asked_at:
            new.append(Place(int(row.asset_id), row.name, recorded_at.date(), in_ward, "approved"))
        elif recorded_at > asked_at:
            recorded.append(Place(int(row.asset_id), row.name, recorded_at.date(), in_ward, "recorded"))
    order = lambda p: (p.on, p.name)  # noqa: E731
    return sorted(new, key=order, reverse=True), sorted(recorded, key=order, reverse=True)


def _add_figures(found: list[Item], distance: float) -> None:
    """Give each item its figures when residents asked (the map as it stood then) and now, computed, not looked up."""
    if not found:
        return
    now = utcnow()
    categories = sorted({i.category for i in found})
    try:
        tables = gaps_service.tables_at(categories, sorted({i.asked_at for i in found} | {now}), "share", distance)
    except gaps_service.NoWards:
        return
    rows: dict[tuple, dict] = {}

    def point(moment: datetime, item: Item) -> snapshots.Point | None:
        key = (moment, item.category)
        if key not in rows:
            table = tables[moment][item.category]
            rows[key] = {r["ward_code"]: r for r in table.drop(columns=table.geometry.name).to_dict("records")}
        row = rows[key].get(item.ward_code)
        if row is None:
            return None
        fig = {k: snapshots._plain(v) for k, v in row.items()}
        return snapshots.Point(
            moment.date(),
            moment,
            "asked" if moment != now else "now",
            None,
            distance,
            fig.get("need_count"),
            fig.get("access_share"),
            fig.get("assets_within_distance"),
            fig.get("gap_score"),
            fig,
        )

    for item in found:
        item.before, item.now = point(item.asked_at, item), point(now, item)


HOW = {"approved": "approved", "opened": "opened", "recorded": "first recorded on the map"}


def rows(found: list[Item]) -> pd.DataFrame:
    """Return the items as a flat table for CSV and GeoJSON exports (public figures only)."""

    def fig(point, name):
        return None if point is None else getattr(point, name)

    def listed(places: list[Place]) -> str:
        return "; ".join(f"{p.name} ({HOW[p.how]} {p.on:%Y-%m-%d})" for p in places)

    records = [
        {
            "ward_code": i.ward_code,
            "ward_name": i.ward_name,
            "category": i.category,
            "category_label": i.label,
            "first_asked": i.first_asked.isoformat() if i.first_asked else None,
            "stated_needs": i.total_asked,
            "stated_needs_by_period": "; ".join(f"{a.period}: {a.count:g}" for a in i.asked),
            "what_was_done": " | ".join(f"{r.done_on:%Y-%m-%d}: {r.summary}" for r in i.responses),
            "places_new_since": listed(i.places),
            "places_new_count": len(i.places),
            "newly_recorded_on_map": listed(i.recorded),
            "newly_recorded_count": len(i.recorded),
            "need_when_asked": fig(i.before, "need_count"),
            "need_now": fig(i.now, "need_count"),
            "places_within_reach_when_asked": fig(i.before, "assets_within"),
            "places_within_reach_now": fig(i.now, "assets_within"),
            "access_share_when_asked": fig(i.before, "access_share"),
            "access_share_now": fig(i.now, "access_share"),
            "unmet_need_per_1000_when_asked": fig(i.before, "gap_score"),
            "unmet_need_per_1000_now": fig(i.now, "gap_score"),
            "when_asked_date": i.before.as_of.isoformat() if i.before else None,
            "now_date": i.now.as_of.isoformat() if i.now else None,
        }
        for i in found
    ]
    return pd.DataFrame.from_records(
        records,
        columns=[
            "ward_code",
            "ward_name",
            "category",
            "category_label",
            "first_asked",
            "stated_needs",
            "stated_needs_by_period",
            "what_was_done",
            "places_new_since",
            "places_new_count",
            "newly_recorded_on_map",
            "newly_recorded_count",
            "need_when_asked",
            "need_now",
            "places_within_reach_when_asked",
            "places_within_reach_now",
            "access_share_when_asked",
            "access_share_now",
            "unmet_need_per_1000_when_asked",
            "unmet_need_per_1000_now",
            "when_asked_date",
            "now_date",
        ],
    )
