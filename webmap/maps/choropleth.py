"""Choropleth layers: wards shaded by class, a legend with numbers, click-through to a page."""

from __future__ import annotations

import json
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from flask_babel import gettext as _
from folium.utilities import JsCode

from webmap.maps.layers import safe_text

# Viridis, light to dark: colour-blind safe, prints in grey scale, and darker means a bigger gap.
VIRIDIS = ["#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89", "#26828e", "#31688e", "#3e4989", "#482878", "#440154"]
NO_DATA = "#bdbdbd"


def palette(k: int) -> list[str]:
    """Return k colours spread evenly over the light-to-dark viridis steps."""
    if k <= 0:
        return []
    if k == 1:
        return [VIRIDIS[len(VIRIDIS) // 2]]
    picks = np.linspace(0, len(VIRIDIS) - 1, k).round().astype(int)
    return [VIRIDIS[i] for i in picks]


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: its colour, its range as text, and how many wards fall in it."""

    colour: str
    label: str
    wards: int


def legend(
    values: pd.Series, bins: np.ndarray, classes: pd.Series, colours: list[str], fmt, no_data_label: str
) -> list[LegendEntry]:
    """Return legend rows for classes from classify(): each with its number range ("0.120 to 0.350")."""
    finite = values.dropna()
    entries = []
    for i, upper in enumerate(bins):
        lower = finite.min() if i == 0 else bins[i - 1]
        count = int((classes == i).sum())
        if i == 0 or lower == upper:
            label = _("%(low)s to %(high)s", low=fmt(lower), high=fmt(upper)) if lower != upper else fmt(upper)
        else:
            label = _("more than %(low)s up to %(high)s", low=fmt(lower), high=fmt(upper))
        entries.append(LegendEntry(colours[i], label, count))
    missing = int(values.isna().sum())
    if missing:
        entries.append(LegendEntry(NO_DATA, no_data_label, missing))
    return entries


def add_choropleth(
    m: folium.Map,
    frame: gpd.GeoDataFrame,
    colours: pd.Series,
    tooltip: list[tuple[str, str]],
    link: str | None = None,
    name: str | None = None,
) -> folium.GeoJson | None:
    """Add polygons filled with `colours` (one per row); tooltip (column, label) values are escaped here.

    `link` is a URL with "{code}" where the ward code goes: clicking a ward opens it.
    """
    if frame.empty:
        return None
    fields = [col for col, _ in tooltip]
    shown = gpd.GeoDataFrame(
        {"code": frame["code"].astype(str).to_numpy(), "fill": colours.to_numpy()},
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    for col in fields:
        shown[col] = [safe_text(v) for v in frame[col]]
    data = json.loads(shown.to_json(drop_id=True))
    click = None
    if link:
        before, after = link.split("{code}", 1)
        click = JsCode(
            "function (feature, layer) { layer.on('click', function () { window.location.href = "
            f"{json.dumps(before)} + encodeURIComponent(feature.properties.code) + {json.dumps(after)}; }}); }}"
        )
    layer = folium.GeoJson(
        data,
        name=name or _("Gap by ward"),
        style_function=lambda f: {
            "color": "#0b0c0c",
            "weight": 1,
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.75,
        },
        highlight_function=lambda _f: {"weight": 4, "color": "#0b0c0c"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[label for _, label in tooltip], sticky=True),
        on_each_feature=click,
    )
    layer.add_to(m)
    return layer
