"""Build "You said, we did": what residents asked for, what was done, places opened since, and how the gap moved."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

import geopandas as gpd
import pandas as pd
from flask import current_app
from sqlalchemy import func, select

from webmap.core import store
from webmap.core.db import db
from webmap.core.models import Need, Response, SurveyRound, Ward, utcnow
from webmap.feedback.nearby_changes import places_within
from webmap.gaps import history as snapshots
from webmap.gaps import store as gapstore

# Items (a ward and a kind of place) on a page of the area's "you said, we did".
PER_PAGE = 20


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
        """The latest day residents asked or something was done (the order of the pages: see _order)."""
        dates = [a.on for a in self.asked] + [r.done_on for r in self.responses]
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


@dataclass
class Listing:
    """One page of the area's items, newest first, and how many pages there are."""

    items: list[Item]
    page: int
    pages: int
    total: int
    per_page: int


def _order(ward_code: str | None = None) -> list[tuple[str, str]]:
    """Return every (ward, category) with a stated need or a published response, newest activity first.

    Newest: the latest day residents asked or something was done, then the response recorded
    last; ties by ward and kind. Read as sums per ward and kind, so a page reads only its items.
    """
    asked = select(Need.ward_code, Need.category_id, func.max(Need.asked_on)).group_by(Need.ward_code, Need.category_id)
    done = (
        select(Response.ward_code, Response.category_id, func.max(Response.done_on), func.max(Response.created_at))
        .where(Response.status == "published")
        .group_by(Response.ward_code, Response.category_id)
    )
    if ward_code is not None:
        asked, done = asked.where(Need.ward_code == ward_code), done.where(Response.ward_code == ward_code)
    latest: dict[tuple[str, str], tuple[date, datetime]] = {}
    for ward, category, on in db.session.execute(asked).all():
        latest[(ward, category)] = (on, datetime.min)
    for ward, category, on, created in db.session.execute(done).all():
        before = latest.get((ward, category), (date.min, datetime.min))
        latest[(ward, category)] = (max(before[0], on), created or datetime.min)
    names = dict(db.session.execute(select(Ward.code, Ward.name).where(Ward.code.in_({w for w, _ in latest}))).all())
    labels = store.category_labels()
    pairs = sorted((k for k in latest if k[0] in names), key=lambda k: (names[k[0]], labels.get(k[1], k[1])))
    return sorted(pairs, key=lambda k: latest[k], reverse=True)


def page(number: int, per_page: int = PER_PAGE) -> Listing | None:
    """Return one page of the area's items (None past the last page; page 1 always exists)."""
    pairs = _order()
    pages = max(1, -(-len(pairs) // per_page))
    if number > pages:
        return None
    shown = pairs[(number - 1) * per_page : number * per_page]
    return Listing(_items(shown, figures=True, whole=False), number, pages, len(pairs), per_page)


def items(ward_code: str | None = None, figures: bool = True) -> list[Item]:
    """Return the "You said, we did" items for one ward (or every ward: the exports), newest activity first.

    `figures=False` leaves out the gap when residents asked and now (the ward profile lists only places).
    """
    return _items(_order(ward_code), figures, whole=ward_code is None)


def _items(pairs: list[tuple[str, str]], figures: bool, whole: bool) -> list[Item]:
    """Return the items of these (ward, category) pairs, in their order, reading only their wards' rows.

    The places within reach are read in a box around each ward (grown by the distance); `whole`
    (every ward of the area) reads them all at once instead.
    """
    if not pairs:
        return []
    codes = sorted({w for w, _ in pairs})
    wards = store.wards_frame(codes)
    names = dict(zip(wards["code"], wards["name"]))
    labels = store.category_labels()
    labels_cy = {c.id: c.label_cy for c in store.categories() if c.label_cy}
    names_cy = dict(
        db.session.execute(select(Ward.code, Ward.name_cy).where(Ward.name_cy.is_not(None), Ward.code.in_(codes))).all()
    )
    asked = _asked(codes)
    query = (
        select(Response)
        .where(Response.status == "published", Response.ward_code.in_(codes))
        .order_by(Response.done_on.desc(), Response.id.desc())
    )
    responses: dict[tuple[str, str], list[Response]] = defaultdict(list)
    for response in db.session.scalars(query):
        responses[(response.ward_code, response.category_id)].append(response)

    distance = float(current_app.config["ACCESS_DISTANCE_M"])
    everywhere = store.assets_frame(explode=True) if whole else None
    outlines = {code: wards[wards["code"] == code] for code in names}
    near: dict[str, tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]] = {}
    if everywhere is not None:
        near = _near_all(outlines, everywhere, distance)
    dates: dict[str, dict] = {}
    out = []
    for key in pairs:
        ward, category = key
        if ward not in names:
            continue
        if ward not in near:
            near[ward] = _near(outlines[ward], everywhere, distance)
        by_kind, dated = near[ward]
        if ward not in dates:
            dates[ward] = dated.to_dict("index")
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
        if category in by_kind:
            item.places, item.recorded = _places_since(ward, by_kind[category], dates[ward], item.asked_at)
        out.append(item)
    if figures:
        _add_figures(out, distance, whole)
    return out


def _near(
    outline: gpd.GeoDataFrame, everywhere: gpd.GeoDataFrame | None, distance: float
) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    """Return ({kind: places of that kind within reach of the ward}, their dates on the map by asset id).

    Only the places in a box around the ward (grown by the distance) can be within reach: they
    are read from the database (or cut from `everywhere`, every place, already read), measured
    once for every kind, and dated in one read.
    """
    box = store.box_around(outline.total_bounds, distance)
    if everywhere is None:
        assets = store.assets_frame(explode=True, bbox=box)
    else:
        minx, miny, maxx, maxy = box
        lon, lat = everywhere["lon"], everywhere["lat"]
        assets = everywhere[(lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)]
    assets = assets[assets["category"].notna()]
    if assets.empty:
        return {}, pd.DataFrame()
    within = assets[places_within(outline, assets, distance)]
    if within.empty:
        return {}, pd.DataFrame()
    # Dates only for the few places within reach, not for every place in the area.
    dated = store.on_map_since([int(i) for i in within["asset_id"].unique()]).set_index("asset_id")
    return {str(kind): group for kind, group in within.groupby("category")}, dated


def _near_all(
    outlines: dict[str, gpd.GeoDataFrame], everywhere: gpd.GeoDataFrame, distance: float
) -> dict[str, tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]]:
    """Return _near of every ward (the whole area's exports), dating the places within reach of any in one read."""
    found: dict[str, gpd.GeoDataFrame] = {}
    assets = everywhere[everywhere["category"].notna()]
    for code, outline in outlines.items():
        minx, miny, maxx, maxy = store.box_around(outline.total_bounds, distance)
        lon, lat = assets["lon"], assets["lat"]
        boxed = assets[(lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)]
        if not boxed.empty:
            found[code] = boxed[places_within(outline, boxed, distance)]
    ids = sorted({int(i) for within in found.values() for i in within["asset_id"].unique()})
    dated = store.on_map_since(ids).set_index("asset_id") if ids else pd.DataFrame()
    out: dict[str, tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]] = {}
    for code in outlines:
        within = found.get(code)
        if within is None or within.empty:
            out[code] = ({}, pd.DataFrame())
            continue
        own = dated[dated.index.isin([int(i) for i in within["asset_id"].unique()])]
        out[code] = ({str(kind): group for kind, group in within.groupby("category")}, own)
    return out


