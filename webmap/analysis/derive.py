"""Gap tables from what each ward's row keeps: the area-wide arithmetic redone when a table is read.

What a ward's stored row keeps is local to it: its population and deprivation, its access figures
(places within reach of its residents), its stated needs and responses. What depends on every
ward (the smoothing prior, the best score that scores are scaled to, the "all needs" area rates,
the rank) is worked out here: for a whole table from all its rows (``category_table``,
``overall_table``), or for some wards from the table's area figures (``category_area``,
``overall_area``, kept beside the rows), which is what lets one new need rewrite one ward's
row instead of every ward's. Either way the figures are those a full analysis gives, bit for
bit: the same numpy operations on the same numbers (tests/analysis/test_derive.py).

An "all needs" row keeps, besides the ward columns and its responses over every kind, each
category's stated needs (``need:<category>``) and access figure (``access:<category>``: the share
for method "share", the raw score otherwise), so it is worked out from its own rows alone.
Pure: DataFrames in and out, no database.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from webmap.analysis import gaps as _gaps
from webmap.analysis.smoothing import area_prior

#: What a category's row keeps: the ward, its access figures, its stated needs and responses.
CATEGORY_INPUTS = [*_gaps.BASE_COLUMNS, *_gaps.ACCESS_COLUMNS, "need_count", "responses"]
#: What an "all needs" row keeps besides need:<category> and access:<category> columns.
OVERALL_INPUTS = [*_gaps.BASE_COLUMNS, "responses"]
NEED, ACCESS = "need:", "access:"


def category_inputs(table: pd.DataFrame) -> pd.DataFrame:
    """Return the columns of a category's gap rows that its stored rows keep (CATEGORY_INPUTS)."""
    return table[CATEGORY_INPUTS].copy()


def category_area(inputs: pd.DataFrame) -> dict:
    """Return a category table's area figures (smoothing prior, best score, anyone asked) from all its rows."""
    # In ward-code order, as a full analysis adds them up: a sum in another order differs in the last bit.
    inputs = inputs.sort_values("ward_code", kind="stable")
    need = inputs["need_count"].to_numpy(dtype="float64")
    pop = inputs["population"].to_numpy(dtype="float64")
    return _gaps.category_area(need, pop, inputs["access_score"].to_numpy(dtype="float64"))


def category_table(
    inputs: pd.DataFrame,
    category: str,
    method: str,
    distance: float,
    deprivation_weight: bool,
    area: dict | None = None,
) -> pd.DataFrame:
    """Return a category's gap rows from its stored rows.

    *inputs*: every ward's row (area None: ranked, in rank order, as a full analysis gives) or
    some wards' rows with the table's *area* (category_area of every row; no rank, input order).
    """
    rows = inputs.sort_values("ward_code", kind="stable").reset_index(drop=True) if area is None else inputs
    rows = rows.reset_index(drop=True)
    base = rows[_gaps.BASE_COLUMNS].copy()
    base["population"] = pd.to_numeric(base["population"]).astype("float64")
    base["deprivation"] = pd.to_numeric(base["deprivation"]).astype("float64")
    access = rows[_gaps.ACCESS_COLUMNS].copy()
    for column in _gaps.ACCESS_COLUMNS:
        access[column] = pd.to_numeric(access[column]).astype("float64")
    table = _gaps.category_from_parts(
        base,
        access,
        pd.to_numeric(rows["need_count"]).to_numpy(dtype="float64"),
        category,
        method,
        float(distance),
        deprivation_weight,
        pd.to_numeric(rows["responses"]).to_numpy(dtype="float64"),
        area,
    )
    return _gaps.rank_rows(table) if area is None else table


def overall_inputs(tables: dict[str, pd.DataFrame], responses: pd.Series, method: str) -> pd.DataFrame:
    """Return the "all needs" rows to keep, from every category's rows (all wards each) and ward responses.

    *tables*: category -> its gap rows or stored rows (CATEGORY_INPUTS at least); *responses*:
    ward code -> responses over every category (gaps.ward_responses of the needs).
    """
    ordered = {c: t.sort_values("ward_code", kind="stable").reset_index(drop=True) for c, t in sorted(tables.items())}
    first = next(iter(ordered.values()))
    out = first[_gaps.BASE_COLUMNS].copy()
    codes = out["ward_code"].astype(str).to_numpy()
    out["responses"] = responses.reindex(codes, fill_value=0.0).to_numpy(dtype="float64")
    column = "access_share" if method == "share" else "access_score"
    extra = {}
    for category, table in ordered.items():
        extra[NEED + category] = table["need_count"].to_numpy(dtype="float64")
        extra[ACCESS + category] = table[column].to_numpy(dtype="float64")
    return pd.concat([out, pd.DataFrame(extra)], axis=1)


