"""Gap pages: the choropleth with its ranked table, ward profiles, and exports of the table."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import pandas as pd
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from folium.plugins import MarkerCluster
from jinja2.utils import htmlsafe_json_dumps
from sqlalchemy import select

from webmap.analysis import classify
from webmap.analysis.gaps import NOTE_NO_NEED, NOTE_NO_POPULATION, NOTE_NOBODY_ASKED, NOTE_ZERO_POPULATION
from webmap.core import store
from webmap.core.db import db
from webmap.core.models import Asset, Ward
from webmap.gaps import changes
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore
from webmap.gaps.history import after_change
from webmap.maps import add_wards_layer, new_map, render_parts, simplify_for_display
from webmap.maps.choropleth import NO_DATA, LegendEntry, legend, palette
from webmap.maps.layers import cluster_icon_js
from webmap.maps.points import AssetPoints
from webmap.places import one_row_per_place
from webmap.scale import pages as scale_pages
from webmap.scale.layers import ViewportLayers
from webmap.web.language import language, pick
from webmap.web.paging import page_number

bp = Blueprint("gaps", __name__, template_folder="templates")
CLASSES = 5
GAP_HEADING = _l("Unmet need per 1,000 residents")
FEW_RESPONSES = gaps_service.FEW_RESPONSES
# Rows per page of the ranked table when the area is too big to list every ward at once.
TABLE_PAGE_SIZE = 100


# Formatting: every figure as plain text, and never "nan" (missing figures say why they are missing).
def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


# Figures keep the same digits in Welsh (cy_GB writes 1,234.5 as en_GB does); only the words change.
def fmt_population(value) -> str:
    return _("population unknown") if _missing(value) else f"{value:,.0f}"


def fmt_int(value) -> str:
    return _("unknown") if _missing(value) else f"{value:,.0f}"


def fmt_count(value) -> str:
    return _("unknown") if _missing(value) else (f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}")


def fmt_dec(value, places: int = 2) -> str:
    return _("unknown") if _missing(value) else f"{value:,.{places}f}"


def fmt_pct(value) -> str:
    return _("unknown") if _missing(value) else f"{value * 100:.0f}%"


def fmt_gap(value) -> str:
    return _("not computed") if _missing(value) else f"{value:,.2f}"


def fmt_weight(value) -> str:
    return _("unknown") if _missing(value) else f"{value * 100:.0f}%"


def fmt_rank(value) -> str:
    return "–" if _missing(value) else f"{int(value)}"


def columns_for(query: gaps_service.GapQuery, labels: dict[str, str]) -> list[tuple[str, str, object]]:
    """Return the table's (column, heading, formatter) for this query; the same figures feed the tooltip."""
    d = f"{query.distance:,.0f} m"
    # Rank, ward, the answer and what it rests on come first, so they stay in view on any screen.
    head = [
        ("rank", _("Rank"), fmt_rank),
        ("ward_name", _("Ward"), str),
        ("gap_score", str(GAP_HEADING), fmt_gap),
        ("responses", _("Responses"), fmt_count),
        ("need_count", _("Stated needs"), fmt_count),
    ]
    if query.overall:
        return head + [
            ("population", _("Population"), fmt_population),
            ("need_per_1000", _("Asked per 1,000 residents here"), fmt_dec),
            ("own_rate_weight", _("How much the ward's own answers count"), fmt_weight),
            ("need_per_1000_smoothed", _("Asked per 1,000, allowing for few answers"), fmt_dec),
            ("unmet_share", _("Share of asks out of reach"), fmt_pct),
            ("unmet_residents", _("Residents asking, out of reach"), fmt_dec),
            ("categories_considered", _("Kinds of need asked for"), fmt_int),
            (
                "top_category",
                _("Biggest gap in"),
                lambda v: _("not computed") if _missing(v) or not v else labels.get(v, v),
            ),
            ("top_category_gap", _("Its unmet need per 1,000"), fmt_gap),
        ]
    cols = head + [
        ("population", _("Population"), fmt_population),
        ("need_per_1000", _("Asked per 1,000 residents here"), fmt_dec),
        ("own_rate_weight", _("How much the ward's own answers count"), fmt_weight),
        ("need_per_1000_smoothed", _("Asked per 1,000, allowing for few answers"), fmt_dec),
        ("assets_in_ward", _("Places in ward"), fmt_int),
        ("assets_per_1000", _("Places per 1,000 residents"), fmt_dec),
        ("assets_within_distance", _("Places in or within %(distance)s", distance=d), fmt_int),
        ("access_share", _("Residents within %(distance)s of one", distance=d), fmt_pct),
    ]
    if query.method in ("2sfca", "e2sfca"):
        cols.append(("access_score", _("Access score (per 1,000 residents)"), lambda v: fmt_dec(v, 3)))
    cols += [
        ("unmet_share", _("Share who cannot reach one"), fmt_pct),
        ("unmet_residents", _("Residents asking, out of reach"), fmt_dec),
    ]
    return cols


