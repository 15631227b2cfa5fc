"""Import ward boundaries (ONS GeoJSON, GeoPackage or Shapefile, any CRS)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import shapely
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.geo import WGS84, to_multipolygon
from webmap.core.models import Ward
from webmap.importers.common import (
    ImportFailed,
    ImportReport,
    Problem,
    checked_text,
    find_column,
    geometry_problems,
    progress,
    read_vector,
    record_problems,
    require_column,
    row_number,
    settle_rows,
    text,
)
from webmap.importers.problems import _

CODE_NAMES = ["ward_code", "wardcode", "wd_code", "area_code", "code", "gss_code"]
CODE_PATTERNS = [r"WD\d{2}CD"]
NAME_NAMES = ["ward_name", "wardname", "area_name", "name"]
NAME_PATTERNS = [r"WD\d{2}NM"]
LAD_CODE_NAMES = ["lad_code", "local_authority_area_code", "la_code", "lad_cd"]
LAD_CODE_PATTERNS = [r"LAD\d{2}CD"]
LAD_NAME_NAMES = ["lad_name", "local_authority_area_name", "la_name"]
LAD_NAME_PATTERNS = [r"LAD\d{2}NM"]
POPULATION_NAMES = ["population", "census2021_usual_residents_total", "usual_residents_total", "all_ages"]
DEPRIVATION_NAMES = ["imd_decile", "deprivation", "imd2019_popweighted_mean_decile"]


def import_wards(
    path: str | Path,
    code_col: str | None = None,
    name_col: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    *,
    skip_bad_rows: bool = False,
    rejects_path: str | Path | None = None,
) -> ImportReport:
    """Read ward polygons and insert or update them by ward code.

    A ward with no code, no name or no usable polygon stops the import, naming its row; with
    `skip_bad_rows` such wards go to a rejects CSV (`rejects_path`) and the others are imported.
    """
    frame = read_vector(path, layer=layer, crs=crs).reset_index(drop=True)
    file = Path(path).name
    report = ImportReport(file=file, read=len(frame))
    code_col = require_column(frame, file, code_col, CODE_NAMES, CODE_PATTERNS, "ward code", "--code-col")
    name_col = require_column(frame, file, name_col, NAME_NAMES, NAME_PATTERNS, "ward name", "--name-col")
    lad_code_col = find_column(frame.columns, LAD_CODE_NAMES, LAD_CODE_PATTERNS, file=file, what="local authority code")
    lad_name_col = find_column(frame.columns, LAD_NAME_NAMES, LAD_NAME_PATTERNS, file=file, what="local authority name")
    pop_col = find_column(frame.columns, POPULATION_NAMES, file=file, what="population")
    dep_col = find_column(frame.columns, DEPRIVATION_NAMES, file=file, what="deprivation")
    report.notes.append(_("ward codes from column '%(code)s', names from '%(name)s'", code=code_col, name=name_col))

    problems = _check_rows(frame, file, code_col, name_col, pop_col)
    frame = settle_rows(frame, problems, report, skip_bad_rows, rejects_path)
    frame = _repair(frame, code_col, report)
    frame = frame.to_crs(WGS84)

    existing = {w.code: w for w in db.session.scalars(select(Ward))}
    record_errors: list[Problem] = []
    for index, row in progress(list(frame.iterrows()), _("Importing wards")):
        code = checked_text(row[code_col])
        ward = existing.get(code)
        if ward is None:
            ward = Ward(code=code)
            db.session.add(ward)
            report.imported += 1
        else:
            report.updated += 1
        ward.name = checked_text(row[name_col])
        ward.lad_code = text(row[lad_code_col]) if lad_code_col else ward.lad_code
        ward.lad_name = text(row[lad_name_col]) if lad_name_col else ward.lad_name
        if pop_col and text(row[pop_col]) is not None:
            ward.population = float(row[pop_col])
        if dep_col and text(row[dep_col]) is not None:
            ward.deprivation = float(row[dep_col])
        ward.geom = to_multipolygon(shapely.set_precision(row.geometry, 1e-7))
        ward.source = file
        record_errors += record_problems(ward, file, row_number(index))
    if record_errors:
        raise ImportFailed(record_errors)
    db.session.flush()
    if pop_col:
        report.notes.append(_("population read from column '%(column)s'", column=pop_col))
    return report


def _repair(frame, code_col: str, report: ImportReport):
    """Make invalid polygons valid, and say which ones were repaired."""
    invalid = ~frame.geometry.is_valid
    if invalid.any():
        codes = ", ".join(str(c) for c in frame.loc[invalid, code_col].head(10))
        frame = frame.copy()
        frame.loc[invalid, "geometry"] = frame.loc[invalid, "geometry"].make_valid()
        report.notes.append(
            _(
                "repaired %(count)s invalid geometries with make_valid (%(codes)s)",
                count=int(invalid.sum()),
                codes=codes,
            )
        )
    return frame


def _check_rows(frame, file: str, code_col: str, name_col: str, pop_col: str | None) -> dict[int, list[Problem]]:
    """Return {position: problems} for wards that lack a code, name or polygon, or repeat a code."""
    problems: dict[int, list[Problem]] = {}
    for i, problem in geometry_problems(frame.geometry, file).items():
        problems.setdefault(i, []).append(problem)
    seen: dict[str, int] = {}
    for i, (code, name, geom) in enumerate(zip(frame[code_col], frame[name_col], frame.geometry)):
        found = problems.setdefault(i, [])
        code, name = text(code), text(name)
        if code is None:
            found.append(Problem(file, row_number(i), code_col, _("the ward code is empty")))
        elif code in seen:
            found.append(
                Problem(
                    file,
                    row_number(i),
                    code_col,
                    _("ward code %(code)s appears twice (also row %(row)s)", code=code, row=seen[code]),
                )
            )
        else:
            seen[code] = row_number(i)
        if name is None:
            found.append(Problem(file, row_number(i), name_col, _("the ward name is empty")))
        if not found and to_multipolygon(geom) is None:
            found.append(
                Problem(file, row_number(i), "geometry", _("is a %(type)s, not a polygon", type=geom.geom_type))
            )
        if pop_col and text(frame[pop_col].iloc[i]) is not None:
            raw = frame[pop_col].iloc[i]
            try:
                value = float(raw)
                if value < 0 or pd.isna(value):
                    raise ValueError
            except (TypeError, ValueError):
                found.append(
                    Problem(file, row_number(i), pop_col, _("'%(value)s' is not a population figure", value=raw))
                )
    return {i: found for i, found in problems.items() if found}
