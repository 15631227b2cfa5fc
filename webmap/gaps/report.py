"""The ward report: key figures, gaps with their response counts, what residents asked for, places by kind.

Gap figures come from webmap.gaps.service (the same numbers as the gaps pages); places are grouped
so that a site listed many times (a hospital's buildings, two sources) appears once.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webmap import analysis
from webmap.core import store
from webmap.core.db import db
from webmap.core.models import ASSET_KINDS, DataSource
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore
from webmap.gaps import views as gaps_views
from webmap.places import one_row_per_place

bp = Blueprint("reports", __name__, template_folder="templates")
CSS = Path(__file__).resolve().parent.parent / "static" / "report.css"
KIND_LABELS = {
    "group": _l("Groups"),
    "business": _l("Local businesses"),
    "venue": _l("Venues"),
    "service": _l("Services"),
}


def _gap_rows(code: str, query: gaps_service.GapQuery, labels: dict[str, str]) -> tuple[list[dict], int, float]:
    """Return the ward's gap rows with a stated need or a place, in the profile's order; how many had neither; its population.

    The rows are the gap store's latest (what every gap page reads); the population is the one
    every page shows, as the stored analysis worked it out, NaN when unknown.
    """
    gaps, _current = gapstore.ward_rows_for_page(code, query.method, query.distance, list(labels))
    if gaps.empty:
        return [], 0, math.nan
    population = pd.to_numeric(gaps["population"]).iloc[0]
    gaps = gaps_service.ward_rows_in_order(gaps, labels)
    shown = gaps["asked"] | (gaps["assets_in_ward"].fillna(0) > 0)
    return gaps[shown].to_dict("records"), int((~shown).sum()), float(population)


def _places_by_kind(code: str, labels: dict[str, str]) -> tuple[list[tuple[str, list]], int, int]:
    """Return [(kind label, places)] with each place once, the number of places and of records behind them."""
    assets = store.assets_frame(ward=code)  # this ward's places only, not every place of the area
    places = one_row_per_place(assets) if len(assets) else assets.assign(records=pd.Series(dtype="int64"))
    welsh = gaps_views.welsh_place_names(places["asset_id"]) if len(places) else {}
    if welsh:
        places = places.assign(name=[welsh.get(int(i)) or n for i, n in zip(places["asset_id"], places["name"])])
    places = places.sort_values("name")
    groups = []
    for kind in ASSET_KINDS:
        chosen = [row for row in places.itertuples() if row.kind == kind]
        if chosen:
            groups.append((str(KIND_LABELS.get(kind, kind.capitalize())), chosen))
    return groups, len(places), len(assets)


@bp.get("/wards/<code>/report")
def ward_report(code: str):
    """Show a one- or two-page printable report on one ward (?download=1 sends it as a file to attach)."""
    found = store.wards_frame([code])
    if found.empty:
        abort(404)
    info = found.drop(columns="geometry").iloc[0].to_dict()
    info["name"] = gaps_views.welsh_ward_names([code]).get(code) or info["name"]
    try:
        query = gaps_service.check_query(
            None, request.args.get("method"), request.args.get("distance"), current_app.config["ACCESS_DISTANCE_M"]
        )
    except ValueError as exc:
        abort(400, str(exc))
    labels = gaps_views.shown_labels()
    gap_rows, quiet, population = _gap_rows(code, query, labels)
    kinds, place_count, record_count = _places_by_kind(code, labels)
    needs = store.needs_frame(ward=code)
    summary = analysis.need_summary(needs).sort_values(["count", "category"], ascending=[False, True])
    need_rows = [(labels.get(r.category, r.category), r.responses, r.count) for r in summary.itertuples()]
    response_total = float(analysis.ward_responses(needs).get(code, 0.0)) if len(needs) else 0.0
    sources = db.session.scalars(select(DataSource).order_by(DataSource.name)).all()
    download = request.args.get("download") == "1"
    html = render_template(
        "reports/ward.html",
        ward=info,
        query=query,
        gap_rows=gap_rows,
        quiet_categories=quiet,
        kinds=kinds,
        place_count=place_count,
        record_count=record_count,
        need_rows=need_rows,
        need_total=float(needs["count"].sum()),
        response_total=response_total,
        sources=sources,
        today=date.today(),
        today_text=format_date(date.today(), "long"),
        download=download,
        inline_css=CSS.read_text(encoding="utf-8") if download else None,
        method_label=gaps_service.METHOD_LABELS[query.method],
        population_known=population == population,
        population=gaps_views.fmt_population(population),
        few_responses=gaps_service.FEW_RESPONSES,
        fmt_gap=gaps_views.fmt_gap,
        fmt_pct=gaps_views.fmt_pct,
        fmt_count=gaps_views.fmt_count,
        fmt_int=gaps_views.fmt_int,
    )
    if not download:
        return html
    name = f"ward-report-{code}-{date.today().isoformat()}.html"
    return Response(html, mimetype="text/html", headers={"Content-Disposition": f'attachment; filename="{name}"'})