# A short explanation under each heading whose words alone do not say what the figure is.
EXPLAINED = {
    "gap_score": _l(
        "Of every 1,000 residents, how many we expect to ask for this and be unable to reach one. "
        "Bigger means a bigger gap."
    ),
    "responses": _l(
        "How many residents' answers from the ward (web-form submissions, survey responses) the figure rests on. "
        "One answer may ask for several kinds of place: it is still one response."
    ),
    "need_count": _l(
        "How many needs those answers stated: an answer asking for three kinds of place states three needs. "
        "Rates are worked out from stated needs."
    ),
    "need_per_1000": _l("Times asked for every 1,000 residents of the ward, from its own answers only."),
    "own_rate_weight": _l(
        "A ward with few answers says little on its own, so its figure leans on the whole area's "
        "rate. 100% means only the ward's own answers are used; 0% only the area's."
    ),
    "need_per_1000_smoothed": _l(
        "The ward's own rate and the area's rate, blended by the share before: the figure "
        "the unmet need is worked out from."
    ),
    "access_score": _l("Places per 1,000 residents who can reach them, sharing each place among everyone near it."),
    "unmet_share": _l("The share of residents living too far from any place of this kind."),
    "unmet_residents": _l("Residents we expect to ask for it who live too far from one."),
    "categories_considered": _l("How many kinds of place residents of the ward asked for."),
}
# The analysis package writes a row's note in English (it knows no languages): shown in the reader's.
NOTES = {
    NOTE_NO_POPULATION: _l("population unknown: per-1,000 figures and gap cannot be computed"),
    NOTE_ZERO_POPULATION: _l("population is 0: per-1,000 figures and gap cannot be computed"),
    NOTE_NO_NEED: _l("nobody asked here: the figure rests on the area rate alone"),
    NOTE_NOBODY_ASKED: _l("nobody in the area asked for this: gap is 0"),
}


@bp.app_template_global("gap_note")
def note_text(note) -> str:
    """Return a gap row's note in the reader's language ('' for none)."""
    if _missing(note) or not note:
        return ""
    return str(NOTES.get(note, note))


def shown_labels() -> dict[str, str]:
    """Return {category id: label} in the reader's language (the Welsh label where there is one)."""
    return {c.id: str(pick(c.label, c.label_cy)) for c in store.categories()}


def welsh_ward_names(codes=None) -> dict[str, str]:
    """Return {ward code: Welsh name} for a Welsh reader (the wards that have one), else {}."""
    if language() != "cy":
        return {}
    query = select(Ward.code, Ward.name_cy).where(Ward.name_cy.is_not(None), Ward.name_cy != "")
    if codes is not None:
        codes = list(codes)
        if not codes:
            return {}
        query = query.where(Ward.code.in_(codes))
    return dict(db.session.execute(query).all())


def welsh_place_names(ids) -> dict[int, str]:
    """Return {asset id: Welsh name} for a Welsh reader (the places that have one), else {}."""
    ids = [int(i) for i in ids]
    if language() != "cy" or not ids:
        return {}
    return dict(
        db.session.execute(
            select(Asset.id, Asset.name_cy).where(Asset.id.in_(ids), Asset.name_cy.is_not(None), Asset.name_cy != "")
        ).all()
    )


def explanations(columns: list[tuple[str, str, object]]) -> list[tuple[str, str]]:
    """Return (heading, explanation) for the shown columns that need one, in table order."""
    return [(heading, str(EXPLAINED[col])) for col, heading, _fmt in columns if col in EXPLAINED]


