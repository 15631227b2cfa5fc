"""Compressed files are read with a limit on how big they unpack; bombs are refused in plain words, naming the file.

Before the fix a 2.1 MB .csv.gz that unpacks to 2 GiB made the browser import's check process grow until it
crashed, and the job went back to "uploaded" with no reason; the command line had no limit either, for gzip,
bzip2 or xz; a zip bomb was reported as "index 0 is out of bounds"; and a file GDAL could not read was reported
with the server's path ('/…/instance/imports/2/garbage.geojson').
"""

from __future__ import annotations

import bz2
import gc
import gzip
import lzma
import re
import warnings
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import REPO
from tests.test_imports_web import admin, import_app, job_id_of, upload, wait  # noqa: F401 (fixtures)
from webmap.core.db import db
from webmap.core.models import Asset, ImportJob

# Werkzeug's test client spools a large upload body to a temporary file it never closes; the garbage
# collector reports it during whichever test runs next.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def _collect_the_spools():
    """Collect the test client's spooled upload bodies before the next test, whose own warnings count.

    Left to the garbage collector, one was reported in another module's test (CI, test_init_db_keeps_data).
    """
    yield
    gc.collect()


MIB = 1 << 20
SERVER_PATH = re.compile(r"/(tmp|work|home|root|var|srv|opt)/|instance/imports")


def gzip_bomb(path: Path, unpacked_mib: int) -> Path:
    """Write a gzip file of `unpacked_mib` MiB of zeros, quickly: one small member repeated."""
    member = gzip.compress(b"\0" * MIB, compresslevel=9)
    with open(path, "wb") as out:
        for _ in range(unpacked_mib):
            out.write(member)
    return path


def zip_bomb(path: Path, unpacked_mib: int, inner: str = "wards.geojson") -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(inner, "w", force_zip64=True) as member:
            for _ in range(unpacked_mib):
                member.write(b"\0" * MIB)
    return path


BOMBS = {
    "gzip": lambda tmp: gzip_bomb(tmp / "places.csv.gz", 40),
    "bzip2": lambda tmp: _whole(tmp / "places.csv.bz2", bz2.compress(b"\0" * 40 * MIB, 9)),
    "xz": lambda tmp: _whole(tmp / "places.csv.xz", lzma.compress(b"\0" * 40 * MIB)),
    "zip": lambda tmp: zip_bomb(tmp / "wards.zip", 40),
}


def _whole(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _run(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=[str(a) for a in args])


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_command_line_refuses_each_bomb_over_the_size_limit(make_app, tmp_path, kind):
    app = make_app(MAX_UNPACKED_MB=5, MAX_UNPACK_RATIO=100_000)
    path = BOMBS[kind](tmp_path)
    command = "import-wards" if kind == "zip" else "import-assets"
    result = _run(app, command, path)
    assert result.exit_code == 1, result.output
    assert f"{path.name}: unpacks to more than 5 MB (the WEBMAP_MAX_UNPACKED_MB setting)" in result.output
    assert "index 0 is out of bounds" not in result.output and not SERVER_PATH.search(result.output)


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_command_line_refuses_each_bomb_by_its_ratio(make_app, tmp_path, kind):
    app = make_app()  # the default limits: 2,000 MB, 100 times
    path = BOMBS[kind](tmp_path)
    result = _run(app, "import-wards" if kind == "zip" else "import-assets", path)
    assert result.exit_code == 1, result.output
    assert f"{path.name}: unpacks to more than 100 times its packed size" in result.output
    assert "likely 'zip bomb'" in result.output


def test_real_compressed_registers_still_import(make_app, tmp_path):
    """The limits leave real data alone: a national register as published (.csv.gz) packs about 3 times."""
    from tests.conftest import shared_data
    from webmap.importers.compressed import unpacked

    path = shared_data("assets", "national", "epraccur_2021-11.csv.gz")
    with make_app().app_context(), unpacked(path) as plain:
        assert plain.stat().st_size > 3_000_000 and plain.name == "epraccur_2021-11.csv"


def test_browser_import_refuses_a_two_gigabyte_gzip_bomb_and_the_job_says_why(import_app, admin, tmp_path):  # noqa: F811
    bomb = gzip_bomb(tmp_path / "Summer survey places.csv.gz", 2048)  # about 2.1 MB, unpacking to 2 GiB
    assert bomb.stat().st_size < 2_500_000
    job = job_id_of(upload(admin, bomb))
    status = wait(admin, job, timeout=180)
    assert status["state"] == "checked"  # the check ran to its end: nothing crashed
    with import_app.app_context():
        found = db.session.get(ImportJob, job)
        [[file, row, field, reason]] = found.preview["problems"]
        assert found.preview["refused"] is True
        assert db.session.scalar(select(func.count()).select_from(Asset)) == 0
    assert file == "Summer survey places.csv.gz"  # the name it was uploaded with
    assert reason.startswith("unpacks to more than 100 times its packed size") and "zip bomb" in reason
    page = admin.get(f"/imports/{job}").get_data(as_text=True)
    assert "unpacks to more than 100 times its packed size" in page and not SERVER_PATH.search(page)


def test_browser_import_refuses_a_zip_bomb_in_plain_words(make_app, tmp_path):
    from tests.conftest import empty_database, login, make_staff

    app = make_app(IMPORT_FOLDER=str(tmp_path / "imports"), MAX_UNPACKED_MB=5)
    with app.app_context():
        empty_database()
    make_staff(app, "admin@example.gov.uk", role="admin")
    client = app.test_client()
    login(client, "admin@example.gov.uk")
    job = job_id_of(upload(client, zip_bomb(tmp_path / "wards.zip", 40), kind="wards"))
    wait(client, job)
    with app.app_context():
        [[file, _, _, reason]] = db.session.get(ImportJob, job).preview["problems"]
    assert file == "wards.zip" and reason.startswith("unpacks to more than 5 MB")


def test_unreadable_gis_file_is_named_as_uploaded_with_no_server_path(import_app, admin, tmp_path):  # noqa: F811
    garbage = tmp_path / "my wards.geojson"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n this is a picture, not GeoJSON")
    job = job_id_of(upload(admin, garbage, kind="wards"))
    wait(admin, job)
    with import_app.app_context():
        [[file, _, _, reason]] = db.session.get(ImportJob, job).preview["problems"]
    assert file == "my wards.geojson"
    assert reason.startswith("cannot be read as a GIS file: it is not a GIS file this map can read"), reason
    page = admin.get(f"/imports/{job}").get_data(as_text=True) + admin.get(f"/imports/{job}/problems.csv").get_data(
        as_text=True
    )
    assert "my wards.geojson" in page and not SERVER_PATH.search(page) and "imports/" not in reason


def test_a_zip_without_a_gis_file_says_what_it_holds(make_app, tmp_path):
    path = tmp_path / "wards.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "no map here")
    result = _run(make_app(), "import-wards", path)
    assert result.exit_code == 1
    assert "wards.zip: holds no GIS file" in result.output and "readme.txt" in result.output


def test_a_zipped_shapefile_still_imports(app, tmp_path):
    import geopandas as gpd

    frame = gpd.read_file(REPO / "data" / "boundaries" / "sample_wards.geojson")
    folder = tmp_path / "shp"
    folder.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL says it cut long column names (name_cy's siblings) to 10 characters
        frame.to_file(folder / "wards.shp")
    path = tmp_path / "wards.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, f"Wards_2024/{part.name}")
    result = _run(app, "import-wards", path)
    assert result.exit_code == 0, result.output
    assert "read 16, imported 16" in result.output
