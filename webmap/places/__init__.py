"""Places seen once: group records of the same place that several sources (or buildings) list."""

from webmap.places.grouping import SAME_PLACE_M, group_same_places, one_row_per_place

__all__ = ["SAME_PLACE_M", "group_same_places", "one_row_per_place"]