def _query() -> gaps_service.GapQuery:
    try:
        return gaps_service.check_query(
            request.args.get("category"),
            request.args.get("method"),
            request.args.get("distance"),
            current_app.config["ACCESS_DISTANCE_M"],
            request.args.get("deprivation"),
        )
    except ValueError as exc:
        abort(400, str(exc))


def _sorted(table: pd.DataFrame, sort: str, direction: str) -> pd.DataFrame:
    """Sort by a known column (missing figures last), then by ward name."""
    ascending = direction != "desc"
    if sort == "ward_name":
        return table.sort_values("ward_name", ascending=ascending, key=lambda s: s.str.lower(), kind="stable")
    values = pd.to_numeric(table[sort], errors="coerce") if sort != "top_category" else table[sort].fillna("")
    order = table.assign(_key=values).sort_values(
        ["_key", "ward_name"], ascending=[ascending, True], na_position="last", kind="stable"
    )
    return order.drop(columns="_key")


@bp.get("/gaps")
def index():
    """Show wards shaded by gap score, with the same figures in a sortable ranked table."""
    query = _query()
    labels = shown_labels()
    sort = request.args.get("sort", "rank")
    direction = "desc" if request.args.get("dir") == "desc" else "asc"
    args = {"category": query.category, "method": query.method, "distance": f"{query.distance:g}"}
    if query.deprivation_weight:
        args["deprivation"] = "1"
    what = _("all needs") if query.overall else labels[query.category]
    context = dict(
        query=query,
        what=what,
        labels=labels,
        categories=store.categories(),
        methods=gaps_service.METHOD_LABELS,
        method_help=gaps_service.METHOD_HELP,
        args=args,
        sort=sort,
        direction=direction,
        few_responses=FEW_RESPONSES,
        deciles_loaded=False,
        deprivation_applied=False,
    )
    try:
        return _index_from_store(query, labels, args, context)
    except gaps_service.NoWards as exc:
        return render_template("gaps/index.html", table=None, message=str(exc), **context)


def edge_format(bins, values):
    """Return a formatter with just enough decimals (2 to 6) that no two class edges read the same."""
    edges = [float(values.min())] + [float(b) for b in bins] if values.notna().any() else []
    for places in range(2, 7):
        if len({f"{e:,.{places}f}" for e in edges}) == len(set(edges)):
            break
    return lambda v: _("not computed") if _missing(v) else f"{v:,.{places}f}"


def legend_caption(entries) -> str:
    """Say what the shading means, how many classes there are, and when ties make them unequal."""
    counts = [e.wards for e in entries if e.colour != NO_DATA]
    if not counts:
        return _("Unmet need per 1,000 residents (0 = nobody asking is out of reach): no ward has a figure to shade.")
    if len(counts) == 1:
        return _(
            "Unmet need per 1,000 residents (0 = nobody asking is out of reach): every ward with a figure has "
            "the same value, so there is one class."
        )
    text = _(
        "Unmet need per 1,000 residents (0 = nobody asking is out of reach), in %(classes)d classes by quantiles.",
        classes=len(counts),
    )
    if max(counts) - min(counts) > 1:
        text += " " + _(
            "Many wards share the same figure, so the classes cannot be of equal size;"
            " each row says how many wards it holds."
        )
    return text


TOOLTIP_COLUMNS = ("rank", "gap_score", "responses", "need_count", "population")
# A big area's figures are worked out in the background after the data changes (webmap/scale/refresh.py).
WORKING = _l(
    "These figures are being worked out for the whole area now, which takes a minute or two. "
    "Reload this page shortly to see them."
)
BEHIND = _l(
    "The data has changed since these figures were worked out; new figures are being worked out now "
    "and will show when you reload in a minute or two."
)


@dataclass(frozen=True)
class Shading:
    """How the map shades a gap table: its legend rows, and each ward's fill colour and tooltip lines.

    The wards' lines are kept as the JSON the page carries ({ward code: [colour, line, ...]}, safe in HTML):
    a quarter of the memory of the lists, and not encoded again on each request.
    """

    legend: list[LegendEntry]
    fills_json: str


