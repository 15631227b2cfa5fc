"""Places already on the map that a resident's new place may be (shown before they send it)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import shapely

from webmap.core import store
from webmap.places.duplicates import SAME_NAME_RADIUS_M, find_duplicates


@dataclass(frozen=True)
class Match:
    """A listed place the new one may be: its id, name, address and straight-line distance in metres."""

    asset_id: int
    name: str
    address: str
    distance_m: float


def likely_matches(name: str, lon: float, lat: float, postcode: str | None) -> list[Match]:
    """Return approved places with a similar name within a short walk (or at the same postcode), closest first."""
    # Only what find_duplicates could pair it with (near it, or at its postcode), not every place.
    existing = store.assets_near([(lon, lat)], SAME_NAME_RADIUS_M, [postcode] if postcode else [])
    existing = existing.rename(columns={"asset_id": "id"})
    candidate = gpd.GeoDataFrame(
        {"id": [-1], "name": [name], "postcode": [postcode]}, geometry=[shapely.Point(lon, lat)], crs="EPSG:4326"
    )
    found = find_duplicates(candidate, existing)
    addresses = dict(zip(existing["id"], existing["address"].fillna("")))
    return sorted(
        (Match(d.other_id, d.other_name, addresses.get(d.other_id, ""), d.distance_m) for d in found),
        key=lambda m: m.distance_m,
    )
