"""Public pages: the home map with its list, and "About the data"."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import false, select

from webmap.core import store
from webmap.core.db import db
from webmap.core.models import ASSET_KINDS, DataSource
from webmap.core.wording import source_date_text
from webmap.maps import add_asset_layers, add_wards_layer, new_map, render_parts, simplify_for_display
from webmap.maps.search import add_search_circle
from webmap.places import one_row_per_place
from webmap.places.bilingual import (
    KIND_NAMES,
    KIND_WORDS,
    category_labels,
    map_words,
    places_in_reader_language,
    ward_choices,
    ward_rows_in_reader_language,
    wards_in_reader_language,
)
from webmap.places.search import filter_assets, parse_map_search
from webmap.places.search.request import RADIUS_CHOICES
from webmap.scale import pages as scale_pages
from webmap.scale.layers import ViewportLayers
from webmap.web.paging import page_number

bp = Blueprint("main", __name__, template_folder="templates")
# The words map scripts show, rendered into every page with a map (base.html, embed.html).
bp.add_app_template_global(map_words, "map_words")
bp.add_app_template_global(KIND_NAMES, "kind_names")
bp.add_app_template_global(source_date_text, "source_date_text")


def map_for(wards, assets, categories, search=None):
    """Build the home map: ward outlines and a layer of assets per category group; return parts and layers.

    The map opens on the view in the URL when there is one (a shared link shows what its sender
    saw), else on the search circle, the chosen ward, or the whole area.
    """
    bounds = wards.total_bounds if len(wards) else None
    if search is not None and search.ward:
        bounds = wards[wards["code"] == search.ward].total_bounds
    if search is not None and (search.view or search.near):
        bounds = None
    m = new_map(bounds, current_app.config["TILES_URL"], current_app.config["TILES_ATTRIBUTION"])
    add_wards_layer(m, simplify_for_display(wards_in_reader_language(wards)))
    labels = category_labels(categories)
    groups = {c.id: c.group or _("Other") for c in categories}
    # `assets` comes with its names in the reader's language (places_in_reader_language).
    layers = add_asset_layers(m, assets, labels, groups)
    if search is not None and search.near:
        lon, lat = search.near
        add_search_circle(m, lon, lat, search.radius_m, search.near_label)
        if not search.view:
            m.fit_bounds(circle_bounds(lon, lat, search.radius_m))
    if search is not None and search.view:
        lat, lon, zoom = search.view
        m.location = [lat, lon]
        m.options["zoom"] = zoom
    return render_parts(m), layers


def circle_bounds(lon: float, lat: float, radius_m: float) -> list[list[float]]:
    """Return [[south, west], [north, east]] around a circle, for fitting the map to a search."""
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    return [[lat - dlat, lon - dlon], [lat + dlat, lon + dlon]]


def searched_places(search, wards, labels):
    """Return the approved places that match the search, with ward and category names added."""
    assets = store.assets_frame(category=search.category)
    ward_names = dict(zip(wards["code"], wards["name"]))
    assets["ward_name"] = assets["ward_code"].map(ward_names)
    # A place kept outside the area has no ward: None, which the list says in words (never NaN, shown as "nan").
    assets["ward_name"] = assets["ward_name"].astype(object).where(assets["ward_name"].notna(), None)
    assets["category_labels"] = (
        assets["categories"].fillna("").map(lambda ids: ", ".join(labels.get(c, c) for c in ids.split(";") if c))
    )
    found = filter_assets(assets, search.words, search.kind, search.ward, search.near, search.radius_m)
    # A site listed many times (each building, or by two sources) is one place on the map and in the list.
    places = one_row_per_place(found)
    return places.sort_values(["distance_m", "name"]) if search.near else places


@bp.get("/")
def index():
    """Show the map of wards and approved places, searched and filtered from the URL, with the same places as a list."""
    categories = store.categories()
    labels = {c.id: c.label for c in categories}  # English: what keyword searches match
    search = parse_map_search(request.args, labels)
    fictional = db.session.scalar(select(DataSource).where(DataSource.licence == "fictional"))
    if scale_pages.by_view():
        return _index_by_view(categories, labels, search, fictional)
    wards = store.wards_frame()
    assets = places_in_reader_language(searched_places(search, wards, labels))
    parts, layers = map_for(wards, assets, categories, search)
    shown = category_labels(categories)

    size = int(current_app.config["PAGE_SIZE"])
    pages = max(1, math.ceil(len(assets) / size))
    page = min(page_number(), pages)
    ordered = assets if search.near else assets.sort_values(["name", "asset_id"])
    listed = ordered.iloc[(page - 1) * size : page * size]
    counts = assets.groupby("ward_code").size()
    ward_rows = [
        (row.code, row.name, int(counts.get(row.code, 0)))
        for row in wards_in_reader_language(wards).sort_values("name").itertuples()
    ]
    return _render_home(
        search,
        map=parts,
        assets=listed,
        total=len(assets),
        page=page,
        pages=pages,
        labels=shown,
        category=search.category,
        categories=categories,
        ward_rows=ward_rows,
        fictional=fictional,
        layers=layers,
        search_summary=describe(search, shown, wards),
        search_errors=[(None if f == "view" else f, m) for f, m in search.errors.items()],
        outside_count=int(assets["ward_code"].isna().sum()),
    ), 400 if search.bad_url else 200


def _render_home(search, **parts):
    """Render the home page with the search form's choices, which every form of the page shares."""
    return render_template(
        "index.html",
        search=search,
        kinds=ASSET_KINDS,
        ward_choices=ward_choices(store.ward_names()),
        postcodes_loaded=store.postcodes_loaded(),
        radius_choices=RADIUS_CHOICES,
        **parts,
    )


