"""Imported data reads like the place it is: kinds per category, unnamed records named from what and where,
and register records refreshed by their register are not left on the stale list."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import REPO, shared_data
from tests.importing_helpers import WARD_A, load_two_wards, run, write_csv
from tests.test_import_registers import IN_A, IN_B, gias_file, ok
from webmap.core.db import db
from webmap.core.models import Asset, Ward
from webmap.importers.naming import street_of, unnamed_name, what_it_is

STUDY_MAP = REPO / "data" / "category_maps" / "study_area.csv"


@pytest.mark.parametrize(
    "address, street",
    [
        ("12 Union Street, Oldham", "Union Street"),
        ("Delamere Street, Oldham", "Delamere Street"),
        ("Flat 2, 4a Heol y Frenhines, Llanelli", None),
        ("St Mary's Church, Church Lane, Wigan", "Church Lane"),
        ("Oldham", None),
        (None, None),
    ],
)
def test_street_of_an_address(address, street):
    assert street_of(address) == street


def test_an_unnamed_record_is_named_from_what_and_where():
    assert (
        unnamed_name(what_it_is("Place Of Worship"), "3 Union Street, Oldham", "Coldhurst")
        == "Place of worship, Union Street"
    )
    assert unnamed_name(what_it_is(None, "post_office"), None, "Werneth") == "Post office, Werneth"
    assert unnamed_name(what_it_is(float("nan"), "", "Fire station"), None, None, "OL1 1AA") == "Fire station, OL1 1AA"
    assert unnamed_name(what_it_is(None), None, None) == "Place"


@pytest.fixture
def wards_app(app, tmp_path):
    load_two_wards(app, tmp_path)
    return app


def test_a_category_map_sets_kinds_and_unnamed_rows_are_named_and_marked(wards_app, tmp_path):
    path = write_csv(
        tmp_path / "places.csv",
        ["name", "category", "subcategory", "address", "longitude", "latitude"],
        [
            ["St Anne's", "place_of_worship", "Place Of Worship", "", *IN_A],
            ["", "place_of_worship", "Place Of Worship", "7 Union Street, Oldham", *IN_A],
            ["", "post_office", "", "", *IN_B],
            ["Hope Pantry", "food_bank", "Food bank", "", *IN_B],
            ["Town Library", "library", "", "", *IN_A],
        ],
    )
    ok(run(wards_app, "import-assets", path, "--category-map", STUDY_MAP, "--source", "kit"))
    with wards_app.app_context():
        ward_b = db.session.get(Ward, db.session.scalar(select(Ward.id).where(Ward.code != WARD_A)))
        found = {a.name: (a.kind, a.name_given) for a in db.session.scalars(select(Asset))}
    assert found == {
        "St Anne's": ("venue", True),
        "Place of worship, Union Street": ("venue", False),
        f"Post office, {ward_b.name}": ("business", False),
        "Hope Pantry": ("group", True),
        "Town Library": ("venue", True),
    }
    # The listing says the name was not given, and the record is still found by what it is.
    with wards_app.app_context():
        made_up = db.session.scalar(select(Asset.id).where(Asset.name == "Place of worship, Union Street"))
    page = wards_app.test_client().get(f"/assets/{made_up}").get_data(as_text=True)
    assert "Name not given" in page
    # A row's own kind column still wins over the map.
    again = write_csv(
        tmp_path / "again.csv",
        ["name", "category", "kind", "longitude", "latitude"],
        [["Hope Pantry", "food_bank", "service", *IN_B]],
    )
    ok(run(wards_app, "import-assets", again, "--category-map", STUDY_MAP, "--source", "kit2"))
    with wards_app.app_context():
        assert db.session.scalar(select(Asset.kind).where(Asset.source == "kit2")) == "service"


def test_a_bad_kind_in_a_category_map_is_refused_naming_the_row(wards_app, tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text("value,category,kind\nfood_bank,food_support,charity\n")
    path = write_csv(tmp_path / "p.csv", ["name", "category", "longitude", "latitude"], [["X", "food_bank", *IN_A]])
    result = run(wards_app, "import-assets", path, "--category-map", mapping)
    assert (
        result.exit_code != 0
        and "map.csv" in result.output
        and "row 2" in result.output
        and "'charity'" in result.output
    )


def _stale_ids(app) -> set[int]:
    from webmap.places.freshness import stale_query

    with app.app_context():
        return {a.id for a in db.session.scalars(stale_query(int(app.config["STALE_AFTER_MONTHS"])))}


def _age_register_checks(app, months: int) -> None:
    with app.app_context():
        for asset in db.session.scalars(select(Asset).where(Asset.source_checked_at.is_not(None))):
            asset.source_checked_at -= timedelta(days=31 * months)
        db.session.commit()


def test_register_records_refreshed_by_their_register_are_not_stale(wards_app, tmp_path):
    # The extract is 18 months old: by its date alone every school would be on the stale list.
    ok(run(wards_app, "import-assets", gias_file(tmp_path), "--source-date", "2025-05-24"))
    other = write_csv(
        tmp_path / "old.csv",
        ["name", "category", "source_date", "longitude", "latitude"],
        [["Old Hall", "community_space", "2018", *IN_A]],
    )
    ok(run(wards_app, "import-assets", other, "--source", "old list"))
    with wards_app.app_context():
        ids = {(a.source_id if a.source == "gias" else a.name): a.id for a in db.session.scalars(select(Asset))}
        assert db.session.scalar(select(Asset.kind).where(Asset.source == "gias")) == "venue"
    # Day one: the register vouched for its schools today; the 2018 list needs a person.
    assert _stale_ids(wards_app) == {ids["Old Hall"]}

    _age_register_checks(wards_app, 13)  # a year on, nobody re-imported the register
    assert _stale_ids(wards_app) >= {ids["100"], ids["101"]}

    # The register is imported again, without school 101 (it closed, or moved out of the file).
    rows = (tmp_path / "edubasealldata20250524.csv").read_text(encoding="cp1252").splitlines()
    (tmp_path / "edubasealldata20261101.csv").write_text(
        "\n".join(r for r in rows if not r.startswith('"101"')) + "\n", encoding="cp1252"
    )
    ok(run(wards_app, "import-assets", tmp_path / "edubasealldata20261101.csv", "--source-date", "2026-11-01"))
    stale = _stale_ids(wards_app)
    assert ids["100"] not in stale  # refreshed by its register: checked by its source
    assert ids["101"] in stale  # the register no longer lists it: a person must check it


def test_on_the_real_kit_no_listing_is_unnamed_and_kinds_are_varied(app):
    path = shared_data("assets", "study_area", "community_assets_study_area.geojson")
    ok(run(app, "import-wards", shared_data("boundaries", "wards", "study_area_wards.geojson")))
    ok(run(app, "import-assets", path, "--category-map", STUDY_MAP))
    with app.app_context():
        rows = db.session.execute(select(Asset.name, Asset.kind, Asset.name_given)).all()
    names = Counter(name.split(",")[0] for name, _, given in rows if not given)
    kinds = Counter(kind for _, kind, _ in rows)
    print(f"\nreal kit: {len(rows)} places; kinds {dict(kinds)}; named from what and where: {dict(names)}")
    assert not [name for name, _, _ in rows if name.lower().startswith("unnamed")]
    assert sum(names.values()) == 194 and set(names) == {"Place of worship", "Post office", "Fire station"}
    assert set(kinds) == {"group", "business", "venue", "service"} and max(kinds.values()) < len(rows) * 0.6