# The shading depends only on the table's figures and the reader's language, and a table's figures only
# on its data version: the last few are kept per (database, table, data version, language), so a warm
# /gaps does not class and word 8,533 wards again, and a change or the other language is a new entry.
_SHADINGS: OrderedDict[tuple[str, str, int, str], Shading] = OrderedDict()
SHADINGS_MAX = 8
_SHADINGS_LOCK = threading.Lock()


def shading(table: pd.DataFrame, columns, key: tuple[str, str, int, str] | None) -> Shading:
    """Return the table's shading: the kept one for `key`, else worked out (and kept when there is a key)."""
    if key is not None:
        with _SHADINGS_LOCK:
            found = _SHADINGS.get(key)
            if found is not None:
                _SHADINGS.move_to_end(key)
                return found
    values = pd.to_numeric(table["gap_score"], errors="coerce")
    bins, classes = classify(values, k=CLASSES, scheme="quantiles")
    colours = palette(len(bins))
    entries = legend(values, bins, classes, colours, edge_format(bins, values), _("not computed (population unknown)"))
    made = Shading(entries, htmlsafe_json_dumps(ward_fills(table, columns, classes, colours)))
    if key is not None:
        with _SHADINGS_LOCK:
            _SHADINGS[key] = made
            while len(_SHADINGS) > SHADINGS_MAX:
                _SHADINGS.popitem(last=False)
    return made


def ward_fills(table: pd.DataFrame, columns, classes, colours: list[str]) -> dict[str, list[str]]:
    """Return {ward code: [fill colour, tooltip line, ...]}: each ward's colour and lines travel once in the page.

    The map's outlines come by view (webmap/scale/layers.py) and are filled from this.
    """
    shown = [c for c in columns if c[0] in TOOLTIP_COLUMNS]
    lines = [[f"{heading}: {fmt(v)}" for v in table[col]] for col, heading, fmt in shown]
    if "few_responses" in table:
        # The flag travels with the count on the map too, in words.
        at = [c for c, _, _ in shown].index("responses") if any(c == "responses" for c, _, _ in shown) else None
        if at is not None:
            lines[at] = [
                line + (" " + _("(few responses)") if few is True else "")
                for line, few in zip(lines[at], table["few_responses"])
            ]
    return {
        code: [NO_DATA if cls is pd.NA else colours[int(cls)], *line]
        for code, cls, *line in zip(table["ward_code"], classes, *lines)
    }


def _index_from_store(query, labels, args, context):
    """The gaps page, whatever the area's size: the stored table, a map that loads outlines by view, a paged table."""
    # The data version of the table read: the same before and after reading it, else unknown (it was being
    # refreshed), and then its shading is worked out but not kept.
    key = gapstore.key_of(query)
    version = gapstore.versions_of([key]).get(key)
    table, current = gapstore.table_for_page(query)  # raises NoWards when there are none
    if version is not None and gapstore.versions_of([key]).get(key) != version:
        version = None
    if table is None:
        return render_template("gaps/index.html", table=None, message=str(WORKING), **context)
    names = welsh_ward_names()
    if names:  # a Welsh reader sees, and sorts by, each ward's Welsh name where it has one
        table = table.assign(ward_name=[names.get(c) or n for c, n in zip(table["ward_code"], table["ward_name"])])
    sort, direction = context["sort"], context["direction"]
    columns = columns_for(query, labels)
    if sort not in [c for c, _, _ in columns]:
        sort, direction = "rank", "asc"
        context.update(sort=sort, direction=direction)
    shaded = shading(
        table,
        columns,
        None if version is None else (db.engine.url.render_as_string(hide_password=True), key, version, language()),
    )
    deciles = bool(table["deprivation"].notna().any()) if "deprivation" in table else False
    context.update(deciles_loaded=deciles, deprivation_applied=query.deprivation_weight and deciles)
    extent = scale_pages.extent()
    m = new_map(extent, current_app.config["TILES_URL"], current_app.config["TILES_ATTRIBUTION"])
    link = url_for("gaps.ward", code="CODE", method=query.method, distance=args["distance"]).replace(
        "CODE", "{code}", 1
    )
    ViewportLayers(
        places=False,
        fills_json=shaded.fills_json,
        link=link,
        no_data=NO_DATA,
        no_data_label=_("Gap not computed (population unknown)"),
    ).add_to(m)

    rows = _sorted(table, sort, direction)
    size = TABLE_PAGE_SIZE
    pages = max(1, math.ceil(len(rows) / size))
    page = min(page_number(), pages)
    return render_template(
        "gaps/index.html",
        table=rows.iloc[(page - 1) * size : page * size],
        columns=columns,
        explained=explanations(columns),
        map=render_parts(m),
        legend=shaded.legend,
        legend_caption=legend_caption(shaded.legend),
        notices=([] if current else [str(BEHIND)]) + _notices(query, table, labels),
        population_note=_population_note(table),
        no_data=NO_DATA,
        page=page,
        pages=pages,
        total_wards=len(rows),
        **context,
    )


