"""Import population: a ward-level table, or small areas (LSOAs) with an LSOA-to-ward lookup."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import delete, func, select

from webmap.core.db import db
from webmap.core.geo import WGS84
from webmap.core.models import PopulationArea, Ward
from webmap.importers.common import (
    ImportFailed,
    ImportReport,
    Problem,
    find_column,
    read_table,
    read_vector,
    require_column,
    row_number,
    step,
)
from webmap.importers.problems import _
from webmap.importers.wards import CODE_NAMES, CODE_PATTERNS, DEPRIVATION_NAMES, POPULATION_NAMES

LSOA_NAMES = ["lsoa_code", "lsoa21_code", "lsoa11_code", "LSOA code (2011)", "lsoa21cd", "lsoa11cd", "area_code"]
LSOA_PATTERNS = [r"LSOA\d{2}CD"]


def import_population(
    path: str | Path,
    lookup: str | Path | None = None,
    population_col: str | None = None,
    code_col: str | None = None,
    lsoa_vintage: str | None = None,
    areas: list[str | Path] | None = None,
) -> ImportReport:
    """Set ward populations from a ward table, or by summing small areas through a lookup.

    With `areas` (boundary files of the small areas), each small area's population is also
    placed at a point inside it, which the access analysis uses instead of spreading each
    ward's population evenly.
    """
    table = read_table(path)
    file = Path(path).name
    report = ImportReport(file=file, read=len(table))
    pop_col = require_column(table, file, population_col, POPULATION_NAMES, [], _("population"), "--population-col")
    values = _population_values(table, pop_col, file)
    wards = {w.code: w for w in db.session.scalars(select(Ward))}
    if not wards:
        raise ImportFailed(Problem(file, None, None, _("there are no wards yet; run import-wards first")))
    if lookup is None:
        if areas:
            raise ImportFailed(
                Problem(file, None, None, _("small-area boundaries (--areas) need a small-area table and --lookup"))
            )
        _ward_level(table, file, values, code_col, wards, report)
    else:
        _small_areas(table, file, values, lookup, code_col, lsoa_vintage, wards, report)
        if areas:
            step(f"Placing small areas inside their boundaries ({len(areas)} file{'s' if len(areas) > 1 else ''})...")
            _place_areas(areas, report)
    db.session.flush()
    return report


def _population_values(table: pd.DataFrame, col: str, file: str) -> pd.Series:
    """Return the population column as numbers, failing on any row that is not one."""
    values = pd.to_numeric(table[col].str.replace(",", "", regex=False).str.strip(), errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        raise ImportFailed(
            [
                Problem(file, row_number(i), col, _("'%(value)s' is not a population figure", value=table[col].iloc[i]))
                for i in bad.to_numpy().nonzero()[0]
            ]
        )
    return values


def _ward_level(table, file, values, code_col, wards, report) -> None:
    code_col = require_column(table, file, code_col, CODE_NAMES, CODE_PATTERNS, _("ward code"), "--code-col")
    dep_col = find_column(table.columns, DEPRIVATION_NAMES)
    codes = table[code_col].str.strip()
    repeated = codes[codes.duplicated(keep=False)]
    if len(repeated):
        first = repeated.iloc[0]
        rows = [str(row_number(i)) for i in repeated.index[repeated == first]]
        raise ImportFailed(
            Problem(
                file,
                int(rows[-1]),
                code_col,
                _("ward code %(code)s appears more than once (rows %(rows)s)", code=first, rows=", ".join(rows)),
            )
        )
    for i, code in enumerate(codes):
        ward = wards.get(code)
        if ward is None:
            report.skip(_("the ward code is not among the loaded wards"))
            continue
        ward.population = float(values.iloc[i])
        if dep_col and table[dep_col].iloc[i].strip():
            try:
                ward.deprivation = float(table[dep_col].iloc[i])
            except ValueError as exc:
                raise ImportFailed(
                    Problem(
                        file, row_number(i), dep_col, _("'%(value)s' is not a number", value=table[dep_col].iloc[i])
                    )
                ) from exc
        report.updated += 1


def _small_areas(table, file, values, lookup_path, code_col, vintage, wards, report) -> None:
    lookup = read_table(lookup_path)
    lookup_file = Path(lookup_path).name
    if vintage:
        if "lsoa_vintage" not in lookup.columns:
            raise ImportFailed(
                Problem(lookup_file, None, "lsoa_vintage", "--lsoa-vintage was given but the lookup has no such column")
            )
        lookup = lookup[lookup["lsoa_vintage"].str.strip() == str(vintage)]
        if lookup.empty:
            raise ImportFailed(Problem(lookup_file, None, "lsoa_vintage", f"no rows have the vintage {vintage}"))
    l_area = require_column(lookup, lookup_file, None, LSOA_NAMES, LSOA_PATTERNS, "small-area code", "--lsoa-vintage")
    l_ward = require_column(lookup, lookup_file, None, CODE_NAMES, CODE_PATTERNS, "ward code", "--code-col")
    dupes = lookup[l_area][lookup[l_area].duplicated()]
    if len(dupes):
        raise ImportFailed(
            Problem(
                lookup_file,
                None,
                l_area,
                f"{dupes.iloc[0]} maps to more than one ward; filter the lookup to one vintage with --lsoa-vintage",
            )
        )
    to_ward = dict(zip(lookup[l_area].str.strip(), lookup[l_ward].str.strip()))
    area_col = require_column(table, file, code_col, LSOA_NAMES, LSOA_PATTERNS, "small-area code", "--code-col")
    codes = table[area_col].str.strip()
    ward_codes = codes.map(to_ward)
    in_lookup = ward_codes.notna()
    report.skip(_("the small area is not in the lookup (outside the loaded area)"), int((~in_lookup).sum()))
    unknown_ward = in_lookup & ~ward_codes.isin(list(wards))
    report.skip(_("the lookup's ward is not among the loaded wards"), int(unknown_ward.sum()))
    keep = in_lookup & ~unknown_ward
    areas = pd.DataFrame({"code": codes[keep], "ward_code": ward_codes[keep], "population": values[keep]})
    db.session.execute(delete(PopulationArea).where(PopulationArea.code.in_(areas["code"].tolist())))
    db.session.add_all(
        PopulationArea(code=r.code, ward_code=r.ward_code, population=float(r.population)) for r in areas.itertuples()
    )
    totals = areas.groupby("ward_code")["population"].sum()
    for code, total in totals.items():
        wards[code].population = float(total)
    report.imported = len(areas)
    report.updated = len(totals)
    missing = sorted(set(wards) - set(totals.index))
    if missing:
        report.notes.append(
            _(
                "%(count)s wards got no small areas and keep their old figure: %(codes)s",
                count=len(missing),
                codes=", ".join(missing[:10]),
            )
        )
    report.notes.append(
        _(
            "ward populations set from %(areas)s small areas in %(wards)s wards; total %(total)s",
            areas=len(areas),
            wards=len(totals),
            total=f"{totals.sum():,.0f}",
        )
    )


def _place_areas(paths: list[str | Path], report: ImportReport) -> None:
    """Give each imported small area a point inside its boundary (from one or more files)."""
    points: dict[str, tuple[float, float]] = {}
    for path in paths:
        frame = read_vector(path)
        code_col = require_column(frame, Path(path).name, None, LSOA_NAMES, LSOA_PATTERNS, "small-area code", "--areas")
        # A point inside the polygon (not the centroid, which can fall outside a crescent-shaped area).
        inside = frame.geometry.make_valid().representative_point().to_crs(WGS84)
        points.update(zip(frame[code_col].astype(str).str.strip(), zip(inside.x.round(6), inside.y.round(6))))
    areas = db.session.scalars(select(PopulationArea).where(PopulationArea.code.in_(list(points)))).all()
    for area in areas:
        area.lon, area.lat = points[area.code]
    unplaced = db.session.scalar(select(func.count()).select_from(PopulationArea).where(PopulationArea.lon.is_(None)))
    report.notes.append(
        f"placed {len(areas)} small areas at points inside their boundaries"
        + (f"; {unplaced} have no boundary and no point" if unplaced else "")
    )
