"""Find partners: places near a postcode, a map point or "my location"; and partners for an asset."""

from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from webmap.core import store
from webmap.core.db import db
from webmap.core.geo import bounding_box
from webmap.core.models import ASSET_KINDS, Asset
from webmap.groups.vocabulary import load_vocabulary
from webmap.maps import add_wards_layer, new_map, render_parts, simplify_for_display
from webmap.maps.search import add_result_markers, add_search_circle
from webmap.partners.complements import partner_categories
from webmap.partners.exchange import exchange_filters, suggest
from webmap.partners.nearby import find_nearby_counted
from webmap.partners.search_input import MAX_RADIUS_M, NearbySearch, parse_radius, parse_search, selected_categories
from webmap.scale import pages as scale_pages
from webmap.scale.layers import ViewportLayers
from webmap.web.language import pick
from webmap.web.paging import page_number

bp = Blueprint("partners", __name__, template_folder="templates")

ASSET_RADIUS_M = 2000
SNIPPET_LIMIT = 5
# The order fields appear in the form, so the error summary lists them in the same order.
FIELD_ORDER = ("postcode", "lat", "lon", "category", "match", "offers", "needs", "kind", "radius")
RADIUS_CHOICES = (500, 1000, 2000, 5000, 10_000)
# How each kind of place is named in lists and the kind filter (the ids stay in URLs and data).
KIND_LABELS = {"group": _l("Group"), "business": _l("Business"), "venue": _l("Venue"), "service": _l("Service")}


def category_labels() -> dict[str, str]:
    """Return {category id: label} in the reader's language (the Welsh label where there is one)."""
    return {c.id: str(pick(c.label, c.label_cy)) for c in store.categories()}


def kind_labels() -> dict[str, str]:
    """Return {kind: its name in the reader's language}."""
    return {k: str(v) for k, v in KIND_LABELS.items()}


def _searched(args: MultiDict) -> bool:
    return any(args.get(k) for k in ("postcode", "lat", "lon")) or "search" in args


def _results_page(search: NearbySearch, exclude_id: int | None = None, where: list | None = None):
    """Return (results on this page, total, page, pages) for a checked search."""
    size = int(current_app.config["PAGE_SIZE"])
    where = where or []
    results, total = find_nearby_counted(
        search.lon,
        search.lat,
        search.radius_m,
        limit=size,
        offset=(page_number() - 1) * size,
        exclude_id=exclude_id,
        where=where,
        **search.query_args(),
    )
    pages = max(1, math.ceil(total / size))
    page = min(page_number(), pages)
    if page != page_number():  # asked for a page past the end: show the last one
        results, total = find_nearby_counted(
            search.lon,
            search.lat,
            search.radius_m,
            limit=size,
            offset=(page - 1) * size,
            exclude_id=exclude_id,
            where=where,
            **search.query_args(),
        )
    return results, total, page, pages


def _exchange_choice(args: MultiDict, name: str, errors: dict[str, str]) -> list[str]:
    """Return the chosen "offers"/"needs" item as a list (empty for any), refusing unknown ids."""
    value = (args.get(name) or "").strip()
    if not value:
        return []
    if value not in {i.id for i in load_vocabulary()}:
        if name == "offers":
            errors[name] = _(
                "'%(value)s' is not one of the things groups can offer; choose one from the list", value=value
            )
        else:
            errors[name] = _(
                "'%(value)s' is not one of the things groups can need; choose one from the list", value=value
            )
        return []
    return [value]


def _map(search: NearbySearch | None, results, labels: dict[str, str], first_number: int = 1):
    """Build the map: the search circle and results, or the whole area before a search."""
    tiles, attribution = current_app.config["TILES_URL"], current_app.config["TILES_ATTRIBUTION"]
    if search is None and scale_pages.by_view():
        extent = scale_pages.extent()
        m = new_map(extent, tiles, attribution)
        ViewportLayers(places=False, extent=extent, fitted=True).add_to(m)
        return render_parts(m)
    if search is None:
        wards = store.wards_frame()
        m = new_map(wards.total_bounds if len(wards) else None, tiles, attribution)
        add_wards_layer(m, simplify_for_display(wards))
        return render_parts(m)
    m = new_map(None, tiles, attribution)
    minx, miny, maxx, maxy = bounding_box(search.lon, search.lat, search.radius_m)
    # Room above for a marker at the circle's top (its pin rises 41 px from the point) and clear of the
    # zoom buttons: a marker half cut off by the map's edge or under a button is too small to tap (WCAG 2.5.8).
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding_top_left=(44, 48), padding_bottom_right=(16, 16))
    add_search_circle(m, search.lon, search.lat, search.radius_m, search.place)
    # Named as the list names them: in Welsh where the place or ward has a Welsh name and the page is Welsh.
    add_result_markers(m, results, labels, first_number, name_of=lambda record: str(pick(record.name, record.name_cy)))
    return render_parts(m)