def _notices(query, table, labels) -> list[str]:
    """Plain-English notes for the edge cases a reader would otherwise puzzle over."""
    notes = []
    label = labels.get(query.category, "")
    # Lower case mid-sentence, except acronyms ("GP practice").
    label = label if label[1:2].isupper() else label[:1].lower() + label[1:]
    if table["need_count"].sum() == 0:
        if query.overall:
            nobody = _("Nobody has said what any ward needs yet, so every gap score is 0.")
        else:
            nobody = _("Nobody has said they need %(label)s yet, so every gap score is 0.", label=label)
        notes.append(
            nobody + " " + _("Residents can say what is needed on the form, and staff can import survey results.")
        )
    if not query.overall and table["assets_in_ward"].sum() == 0 and table["assets_within_distance"].sum() == 0:
        notes.append(
            _(
                "There are no %(label)s places on the map anywhere in the area, so nobody has access to one.",
                label=label,
            )
        )
    notes += gaps_service.caveats(query, table)
    unknown = int(table["population"].isna().sum())
    if unknown and unknown < len(table):
        notes.append(
            ngettext(
                "%(num)d ward has no population figure, so its per-1,000 figures and gap score cannot be computed.",
                "%(num)d wards have no population figure, so their per-1,000 figures and gap score cannot be computed.",
                unknown,
            )
        )
    return notes


def _population_note(table) -> str:
    methods = set(table["population_method"].dropna())
    if "lsoa_points" in methods:
        return _("Residents are placed at small-area (LSOA) points, each with its census population.")
    return _("Each ward's population is spread evenly over points inside the ward (no small-area points are loaded).")


