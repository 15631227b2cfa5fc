"""Load the real study area (Oldham, Wigan, Wirral) through the import commands, as scripts/import_study_area.sh does.

Small-area (LSOA) population is placed at points inside each LSOA, the ward table adds deprivation
deciles, and the made-up survey in tests/data/study_area_survey.csv says what residents need.
Skips the calling test when the open data kit is absent (fails it in CI).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import unavailable

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("WEBMAP_SHARED_DATA", REPO.parent / "shared" / "data"))
SURVEY = REPO / "tests" / "data" / "study_area_survey.csv"


def kit(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        unavailable(f"open data kit not found: {path}")
    return path


def invoke(app, *args) -> str:
    with app.app_context():
        result = app.test_cli_runner().invoke(args=[str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def load_study_area(app, population: bool = True, survey: bool = True) -> None:
    """Import the study area's wards, population (LSOA points + ward table), assets and survey."""
    invoke(app, "import-wards", kit("boundaries", "wards", "study_area_wards.geojson"))
    if population:
        invoke(
            app,
            "import-population",
            kit("population", "census2021_lsoa21_usual_residents_by_age_ew.csv.gz"),
            "--lookup",
            kit("lookups", "lsoa_to_ward_best_fit_study_area.csv"),
            "--lsoa-vintage",
            "2021",
            "--areas",
            kit("boundaries", "lsoa", "gm_lsoa2021_bgc.geojson"),
            "--areas",
            kit("boundaries", "lsoa", "wirral_lsoa2011_bgc.geojson"),
            "--areas",
            kit("boundaries", "lsoa", "wirral_lsoa2021_new_codes.geojson"),
        )
        invoke(app, "import-population", kit("population", "ward_population_deprivation_study_area.csv"))
    invoke(
        app,
        "import-assets",
        kit("assets", "study_area", "community_assets_study_area.geojson"),
        "--category-map",
        REPO / "data" / "category_maps" / "study_area.csv",
        "--source",
        "study_area",
    )
    if survey:
        invoke(app, "import-needs", SURVEY, "--source", "study area survey")
