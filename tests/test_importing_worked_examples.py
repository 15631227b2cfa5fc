"""The worked examples of docs/importing.md, run as written against ../shared/data (skipped when absent).

The commands are read from the document itself, so the documentation cannot drift from what works, and
the national files are used exactly as they are. Every count is computed again here with pandas/geopandas.
"""

from __future__ import annotations

import re
import shlex
import warnings

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy import select

from tests.conftest import REPO, SHARED_DATA, shared_data
from webmap.core.db import db
from webmap.core.models import Asset

DOC = REPO / "docs" / "importing.md"
KIT = "../shared/data"
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def doc_block(title: str) -> list[str]:
    """Return the flask commands of the ```sh block headed `# worked example: TITLE`."""
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    (block,) = [b for b in blocks if b.startswith(f"# worked example: {title}\n")]
    return [line for line in block.splitlines() if line.startswith("flask --app webmap ")]


def doc_python() -> str:
    """Return the Python snippet the worked example uses to cut a council's wards."""
    (snippet,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return snippet


def run_documented(app, title: str, workdir, ward_file: str | None = None) -> list[str]:
    """Run each documented command of a worked example (with another ward file of the council); return their outputs."""
    outputs = []
    for line in doc_block(title):
        if ward_file:
            line = re.sub(rf"\b{title}_wards\.(geojson|shp)\b", ward_file, line)
        args = [str(SHARED_DATA) + a[len(KIT) :] if a.startswith(KIT) else a for a in shlex.split(line)[3:]]
        args = [str(workdir / a) if a.endswith((".geojson", ".shp")) and "/" not in a else a for a in args]
        with app.app_context():  # `flask --app webmap` runs every command in an app context
            result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        outputs.append(result.output)
    return outputs


def stored(app, source: str) -> dict[str, str]:
    with app.app_context():
        return {a.source_id: a.ward_code for a in db.session.scalars(select(Asset).where(Asset.source == source))}


def norm_postcode(value: str) -> str | None:
    match = POSTCODE.match(re.sub(r"\s+", " ", value.strip().upper()))
    return f"{match.group(1)} {match.group(2)}" if match else None


@pytest.fixture(scope="module")
def council_files(tmp_path_factory):
    """The council ward files, made with the documented Python snippet."""
    shared_data("boundaries", "national", "wards_2013_england_wales_bgc.gpkg")
    folder = tmp_path_factory.mktemp("council")
    code = doc_python().replace(KIT, str(SHARED_DATA))
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)  # the snippet writes its files where it runs, as it would for the officer
        # geopandas and GDAL warn that Shapefile names get cut: that is the point of the example.
        warnings.filterwarnings("ignore", "Column names longer than 10 characters", UserWarning)
        warnings.filterwarnings("ignore", "Normalized/laundered field name", RuntimeWarning)
        exec(compile(code, "docs/importing.md", "exec"), {})
    return folder


@pytest.mark.parametrize(
    "title, ward_file",
    [
        ("york", "york_wards.geojson"),
        ("york", "york_wards.shp"),
        ("swansea", "swansea_wards.shp"),
        ("swansea", "swansea_wards.geojson"),
    ],
)
def test_council_outside_the_study_area_imports_its_schools_from_the_national_register(
    app, council_files, title, ward_file
):
    gias_path = shared_data("assets", "national", "gias_open_establishments_2025-05-24.csv.gz")
    # The document shows York's GeoJSON and Swansea's Shapefile; it says the other file of each works the same.
    _, wards_out, schools_out = run_documented(app, title, council_files, ward_file)

    council = gpd.read_file(council_files / ward_file)
    assert council.crs.to_epsg() == 27700
    assert f"read {len(council)}, imported {len(council)}" in wards_out
    assert "ward codes from column 'ward_code', names from 'ward_name'" in wards_out
    gias = pd.read_csv(gias_path, dtype=str, keep_default_na=False)
    placed = gias[gias["easting"] != ""]
    points = gpd.GeoDataFrame(
        placed[["urn"]],
        geometry=gpd.points_from_xy(placed["easting"].astype(float), placed["northing"].astype(float)),
        crs=27700,
    )
    joined = gpd.sjoin(points, council[["ward_code", "geometry"]], predicate="within")
    expected = dict(zip(joined["urn"], joined["ward_code"]))
    # Schools outside the council but within the 800 m access distance are kept "outside the area" (no ward).
    outside = points[~points.index.isin(joined.index)]
    near = outside[outside.distance(council.union_all()) <= 800]
    expected |= {urn: None for urn in near["urn"]}

    assert len(expected) > 50
    assert stored(app, "gias") == expected
    skipped = len(gias) - len(expected)
    assert f"read {len(gias)}, imported {len(expected)}, updated 0, skipped {skipped}, refused 0." in schools_out
    assert f"skipped {len(gias) - len(placed)}: no coordinates given" in schools_out
    assert "recognised the 'gias' register" in schools_out
    with app.app_context():
        names = {w for (w,) in db.session.execute(select(Asset.ward_code).distinct())}
        school = db.session.scalar(select(Asset).where(Asset.source == "gias").limit(1))
        assert school.source_date == "2025-05-24" and school.last_verified_at is None
        assert school.category_ids() == ["education"] and school.description
    assert names <= set(council["ward_code"]) | {None}


