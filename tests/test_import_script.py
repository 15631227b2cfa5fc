"""scripts/import_study_area.sh loads the whole real study area into the configured database."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import BASE_CONFIG, shared_data
from webmap import create_app
from webmap.core.db import db
from webmap.core.models import Asset, DataSource, PopulationArea, Postcode, Ward

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "import_study_area.sh"


@pytest.mark.realdata
def test_import_study_area_script(tmp_path):
    data = shared_data()
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    env = {**os.environ, "WEBMAP_DATABASE_URL": url, "FLASK": str(REPO / ".venv" / "bin" / "flask")}

    done = subprocess.run(
        ["bash", str(SCRIPT), str(data)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "read 67, imported 67" in done.stdout
    assert "read 1565, imported 1565, updated 0, skipped 0, refused 0." in done.stdout
    app = create_app({**BASE_CONFIG, "DATABASE_URL": url})
    with app.app_context():

        def n(model):
            return db.session.scalar(select(func.count()).select_from(model))

        assert (n(Ward), n(Postcode), n(PopulationArea), n(Asset)) == (67, 22_575, 551, 1565)
        assert db.session.scalar(select(func.sum(Ward.population))) == 242_104 + 329_339 + 320_197
        assert db.session.scalar(select(func.count()).select_from(Ward).where(Ward.deprivation.is_(None))) == 0
        # Every LSOA got a point from the boundary files, so the access analysis uses where people live.
        assert (
            db.session.scalar(select(func.count()).select_from(PopulationArea).where(PopulationArea.lon.is_(None))) == 0
        )
        sources = dict(db.session.execute(select(DataSource.name, DataSource.attribution)).all())
        db.session.remove()
        db.engine.dispose()
    # Readable names with a publisher, licence and date each, not raw file names.
    assert set(sources) == {
        "Ward boundaries (May 2023; Wirral December 2013)",
        "Code-Point Open postcodes",
        "Census 2021 usual residents by small area (LSOA)",
        "Ward population and deprivation (IMD 2019 deciles)",
        "Community assets: GP practices, schools, libraries and more",
    }
    assert "Royal Mail" in sources["Code-Point Open postcodes"]
    assert all("Open Government Licence" in text or "OGL" in text for text in sources.values())


def test_script_refuses_a_missing_data_folder(tmp_path):
    env = {**os.environ, "WEBMAP_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    done = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path / "nowhere")], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "No open data kit" in done.stderr
    assert not (tmp_path / "x.sqlite").exists()