def describe(search, labels: dict[str, str], wards) -> str:
    """Say in words what the search asked for, e.g. "matching 'youth', within 1,000 m of OL1 1AA"."""
    parts = []
    if search.words:
        parts.append(_("matching '%(words)s'", words=search.words))
    if search.category:
        parts.append(_("in %(category)s", category=labels[search.category]))
    if search.kind:
        parts.append(_("of kind %(kind)s", kind=KIND_WORDS.get(search.kind, search.kind)))
    if search.ward:
        names = dict(zip(wards["code"], wards_in_reader_language(wards)["name"]))
        parts.append(_("in %(ward)s ward", ward=names.get(search.ward, search.ward)))
    if search.near:
        parts.append(
            _(
                "within %(distance)s m of %(place)s, nearest first",
                distance=format_decimal(round(search.radius_m)),
                place=search.near_label,
            )
        )
    return _("Places %(conditions)s.", conditions=", ".join(parts)) if parts else ""


def _index_by_view(categories, labels, search, fictional):
    """The home page for a big area: the map loads pieces by view, the list and ward table page.

    A search beyond one category (keywords, near a place, a kind, a ward) is answered from the
    database by webmap.places.search.in_database and shown like a small area's: the places found on the map
    and in the list, with the ward outlines loading by view.
    """
    if search.words or search.near or search.kind or search.ward:
        return _search_by_view(categories, labels, search, fictional)
    category = search.category
    m = browse_by_view(category)
    size = int(current_app.config["PAGE_SIZE"])
    listed, total = scale_pages.asset_page(category, page_number(), size)
    pages = max(1, math.ceil(total / size))
    page = min(page_number(), pages)
    if page != page_number():
        listed, total = scale_pages.asset_page(category, page, size)
    ward_page = min(page_number("wards_page"), max(1, math.ceil(scale_pages.area_size.ward_count() / size)))
    ward_rows, ward_total = scale_pages.ward_page(category, ward_page, size)
    return _render_home(
        search,
        map=render_parts(m),
        assets=places_in_reader_language(listed),
        total=total,
        page=page,
        pages=pages,
        labels=category_labels(categories),
        category=category,
        categories=categories,
        ward_rows=ward_rows_in_reader_language(ward_rows),
        fictional=fictional,
        layers=[],
        by_view=True,
        ward_page=ward_page,
        ward_pages=max(1, math.ceil(ward_total / size)),
        ward_total=ward_total,
        search_summary="",
        search_errors=[],
        outside_count=0,
    )


