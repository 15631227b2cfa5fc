"""Open Referral UK 3.0 read API: approved assets as services, locations and taxonomy terms.

Paths and parameters follow the ORUK profile's openapi.json. Parameters about ages, times
and days are accepted and checked, but do not filter: the map holds no such data.
"""

from __future__ import annotations

import math
import re

import geopandas as gpd
import shapely
from flask import Blueprint, abort, current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import or_, select

from webmap.core import store
from webmap.core.db import db
from webmap.core.geo import BNG, WGS84, normalise_postcode
from webmap.core.models import Asset, Category, asset_categories
from webmap.opendata import oruk

bp = Blueprint("oruk", __name__, url_prefix="/oruk")
MAX_PER_PAGE = 1000


@bp.after_request
def _open_to_all(response):
    # ORUK compliance: feeds are open to browser apps on any site.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _whole_number(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    # [0-9] rather than isdigit(): "²" is a digit to Python but not a number to int().
    if not re.fullmatch(r"[0-9]{1,12}", raw.strip()) or not low <= int(raw) <= high:
        abort(400, _("'%(name)s' must be a whole number from %(low)s to %(high)s.", name=name, low=low, high=high))
    return int(raw)


def _check_number(name: str) -> None:
    raw = request.args.get(name)
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            abort(400, _("'%(name)s' must be a number.", name=name))


def _paging() -> tuple[int, int]:
    per_page = _whole_number("per_page", int(current_app.config["PAGE_SIZE"]), 1, MAX_PER_PAGE)
    return _whole_number("page", 1, 1, 10**9), per_page


def _filtered_assets() -> list[tuple[int, float, float]]:
    """Return (id, lon, lat) of approved assets matching search, taxonomy_term_id and taxonomy_id, in id order."""
    for name in ("minimum_age", "maximum_age"):
        _check_number(name)
    query = select(Asset.id, Asset.lon, Asset.lat).where(Asset.status == "approved").order_by(Asset.id)
    search = (request.args.get("search") or "").strip()
    if any(ord(ch) < 32 for ch in search):
        abort(400, _("'search' must be plain text."))
    if search:
        pattern = f"%{search}%"
        query = query.where(or_(Asset.name.ilike(pattern), Asset.description.ilike(pattern)))
    taxonomy_id = request.args.get("taxonomy_id")
    if taxonomy_id and oruk.as_uuid(taxonomy_id) != oruk.TAXONOMY_ID:
        return []
    term = request.args.get("taxonomy_term_id")
    if term:
        ids = {oruk.term_id(c): c for c in db.session.scalars(select(Category.id))}
        category = ids.get(oruk.as_uuid(term) or "")
        if category is None:
            return []
        query = query.join(asset_categories, asset_categories.c.asset_id == Asset.id).where(
            asset_categories.c.category_id == category
        )
    return [tuple(row) for row in db.session.execute(query)]


def _page_of(items: list, build) -> dict:
    number, per_page = _paging()
    chunk = items[(number - 1) * per_page : number * per_page]
    return oruk.page([build(i) for i in chunk], len(items), number, per_page)


def _asset_page(rows: list[tuple[int, float, float]], build) -> dict:
    """Return one page of assets, loading only that page's rows in full."""
    number, per_page = _paging()
    ids = [r[0] for r in rows[(number - 1) * per_page : number * per_page]]
    loaded = {a.id: a for a in db.session.scalars(select(Asset).where(Asset.id.in_(ids)))} if ids else {}
    return oruk.page([build(loaded[i]) for i in ids], len(rows), number, per_page)


def _asset_by_service_id(value: str) -> Asset:
    wanted = oruk.as_uuid(value)
    if wanted:
        rows = db.session.execute(select(Asset.id, Asset.source, Asset.source_id).where(Asset.status == "approved"))
        for asset_id, source, source_id in rows:
            if oruk.service_id_for(asset_id, source, source_id) == wanted:
                return db.session.get(Asset, asset_id)
    abort(404)


@bp.get("/")
def api_info():
    """Say which HSDS version and profile this API follows."""
    return jsonify({"version": oruk.HSDS_VERSION, "profile": oruk.PROFILE_URL, "openapi_url": oruk.OPENAPI_URL})