@bp.get("/gaps/export")
def export():
    """Download the gap table with every figure it was made from, as CSV, GeoJSON or GeoPackage."""
    query = _query()
    fmt = (request.args.get("format") or "csv").lower()
    if fmt not in gaps_service.FORMATS:
        abort(400, _("Format: choose csv, geojson or gpkg."))
    try:
        table, _current = gapstore.table_for_page(query)
    except gaps_service.NoWards as exc:
        abort(404, str(exc))
    if table is None:
        abort(503, str(WORKING))
    body = gaps_service.export_bytes(gaps_service.with_outlines(table), fmt)
    name = gaps_service.export_name(query, fmt)
    return Response(
        body, mimetype=gaps_service.FORMATS[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/wards/<code>")
def ward(code: str):
    """Show one ward: its places, what residents asked for, its gap for every category, its neighbours."""
    try:
        query = gaps_service.check_query(
            None, request.args.get("method"), request.args.get("distance"), current_app.config["ACCESS_DISTANCE_M"]
        )
    except ValueError as exc:
        abort(400, str(exc))
    if not store.ward_exists(code):
        abort(404)
    labels = shown_labels()
    # This ward's rows of the stored gap tables and only the wards around it, whatever the area's size.
    found, nearby, gaps, current = _stored_profile(code, query, labels)
    neighbours = gaps_service.neighbours(nearby, code)
    # A plain dict: a pandas row's .name would be its index label, not the ward's name.
    info = found.drop(columns="geometry").iloc[0].to_dict()
    names = welsh_ward_names([code, *neighbours["code"]])
    info["name"] = names.get(code) or info["name"]
    if names:
        neighbours = neighbours.assign(name=[names.get(c) or n for c, n in zip(neighbours["code"], neighbours["name"])])
        neighbours = neighbours.sort_values("name")

    # A site listed many times (each building, or by two sources) is shown once.
    assets = one_row_per_place(store.assets_frame(ward=code))
    cy_names = welsh_place_names(assets["asset_id"]) if len(assets) else {}
    if cy_names:
        assets["name"] = [cy_names.get(int(i)) or n for i, n in zip(assets["asset_id"], assets["name"])]
    assets = assets.sort_values("name")
    assets["ward_name"] = info["name"]
    # Places imported without an address must show nothing, not "nan".
    assets["address"] = assets["address"].map(lambda v: v if isinstance(v, str) else "")
    by_category: dict[str, list] = {}
    for row in assets.itertuples():
        for cat in (row.categories or "").split(";"):
            if cat:
                by_category.setdefault(cat, []).append(row)
    asset_groups = [(cid, label, by_category[cid]) for cid, label in labels.items() if cid in by_category]

    # What residents asked for: the counts the gap rows were made from; the ward's responses over every
    # kind are counted from its needs (one answer naming several kinds is one response).
    asked = gaps[gaps["need_count"] > 0].sort_values(["need_count", "category"], ascending=[False, True])
    need_rows = [(labels.get(r.category, r.category), r.responses, r.need_count) for r in asked.itertuples()]
    need_totals = gaps_service.ward_need_totals(code)

    # What residents here asked for comes first, biggest unmet need first; then the rest (the report's order too).
    gaps = gaps_service.ward_rows_in_order(gaps, labels)

    m = new_map(found.total_bounds, current_app.config["TILES_URL"], current_app.config["TILES_ATTRIBUTION"])
    # Marker clusters need a maximum zoom, which otherwise only a tile layer supplies.
    m.options["max_zoom"] = 19
    add_wards_layer(
        m,
        simplify_for_display(neighbours),
        name=_("Neighbouring wards"),
        style=lambda _f: {"color": "#505a5f", "weight": 1, "fillOpacity": 0.02},
    )
    add_wards_layer(m, simplify_for_display(found), name=info["name"])
    # Places as compact rows built into markers in the browser: a folium Marker each costs milliseconds here.
    cluster = MarkerCluster(name=_("Community assets"), icon_create_function=cluster_icon_js()).add_to(m)
    AssetPoints(assets, labels).add_to(cluster)
    return render_template(
        "gaps/ward.html",
        ward=info,
        population=fmt_population(info["population"]),
        asset_groups=asset_groups,
        asset_total=len(assets),
        need_rows=need_rows,
        need_totals=need_totals,
        gaps=gaps,
        neighbours=neighbours,
        map=render_parts(m),
        query=query,
        figures_note=None if current else str(BEHIND if len(gaps) else WORKING),
        method_label=gaps_service.METHOD_LABELS[query.method],
        fmt_gap=fmt_gap,
        fmt_pct=fmt_pct,
        fmt_count=fmt_count,
        fmt_int=fmt_int,
        few_responses=FEW_RESPONSES,
        population_known=not _missing(info["population"]),
    )


def _stored_profile(code: str, query, labels: dict[str, str]):
    """Return (the ward, the wards around it, its gap row per category) without reading every ward or place."""
    found = gaps_service.as_deciles(scale_pages.ward_frame(code))
    nearby = scale_pages.wards_near(found.total_bounds)
    gaps, current = gapstore.ward_rows_for_page(code, query.method, query.distance, list(labels))
    if len(gaps):
        # The population by the one rule every page uses, as the stored analysis worked it out.
        found["population"] = float(gaps["population"].iloc[0])
        found["population_method"] = gaps["population_method"].iloc[0]
    else:
        gaps = pd.DataFrame(
            {
                c: pd.Series(dtype=float)
                for c in (
                    "need_count",
                    "responses",
                    "gap_score",
                    "assets_in_ward",
                    "assets_within_distance",
                    "access_share",
                )
            }
            | {"category": pd.Series(dtype=object), "few_responses": pd.Series(dtype=bool)}
        )
    return found, nearby, gaps, current


@bp.after_app_request
def hand_on_changes(response: Response) -> Response:
    """Hand the gap store a committed change that the page itself did not (an edit, an archive, a merge).

    Each change is applied on the data version before it, so one left behind would turn the next
    into a full rebuild of every kept table.
    """
    if changes.pending_handover(db.session):
        after_change("change")
    return response