def _error_list(errors: dict[str, str]) -> list[tuple[str, str]]:
    """Return (anchor id, message) in form order; the category checkboxes link to the first box."""
    anchors = {"category": "category-0", "match": "match-any"}
    return [(anchors.get(f, f), errors[f]) for f in FIELD_ORDER if f in errors]


@bp.get("/partners")
def search():
    """Find approved places near a postcode or point, by category and kind, nearest first."""
    labels = category_labels()
    args = request.args
    wanted, errors, results, total, page, pages = None, {}, [], 0, 1, 1
    offers: list[str] = []
    needs: list[str] = []
    if _searched(args):
        wanted, errors = parse_search(args, labels=labels)
        offers, needs = _exchange_choice(args, "offers", errors), _exchange_choice(args, "needs", errors)
        if errors:
            wanted = None
    if wanted is not None:
        results, total, page, pages = _results_page(wanted, where=exchange_filters(offers, needs))
    size = int(current_app.config["PAGE_SIZE"])
    parts = _map(wanted, results, labels, first_number=(page - 1) * size + 1)
    paging = {
        k: v
        for k, v in {
            "postcode": args.get("postcode"),
            "lat": args.get("lat"),
            "lon": args.get("lon"),
            "category": selected_categories(args) or None,
            "match": args.get("match"),
            "kind": args.get("kind"),
            "radius": args.get("radius"),
            "offers": args.get("offers"),
            "needs": args.get("needs"),
        }.items()
        if v
    }
    html = render_template(
        "partners/search.html",
        map=parts,
        search=wanted,
        errors=errors,
        error_list=_error_list(errors),
        results=results,
        total=total,
        page=page,
        pages=pages,
        first_number=(page - 1) * size + 1,
        paging=paging,
        labels=labels,
        categories=store.categories(),
        kinds=ASSET_KINDS,
        args=args,
        chosen=set(selected_categories(args)),
        max_radius=MAX_RADIUS_M,
        vocabulary=load_vocabulary(),
        kind_labels=kind_labels(),
    )
    return html, 400 if errors else 200


def _approved_asset(asset_id: int) -> Asset:
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.status != "approved":
        abort(404)
    return asset


def _asset_search(asset: Asset, radius_m: float) -> NearbySearch:
    return NearbySearch(
        asset.lon,
        asset.lat,
        radius_m,
        partner_categories(asset.category_ids()),
        "any",
        None,
        str(pick(asset.name, asset.name_cy)),
    )


@bp.get("/assets/<int:asset_id>/partners")
def for_asset(asset_id: int):
    """List places near an asset whose categories match or complement its own."""
    asset = _approved_asset(asset_id)
    labels = category_labels()
    errors: dict[str, str] = {}
    radius = parse_radius(request.args, ASSET_RADIUS_M, errors)
    search = _asset_search(asset, radius if radius is not None else ASSET_RADIUS_M)
    suggestions = suggest(asset, search.radius_m)
    size = int(current_app.config["PAGE_SIZE"])
    total = len(suggestions)
    pages = max(1, math.ceil(total / size))
    page = min(page_number(), pages)
    shown = suggestions[(page - 1) * size : page * size]
    parts = _map(search, [(s.asset, s.distance_m) for s in shown], labels, first_number=(page - 1) * size + 1)
    html = render_template(
        "partners/for_asset.html",
        map=parts,
        asset=asset,
        search=search,
        errors=errors,
        error_list=_error_list(errors),
        results=shown,
        total=total,
        page=page,
        pages=pages,
        first_number=(page - 1) * size + 1,
        labels=labels,
        radius_choices=RADIUS_CHOICES,
        max_radius=MAX_RADIUS_M,
        kind_labels=kind_labels(),
    )
    return html, 400 if errors else 200


@bp.app_template_global()
def nearby_partners(asset_id: int, radius_m: float = ASSET_RADIUS_M, limit: int = SNIPPET_LIMIT) -> dict:
    """Return the nearest partners of an asset for templates/partners/_for_asset.html."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.status != "approved":
        return {"results": [], "total": 0, "radius_m": radius_m, "categories": [], "labels": {}, "url": None}
    search = _asset_search(asset, radius_m)
    suggestions = suggest(asset, radius_m)
    return {
        "results": suggestions[:limit],
        "total": len(suggestions),
        "radius_m": radius_m,
        "categories": search.categories,
        "labels": category_labels(),
        "url": url_for("partners.for_asset", asset_id=asset.id, radius=int(radius_m)),
    }