@bp.get("/services")
def services():
    """List services (one-to-one fields and organization), a page at a time."""
    return jsonify(_asset_page(_filtered_assets(), oruk.service_summary))


@bp.get("/services/<id>")
def service(id: str):
    """Return one fully nested service."""
    return jsonify(oruk.service_full(_asset_by_service_id(id)))


def _near_postcode(assets: list[tuple[int, float, float]]) -> list[tuple[int, float, float]]:
    """Keep assets within `proximity` metres of the postcode's centroid, nearest first."""
    raw_postcode, raw_proximity = request.args.get("postcode"), request.args.get("proximity")
    if not raw_postcode:
        if raw_proximity:
            abort(400, _("'proximity' needs a 'postcode' to measure from."))
        return assets
    postcode = normalise_postcode(raw_postcode)
    if postcode is None:
        abort(400, _("'%(value)s' is not a UK postcode.", value=raw_postcode))
    place = store.lookup_postcode(postcode)
    if place is None:
        abort(400, _("We do not know the postcode %(postcode)s.", postcode=postcode))
    limit = None
    if raw_proximity:
        try:
            limit = float(raw_proximity)
        except ValueError:
            limit = math.nan
        if not math.isfinite(limit) or limit <= 0:
            abort(400, _("'proximity' must be a distance in metres greater than 0."))
    if not assets:
        return assets
    # Metres in the British National Grid: ORUK postcodes are UK postcodes.
    points = gpd.GeoSeries(shapely.points([a[1] for a in assets], [a[2] for a in assets]), crs=WGS84).to_crs(BNG)
    origin = gpd.GeoSeries([shapely.Point(place.lon, place.lat)], crs=WGS84).to_crs(BNG).iloc[0]
    distances = points.distance(origin).to_numpy()
    order = sorted(range(len(assets)), key=lambda i: (distances[i], assets[i][0]))
    return [assets[i] for i in order if limit is None or distances[i] <= limit]


@bp.get("/service_at_locations")
def service_at_locations():
    """List services at their locations; postcode and proximity (metres) find those nearby."""
    assets = _near_postcode(_filtered_assets())
    return jsonify(_asset_page(assets, lambda a: oruk.service_at_location(a, full=False)))


@bp.get("/service_at_locations/<id>")
def service_at_location(id: str):
    """Return one service at its location, fully nested."""
    wanted = oruk.as_uuid(id)
    if wanted:
        rows = db.session.execute(select(Asset.id, Asset.source, Asset.source_id).where(Asset.status == "approved"))
        for asset_id, source, source_id in rows:
            if oruk.derived_id("service_at_location", oruk.service_id_for(asset_id, source, source_id)) == wanted:
                return jsonify(oruk.service_at_location(db.session.get(Asset, asset_id), full=True))
    abort(404)


@bp.get("/taxonomies")
def taxonomies():
    """List the taxonomies (one: the map's categories)."""
    return jsonify(_page_of([oruk.taxonomy(), oruk.exchange_taxonomy()], lambda t: t))


@bp.get("/taxonomies/<id>")
def taxonomy(id: str):
    """Return the map's taxonomy with its terms."""
    if oruk.as_uuid(id) == oruk.EXCHANGE_TAXONOMY_ID:
        from webmap.groups.vocabulary import load_vocabulary

        return jsonify(
            {**oruk.exchange_taxonomy(), "taxonomy_terms": [oruk.exchange_term(i) for i in load_vocabulary()]}
        )
    if oruk.as_uuid(id) != oruk.TAXONOMY_ID:
        abort(404)
    return jsonify({**oruk.taxonomy(), "taxonomy_terms": [oruk.taxonomy_term(c) for c in store.categories()]})


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    """List the categories as taxonomy terms."""
    return jsonify(_page_of(store.categories(), oruk.taxonomy_term))


@bp.get("/taxonomy_terms/<id>")
def taxonomy_term(id: str):
    """Return one category as a taxonomy term."""
    wanted = oruk.as_uuid(id)
    for category in store.categories():
        if oruk.term_id(category.id) == wanted:
            return jsonify(oruk.taxonomy_term(category))
    from webmap.groups.vocabulary import load_vocabulary

    for item in load_vocabulary():
        if oruk.exchange_term(item)["id"] == wanted:
            return jsonify(oruk.exchange_term(item))
    abort(404)
