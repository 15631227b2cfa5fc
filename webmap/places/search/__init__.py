"""Search and filters for the public map: keywords, "near" a postcode or place, category, kind, ward.

filtering.py is pure (GeoDataFrames in and out); request.py reads and checks a request's filters.
"""

from webmap.places.search.filtering import filter_assets, keyword_mask, split_near
from webmap.places.search.request import MapSearch, parse_map_search

__all__ = ["filter_assets", "keyword_mask", "split_near", "MapSearch", "parse_map_search"]
