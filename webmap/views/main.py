"""Public pages: the home map with its list, and "About the data"."""
from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from .. import store
from ..db import db
from ..maps import add_asset_layers, add_wards_layer, new_map, render_parts, simplify_for_display
from ..models import DataSource
from ..scale import pages as scale_pages
from ..scale.layers import ViewportLayers

bp = Blueprint("main", __name__)


def page_number(name: str = "page") -> int:
    """Return the ?page= number (1 when missing or not a positive whole number)."""
    value = request.args.get(name, "1")
    # isdecimal, not isdigit: "²" is a digit to Python but int() cannot read it.
    return int(value) if value.isdecimal() and int(value) > 0 else 1


def map_for(wards, assets, categories):
    """Build the home map: ward outlines and a layer of assets per category group; return parts and layers."""
    bounds = wards.total_bounds if len(wards) else None
    m = new_map(bounds, current_app.config["TILES_URL"], current_app.config["TILES_ATTRIBUTION"])
    add_wards_layer(m, simplify_for_display(wards))
    labels = {c.id: c.label for c in categories}
    groups = {c.id: c.group or "Other" for c in categories}
    layers = add_asset_layers(m, assets, labels, groups)
    return render_parts(m), layers


@bp.get("/")
def index():
    """Show the map of wards and approved assets, with the same places as a list."""
    categories = store.categories()
    labels = {c.id: c.label for c in categories}
    category = request.args.get("category") or None
    if category and category not in labels:
        abort(400, f"'{category}' is not a category on this map.")
    fictional = db.session.scalar(select(DataSource).where(DataSource.licence == "fictional"))
    if scale_pages.by_view():
        return _index_by_view(categories, labels, category, fictional)
    wards = store.wards_frame()
    assets = store.assets_frame(category=category)
    ward_names = dict(zip(wards["code"], wards["name"]))
    assets["ward_name"] = assets["ward_code"].map(ward_names)
    parts, layers = map_for(wards, assets, categories)

    size = int(current_app.config["PAGE_SIZE"])
    pages = max(1, math.ceil(len(assets) / size))
    page = min(page_number(), pages)
    listed = assets.sort_values(["name", "asset_id"]).iloc[(page - 1) * size: page * size]
    counts = assets.groupby("ward_code").size()
    ward_rows = [(row.code, row.name, int(counts.get(row.code, 0))) for row in wards.sort_values("name").itertuples()]
    return render_template("index.html", map=parts, assets=listed, total=len(assets), page=page, pages=pages,
                           labels=labels, category=category, categories=categories, ward_rows=ward_rows,
                           fictional=fictional, layers=layers, outside_count=int(assets["ward_code"].isna().sum()))


def _index_by_view(categories, labels, category, fictional):
    """The home page for a big area: the map loads pieces by view, the list and ward table page."""
    m = new_map(scale_pages.extent(), current_app.config["TILES_URL"], current_app.config["TILES_ATTRIBUTION"])
    ViewportLayers(category=category).add_to(m)
    size = int(current_app.config["PAGE_SIZE"])
    listed, total = scale_pages.asset_page(category, page_number(), size)
    pages = max(1, math.ceil(total / size))
    page = min(page_number(), pages)
    if page != page_number():
        listed, total = scale_pages.asset_page(category, page, size)
    ward_page = min(page_number("wards_page"), max(1, math.ceil(scale_pages.derived.ward_count() / size)))
    ward_rows, ward_total = scale_pages.ward_page(category, ward_page, size)
    return render_template("index.html", map=render_parts(m), assets=listed, total=total, page=page, pages=pages,
                           labels=labels, category=category, categories=categories, ward_rows=ward_rows,
                           fictional=fictional, layers=[], by_view=True, ward_page=ward_page,
                           ward_pages=max(1, math.ceil(ward_total / size)), ward_total=ward_total)


@bp.get("/about")
def about():
    """Explain where the data comes from, with every attribution its licence asks for."""
    sources = db.session.scalars(select(DataSource).order_by(DataSource.name)).all()
    return render_template("about.html", sources=sources)
