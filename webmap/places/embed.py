"""GET /embed: the home map's places and list, with filters from the URL, framable by the council's sites."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, make_response, render_template, request

from webmap.core import store
from webmap.maps import render_parts
from webmap.places import home
from webmap.places.bilingual import category_labels, places_in_reader_language
from webmap.places.home import describe, map_for, searched_places
from webmap.places.search import parse_map_search
from webmap.scale import pages as scale_pages
from webmap.web.headers import allow_framing_by, parse_origins

bp = Blueprint("embed", __name__)


@bp.record_once
def _check_setting(state) -> None:
    # A wrong EMBED_ORIGINS stops the app at start-up with the reason, rather than silently framing nothing.
    parse_origins(state.app.config.get("EMBED_ORIGINS"))


@bp.get("/embed")
def embed():
    """Show the map and list of places for another site to frame (filters as on the home map's URL)."""
    categories = store.categories()
    labels = {c.id: c.label for c in categories}
    search = parse_map_search(request.args, labels)
    shown = category_labels(categories)
    size = int(current_app.config["PAGE_SIZE"])
    errors = search.errors
    if scale_pages.by_view():
        # A big area, as its home page: pieces load by view, never every place into the page.
        if search.words or search.near or search.kind or search.ward:
            m, _layers, assets, errors = home.search_by_view(categories, labels, search)
            summary = describe(
                search, shown, home.ward_names_frame(search, {code: name for name, code in home.found_wards(assets)})
            )
            listed, total = (
                (assets if search.near else assets.sort_values(["name", "asset_id"])).iloc[:size],
                len(assets),
            )
        else:
            m, summary = home.browse_by_view(search.category), ""
            listed, total = scale_pages.asset_page(search.category, 1, size)
            listed = places_in_reader_language(listed)
        parts = render_parts(m)
    else:
        wards = store.wards_frame()
        assets = places_in_reader_language(searched_places(search, wards, labels))
        parts, _layers = map_for(wards, assets, categories, search)
        listed, total = (assets if search.near else assets.sort_values(["name", "asset_id"])).iloc[:size], len(assets)
        summary = describe(search, shown, wards)
    html = render_template(
        "embed/embed.html",
        map=parts,
        assets=listed,
        total=total,
        search=search,
        errors=errors,
        labels=shown,
        summary=summary,
        more=max(0, total - size),
        pages=math.ceil(total / size) if size else 1,
    )
    response = make_response(html, 400 if search.bad_url else 200)
    allow_framing_by(parse_origins(current_app.config.get("EMBED_ORIGINS")))
    return response