def _places_since(
    code: str, near: gpd.GeoDataFrame, dates: dict, asked_at: datetime
) -> tuple[list[Place], list[Place]]:
    """Return (places new since the ask, places only first recorded on the map since) of those within reach.

    New: a submission approved after the ask, or a place whose own record says it opened after
    the ask's day. Recorded: any other record first put on the map after the ask (an import of
    places that were there all along says nothing about when they opened).
    """
    new, recorded = [], []
    for row in near.drop_duplicates("asset_id").itertuples():
        if int(row.asset_id) not in dates:
            continue
        when = dates[int(row.asset_id)]
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


def _add_figures(found: list[Item], distance: float, whole: bool = False) -> None:
    """Give each item its figures when residents asked and now, both read from the one gap store.

    "When residents asked": the figures kept in the store's history at the first ask (the map as
    it stood then; a later import leaves them as they are). "Now": the ward's latest row.
    """
    if not found:
        return
    before = snapshots.asked_points({(i.ward_code, i.category): i.asked_at for i in found}, distance)
    by_ward: dict[str, set[str]] = defaultdict(set)
    for item in found:
        by_ward[item.ward_code].add(item.category)
    today = utcnow()
    now: dict[tuple[str, str], snapshots.Point] = {}
    if whole:
        # Every ward at once (the exports): one read of the store, not one per ward.
        every, _current = gapstore.wards_rows_for_page(
            sorted(by_ward), snapshots.ASKED_METHOD, distance, sorted(set().union(*by_ward.values()))
        )
        wanted = {(i.ward_code, i.category) for i in found}
        tables = (
            [every[[(w, c) in wanted for w, c in zip(every["ward_code"], every["category"])]]] if len(every) else []
        )
    else:
        tables = [
            gapstore.ward_rows_for_page(ward, snapshots.ASKED_METHOD, distance, sorted(categories))[0]
            for ward, categories in by_ward.items()
        ]
    for ward_rows in tables:
        for row in ward_rows.to_dict("records"):
            ward = str(row.get("ward_code"))
            fig = {k: snapshots._plain(v) for k, v in row.items()}
            now[(ward, str(fig.get("category")))] = snapshots.Point(
                today.date(),
                today,
                "now",
                None,
                distance,
                fig.get("need_count"),
                fig.get("access_share"),
                fig.get("assets_within_distance"),
                fig.get("gap_score"),
                fig,
            )
    for item in found:
        item.before = before.get((item.ward_code, item.category))
        item.now = now.get((item.ward_code, item.category))


HOW = {"approved": "approved", "opened": "opened", "recorded": "first recorded on the map"}


def rows(found: list[Item]) -> pd.DataFrame:
    """Return the items as a flat table for CSV and GeoJSON exports (public figures only)."""

    def fig(point, name):
        value = None if point is None else getattr(point, name)
        # Counts are kept as numbers that may be fractional (weighted needs): whole ones written as such.
        if name in ("need_count", "assets_within") and isinstance(value, float) and value.is_integer():
            return int(value)
        return value

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