def overall_categories(inputs: pd.DataFrame) -> list[str]:
    """Return the categories an "all needs" table's rows keep figures of, sorted."""
    return sorted(c[len(NEED) :] for c in inputs.columns if str(c).startswith(NEED))


def overall_asked(inputs: pd.DataFrame) -> list[str]:
    """Return the categories somebody asked for, by the "all needs" rows' stated needs (sorted)."""
    return sorted(c for c in overall_categories(inputs) if float(np.nansum(_column(inputs, NEED + c))) > 0)


def overall_area(inputs: pd.DataFrame, asked: list[str], method: str) -> dict:
    """Return an "all needs" table's area figures from all its rows.

    *asked*: the categories somebody asked for (of the needs, as a full analysis takes them):
    each one's area rate per 1,000 and best score, and the prior of the wards' total needs.
    """
    inputs = inputs.sort_values("ward_code", kind="stable")  # summed in the full analysis's order
    pop = inputs["population"].to_numpy(dtype="float64")
    rates, tops = [], []
    for category in asked:
        need = _column(inputs, NEED + category)
        rates.append(area_prior(need, pop)[0] * 1000.0)
        tops.append(_gaps._top(_column(inputs, ACCESS + category)) if method != "share" else 0.0)
    total = _need_matrix(inputs, asked).sum(axis=1)
    m, s2 = area_prior(total, pop)
    return {"asked": list(asked), "rates": rates, "tops": tops, "area_rate": m, "spread": s2}


def overall_table(
    inputs: pd.DataFrame,
    asked: list[str],
    method: str,
    distance: float,
    deprivation_weight: bool,
    area: dict | None = None,
) -> pd.DataFrame:
    """Return the "all needs" gap rows from its stored rows.

    *asked*: the categories somebody asked for (overall_area). *inputs*: every ward's row
    (area None: ranked, in rank order, as a full analysis gives) or some wards' rows with the
    table's *area* (overall_area of every row; no rank, input order).
    """
    whole = area is None
    rows = inputs.sort_values("ward_code", kind="stable") if whole else inputs
    rows = rows.reset_index(drop=True)
    asked = sorted(asked)
    if area is None:
        area = overall_area(rows, asked, method)
    base = rows[_gaps.BASE_COLUMNS].copy()
    base["population"] = pd.to_numeric(base["population"]).astype("float64")
    base["deprivation"] = pd.to_numeric(base["deprivation"]).astype("float64")
    deprivation = base["deprivation"].to_numpy(dtype="float64")
    base["deprivation_factor"] = _gaps.deprivation_factor(deprivation) if deprivation_weight else np.ones(len(base))
    need = _need_matrix(rows, asked)
    if asked:
        access = np.column_stack([_column(rows, ACCESS + c) for c in asked])
        norm = (
            access
            if method == "share"
            else np.column_stack([_gaps._scale_to(access[:, i], top) for i, top in enumerate(area["tops"])])
        )
        unmet = 1.0 - norm
    else:
        unmet = np.zeros((len(rows), 0))
    table = _gaps.overall_from_arrays(
        base,
        asked,
        need,
        unmet,
        np.array(area["rates"], dtype="float64"),
        method,
        float(distance),
        rows["responses"].to_numpy(dtype="float64"),
        (area["area_rate"], area["spread"]),
    )
    return _gaps.rank_rows(table) if whole else table


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A stored numeric column (None as NaN); a category added since the rows were kept counts 0 needs."""
    if name not in frame.columns:
        return np.zeros(len(frame)) if name.startswith(NEED) else np.full(len(frame), np.nan)
    return pd.to_numeric(frame[name]).to_numpy(dtype="float64")


def _need_matrix(frame: pd.DataFrame, asked: list[str]) -> np.ndarray:
    if not asked:
        return np.zeros((len(frame), 0))
    return np.column_stack([_column(frame, NEED + c) for c in asked])
