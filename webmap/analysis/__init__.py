"""Pure gap analysis over GeoDataFrames: population, access and ward gap tables (no Flask, no DB)."""

from webmap.analysis.access import FCAResult, enhanced_two_step_fca, share_within, two_step_fca
from webmap.analysis.classify import Classification, classify
from webmap.analysis.crs import align_crs, metric_crs, to_metric
from webmap.analysis.gaps import (
    FEW_RESPONSES,
    GAP_COLUMNS,
    METHODS,
    OVERALL,
    category_gaps,
    deprivation_factor,
    gap_table,
    gap_tables,
    iter_gap_tables,
    iter_method_tables,
    need_summary,
    overall_gaps,
    ward_responses,
)
from webmap.analysis.points import PointLayer
from webmap.analysis.population import LSOA_POINTS, WARD_SPREAD, assign_to_wards, population_points, ward_population
from webmap.analysis.smoothing import Smoothed, empirical_bayes

__all__ = [
    "FCAResult",
    "FEW_RESPONSES",
    "Smoothed",
    "category_gaps",
    "empirical_bayes",
    "Classification",
    "GAP_COLUMNS",
    "LSOA_POINTS",
    "METHODS",
    "OVERALL",
    "PointLayer",
    "WARD_SPREAD",
    "align_crs",
    "assign_to_wards",
    "classify",
    "deprivation_factor",
    "enhanced_two_step_fca",
    "gap_table",
    "gap_tables",
    "iter_gap_tables",
    "iter_method_tables",
    "metric_crs",
    "need_summary",
    "overall_gaps",
    "population_points",
    "share_within",
    "to_metric",
    "two_step_fca",
    "ward_population",
    "ward_responses",
]
