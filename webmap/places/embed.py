"""GET /embed: the home map's places and list, with filters from the URL, framable by the council's sites."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, make_response, render_template, request

from webmap.core import store
from webmap.places.bilingual import category_labels, places_in_reader_language
from webmap.places.home import describe, map_for, searched_places
from webmap.places.search import parse_map_search
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
    wards = store.wards_frame()
    assets = places_in_reader_language(searched_places(search, wards, labels))
    parts, _layers = map_for(wards, assets, categories, search)
    shown = category_labels(categories)
    size = int(current_app.config["PAGE_SIZE"])
    listed = (assets if search.near else assets.sort_values(["name", "asset_id"])).iloc[:size]
    html = render_template(
        "embed/embed.html",
        map=parts,
        assets=listed,
        total=len(assets),
        search=search,
        labels=shown,
        summary=describe(search, shown, wards),
        more=max(0, len(assets) - size),
        pages=math.ceil(len(assets) / size) if size else 1,
    )
    response = make_response(html, 400 if search.bad_url else 200)
    allow_framing_by(parse_origins(current_app.config.get("EMBED_ORIGINS")))
    return response