def test_study_area_gp_practices_and_libraries_from_the_national_files(app, tmp_path):
    epraccur_path = shared_data("assets", "national", "epraccur_2021-11.csv.gz")
    libraries_path = shared_data("assets", "national", "libraries_england_2023.csv")
    codepoint = pd.read_csv(shared_data("postcodes", "codepoint_open_2025-10_study_area.csv"), dtype=str)
    wards = gpd.read_file(shared_data("boundaries", "wards", "study_area_wards.geojson"))

    *_, gp_out, lib_out = run_documented(app, "study area registers", tmp_path)

    places = codepoint.drop_duplicates("postcode", keep="last").set_index("postcode")
    points = gpd.GeoDataFrame(
        index=places.index,
        geometry=gpd.points_from_xy(places["longitude"].astype(float), places["latitude"].astype(float)),
        crs=4326,
    )
    inside = set(gpd.sjoin(points, wards[["ward_code", "geometry"]], predicate="intersects").index)

    def placed_counts(postcodes: pd.Series) -> tuple[pd.Series, dict[str, int]]:
        normal = postcodes.map(norm_postcode)
        counts = {
            "malformed": int(normal.isna().sum()),
            "unknown": int((normal.notna() & ~normal.isin(places.index)).sum()),
            "outside": int((normal.isin(places.index) & ~normal.isin(inside)).sum()),
        }
        return normal.isin(inside), counts

    gp = pd.read_csv(epraccur_path, header=None, dtype=str, keep_default_na=False)
    closed = gp[12] != "A"
    not_gp = ~closed & (gp[25] != "4")
    ok, counts = placed_counts(gp.loc[~closed & ~not_gp, 9])
    imported = int(ok.sum())
    skipped = len(gp) - imported
    print(
        f"\nGP practices: {len(gp)} rows, {int(closed.sum())} closed, {int(not_gp.sum())} not GP practices, "
        f"{counts['unknown']} postcodes not in the table, {imported} imported"
    )
    assert f"read {len(gp)}, imported {imported}, updated 0, skipped {skipped}, refused 0." in gp_out
    assert f"skipped {int(closed.sum())}: closed (the register says it has closed)" in gp_out
    assert f"skipped {int(not_gp.sum())}: not a GP practice" in gp_out
    assert f"skipped {counts['unknown']}: the postcode is not in the postcode table" in gp_out
    assert counts["malformed"] == 0 and ("outside every ward" in gp_out) == (counts["outside"] > 0)
    assert len(stored(app, "epraccur")) == imported > 100

    lib = pd.read_csv(libraries_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    shut = (lib["closed"].str.strip() != "") | (lib["operation_23"].str.strip() == "Closed")
    open_libs = lib[~shut]
    ok, counts = placed_counts(open_libs["postcode"])
    kept = open_libs[ok.to_numpy()]
    repeats = int(kept.duplicated(["authority", "name", "postcode"]).sum())
    imported = len(kept) - repeats
    print(
        f"Libraries: {len(lib)} rows, {int(shut.sum())} closed, {counts['malformed']} without a usable postcode, "
        f"{counts['unknown']} postcodes not in the table, {imported} imported"
    )
    assert f"read {len(lib)}, imported {imported}, updated 0, skipped {len(lib) - imported}, refused 0." in lib_out
    assert f"skipped {int(shut.sum())}: closed (the register says it has closed)" in lib_out
    assert f"skipped {counts['malformed']}: the postcode is not a UK postcode" in lib_out
    assert f"skipped {counts['unknown']}: the postcode is not in the postcode table" in lib_out
    with app.app_context():
        libraries = list(db.session.scalars(select(Asset).where(Asset.source == "libraries")))
    assert len(libraries) == imported and {a.lad_code for a in [lib_.ward for lib_ in libraries]} >= {"E08000004"}
    assert all(a.category_ids() == ["library"] and a.source_date == "2023" for a in libraries)
