"""Setting up: init-db and load-sample are safe to repeat; configuration comes from defaults, env, then tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from alembic.script import ScriptDirectory
from sqlalchemy import text

from tests.importing_helpers import count, run
from webmap import create_app
from webmap.core.db import MIGRATIONS_DIR, db
from webmap.core.models import Asset, Category, DataSource, Need, Postcode, Ward, asset_categories

REPO = Path(__file__).resolve().parent.parent
MODELS = [Ward, Category, Asset, Need, Postcode, DataSource]


def counts(app) -> dict[str, int]:
    found = {m.__name__: count(app, m) for m in MODELS}
    with app.app_context():
        found["asset_categories"] = db.session.execute(text(f"SELECT count(*) FROM {asset_categories.name}")).scalar()
    return found


def test_init_db_twice_is_fine(app):
    taxonomy = len(pd.read_csv(REPO / "data" / "categories.csv"))

    first = run(app, "init-db")
    second = run(app, "init-db")

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "Database ready" in second.output
    assert count(app, Category) == taxonomy
    with app.app_context():
        heads = ScriptDirectory(str(Path(MIGRATIONS_DIR))).get_heads()
        assert len(heads) == 1, f"migrations must form one line, found heads {heads}"
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == heads


def test_init_db_keeps_data(sample_app):
    before = counts(sample_app)
    assert run(sample_app, "init-db").exit_code == 0
    assert counts(sample_app) == before


def test_load_sample_twice_duplicates_nothing(app):
    first = run(app, "load-sample")
    assert first.exit_code == 0, first.output
    after_first = counts(app)
    assert after_first["Ward"] == 16 and after_first["Asset"] == 305 and after_first["Need"] > 0

    second = run(app, "load-sample")

    assert second.exit_code == 0, second.output
    assert "already has wards; sample area not loaded" in second.output
    assert counts(app) == after_first


def test_load_sample_forced_again_updates_in_place(app):
    assert run(app, "load-sample").exit_code == 0
    after_first = counts(app)

    forced = run(app, "load-sample", "--force")

    assert forced.exit_code == 0, forced.output
    assert "imported 0, updated 16" in forced.output  # the wards
    assert counts(app) == after_first


def test_config_precedence(monkeypatch, tmp_path):
    env_db = f"sqlite:///{tmp_path / 'from_env.sqlite'}"
    monkeypatch.setenv("WEBMAP_DATABASE_URL", env_db)
    monkeypatch.setenv("WEBMAP_PAGE_SIZE", "7")
    monkeypatch.setenv("WEBMAP_AREA_NAME", "From the environment")
    monkeypatch.setenv("WEBMAP_SECRET_KEY", "env-secret")
    monkeypatch.setenv("WEBMAP_MAX_UPLOAD_MB", "3")

    app = create_app({"AREA_NAME": "From the test", "TILES_URL": ""})

    assert app.config["AREA_NAME"] == "From the test"  # test override beats env
    assert app.config["PAGE_SIZE"] == 7  # env beats default, read as a number
    assert app.config["SECRET_KEY"] == "env-secret"
    assert app.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024
    assert app.config["ACCESS_DISTANCE_M"] == 800  # default
    assert app.config["SQLALCHEMY_DATABASE_URI"] == env_db
    with app.app_context():
        assert db.engine.url.database == str(tmp_path / "from_env.sqlite")
        db.engine.dispose()

    overridden = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'from_test.sqlite'}"})
    assert overridden.config["SQLALCHEMY_DATABASE_URI"].endswith("from_test.sqlite")
    assert overridden.config["AREA_NAME"] == "From the environment"


def test_sqlite_default_lives_under_instance(monkeypatch):
    for name in ("WEBMAP_DATABASE_URL", "WEBMAP_SECRET_KEY", "WEBMAP_INSTANCE_PATH"):
        monkeypatch.delenv(name, raising=False)

    app = create_app()

    instance = Path(app.instance_path)
    assert instance == REPO / "instance"
    assert instance.is_dir()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'webmap.sqlite'}"
    with app.app_context():
        assert db.engine.dialect.name == "sqlite"
        assert Path(db.engine.url.database).parent == instance
        db.engine.dispose()
    assert app.config["SECRET_KEY"] == (instance / "secret_key").read_text().strip()


def test_instance_folder_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WEBMAP_INSTANCE_PATH", str(tmp_path / "shared-instance"))
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    assert Path(app.instance_path) == tmp_path / "shared-instance" and Path(app.instance_path).is_dir()