@bp.get("/about")
def about():
    """Explain where the data comes from, with every attribution its licence asks for."""
    from webmap.web.headers import parse_origins

    sources = db.session.scalars(select(DataSource).order_by(DataSource.name)).all()
    # The licences the open data is under are those recorded with its datasets, nothing assumed.
    licences = list(dict.fromkeys(s.licence for s in sources if s.licence and s.licence != "fictional"))
    share_alike = any("odbl" in lic.lower() or "open database" in lic.lower() for lic in licences)
    return render_template(
        "about.html",
        sources=sources,
        licences=licences,
        share_alike=share_alike,
        embed_origins=parse_origins(current_app.config.get("EMBED_ORIGINS")),
    )


def search_by_view(categories, labels, search):
    """Answer a big area's map search: (the map, its layers, the places found, errors), outlines loading by view.

    The home page and the embedded map both answer a search beyond one category this way.
    """
    from webmap.maps import add_asset_layers
    from webmap.places.search.in_database import TooMany
    from webmap.places.search.in_database import searched_places as search_big_area

    errors = dict(search.errors)
    try:
        assets = places_in_reader_language(search_big_area(search, labels))
    except TooMany as exc:
        errors["q"] = str(exc)
        assets = store.assets_frame(where=[false()]).assign(ward_name=None, distance_m=None)
    bounds = assets.total_bounds if len(assets) else scale_pages.extent()
    if search.ward and not len(assets):
        bounds = scale_pages.ward_frame(search.ward).total_bounds
    m = new_map(
        None if (search.view or search.near) else bounds,
        current_app.config["TILES_URL"],
        current_app.config["TILES_ATTRIBUTION"],
    )
    ViewportLayers(places=False).add_to(m)
    shown = category_labels(categories)
    layers = add_asset_layers(m, assets, shown, {c.id: c.group or _("Other") for c in categories})
    if search.near:
        lon, lat = search.near
        add_search_circle(m, lon, lat, search.radius_m, search.near_label)
        if not search.view:
            m.fit_bounds(circle_bounds(lon, lat, search.radius_m))
    if search.view:
        m.location, m.options["zoom"] = [search.view[0], search.view[1]], search.view[2]
    return m, layers, assets, errors


def browse_by_view(category: str | None):
    """Return a big area's map before any search: outlines and places (of one category) load by view."""
    m = new_map(scale_pages.extent(), current_app.config["TILES_URL"], current_app.config["TILES_ATTRIBUTION"])
    ViewportLayers(category=category).add_to(m)
    return m


def found_wards(assets) -> list[tuple[str, str]]:
    """Return (name, code) of the wards the found places are in, by name."""
    return sorted(
        (name, code)
        for code, name in zip(assets["ward_code"], assets["ward_name"])
        if isinstance(code, str) and isinstance(name, str)
    )


def _search_by_view(categories, labels, search, fictional):
    """A big area's home page answering a search: the places found, outlines by view, the same list."""
    m, layers, assets, errors = search_by_view(categories, labels, search)
    shown = category_labels(categories)
    size = int(current_app.config["PAGE_SIZE"])
    pages = max(1, math.ceil(len(assets) / size))
    page = min(page_number(), pages)
    ordered = assets if search.near else assets.sort_values(["name", "asset_id"])
    counts = assets.groupby("ward_code").size() if len(assets) else {}
    found = found_wards(assets)
    ward_rows = [(code, name, int(counts.get(code, 0))) for name, code in dict.fromkeys(found)]
    names = {code: name for name, code in found}
    return _render_home(
        search,
        map=render_parts(m),
        assets=ordered.iloc[(page - 1) * size : page * size],
        total=len(assets),
        page=page,
        pages=pages,
        labels=shown,
        category=search.category,
        categories=categories,
        ward_rows=ward_rows,
        fictional=fictional,
        layers=layers,
        search_summary=describe(search, shown, ward_names_frame(search, names)),
        search_errors=[(None if f == "view" else f, m) for f, m in errors.items()],
        outside_count=int(assets["ward_code"].isna().sum()) if len(assets) else 0,
    ), 400 if search.bad_url else 200


def ward_names_frame(search, names: dict[str, str]):
    """The wards describe() may name: those found, and the one searched for."""
    import pandas as pd

    if search.ward and search.ward not in names:
        found = scale_pages.ward_frame(search.ward)
        names.update(zip(found["code"], found["name"]))
    return pd.DataFrame({"code": list(names), "name": list(names.values())})
