"""A module-scoped site serving the real open data kit (Oldham, Wigan, Wirral), for browser tests.

Import it into a test module with `from tests.browser.realkit import real_site  # noqa: F401`.
Skipped cleanly when the kit is absent (failed in CI).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import unavailable
from webmap import create_app
from webmap.core.db import db
from webmap.core.models import Asset, Postcode, Ward

REPO = Path(__file__).resolve().parents[2]
KIT = Path(os.environ.get("WEBMAP_SHARED_DATA", REPO.parent / "shared" / "data"))
FILES = {
    "wards": KIT / "boundaries" / "wards" / "study_area_wards.geojson",
    "population": KIT / "population" / "ward_population_deprivation_study_area.csv",
    "postcodes": KIT / "postcodes" / "codepoint_open_2025-10_study_area.csv",
    "assets": KIT / "assets" / "study_area" / "community_assets_study_area.geojson",
}


def load_kit(survey: Path) -> dict[str, str]:
    """Import the kit as a council would (inside an app context); return ids for page paths."""
    from webmap.importers.assets import import_assets
    from webmap.importers.categories import read_category_map
    from webmap.importers.needs import import_needs
    from webmap.importers.population import import_population
    from webmap.importers.postcodes import import_postcodes
    from webmap.importers.wards import import_wards
    from webmap.imports.commands import record_source, transaction

    with transaction():
        import_wards(FILES["wards"])
        import_population(FILES["population"])
        import_postcodes(FILES["postcodes"])
        import_assets(
            FILES["assets"],
            source="study_area",
            category_map=read_category_map(REPO / "data" / "category_maps" / "study_area.csv"),
        )
        record_source(
            "Ward boundaries (May 2023)",
            "Source: Office for National Statistics licensed under the Open Government Licence v3.0.",
            "Open Government Licence v3.0",
            "Office for National Statistics",
            "2023-05",
        )
    busiest = db.session.execute(
        select(Asset.ward_code, func.count())
        .where(Asset.status == "approved")
        .group_by(Asset.ward_code)
        .order_by(func.count().desc())
    ).first()[0]
    lines = ["ward_code,category,count"] + [
        f"{busiest},{c},{n}" for c, n in (("gp_practice", 30), ("library", 5), ("food_support", 12), ("youth", 8))
    ]
    survey.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with transaction():
        import_needs(survey, source="acceptance survey")
    asset = db.session.scalars(
        select(Asset.id).where(Asset.ward_code == busiest, Asset.status == "approved").order_by(Asset.id)
    ).first()
    postcode = db.session.scalars(
        select(Postcode.postcode).where(Postcode.ward_code == busiest).order_by(Postcode.postcode)
    ).first()
    return {"ward": busiest, "asset": str(asset), "postcode": str(postcode)}


@pytest.fixture(scope="module")
def real_site(database_url, request, tmp_path_factory):
    """Serve the real kit for the whole module; skip (fail in CI) when the kit is absent."""
    missing = [str(p) for p in FILES.values() if not p.exists()]
    if missing:
        unavailable(f"open data kit not found: {missing[0]}")
    from werkzeug.security import generate_password_hash

    from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD, Site, serving
    from webmap.core.models import User
    from webmap.importers.categories import import_categories

    base = request.config.pluginmanager.get_plugin(str(REPO / "tests" / "conftest.py"))
    app = create_app({**base.BASE_CONFIG, "DATABASE_URL": database_url})
    with app.app_context():
        base.empty_database()
        import_categories(REPO / "data" / "categories.csv")
        db.session.add(
            User(
                email=STAFF_EMAIL,
                password_hash=generate_password_hash(STAFF_PASSWORD),
                role="moderator",
                can_import=True,
            )
        )  # an admin has allowed this moderator to import data
        db.session.commit()
        ids = load_kit(tmp_path_factory.mktemp("kit") / "survey.csv")
    with serving(app) as url:
        yield Site(url, app, ids)


__all__ = ["real_site", "Ward"]
