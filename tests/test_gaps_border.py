"""Places just outside the area: kept at import, counted for access, never a ward's own place.

One 2 km ward in British National Grid. A library stands 125 m beyond its east edge. Residents:
600 at a small-area point 100 m inside that edge (225 m from the library) and 400 at a point
1,825 m away. With an 800 m walk, 60% of the ward can reach the library although no library is in it.
"""

from __future__ import annotations

import io
import json
import re

import geopandas as gpd
import pandas as pd
from shapely import Point, box

from webmap.core.db import db
from webmap.core.models import Asset, Need, PopulationArea

BNG = "EPSG:27700"
WARD = "E05000001"


def write(frame: gpd.GeoDataFrame, path) -> str:
    frame.to_crs(4326).to_file(path, driver="GeoJSON")
    return str(path)


def run(app, *args):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=[str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def border_area(app, tmp_path) -> str:
    ward = gpd.GeoDataFrame(
        {"ward_code": [WARD], "ward_name": ["Edge"], "population": [1000]},
        geometry=[box(390000, 400000, 392000, 402000)],
        crs=BNG,
    )
    run(app, "import-wards", write(ward, tmp_path / "ward.geojson"))
    places = gpd.GeoDataFrame(
        {"name": ["Over the Border Library", "Far Away Library"], "category": ["library"] * 2},
        geometry=[Point(392125, 401000), Point(395000, 401000)],
        crs=BNG,
    )
    output = run(app, "import-assets", write(places, tmp_path / "places.geojson"))
    people = gpd.GeoSeries([Point(391900, 401000), Point(390300, 401000)], crs=BNG).to_crs(4326)
    with app.app_context():
        for code, pop, pt in zip(["L1", "L2"], [600.0, 400.0], people):
            db.session.add(PopulationArea(code=code, ward_code=WARD, population=pop, lon=pt.x, lat=pt.y))
        db.session.add(Need(ward_code=WARD, category_id="library", count=12, source="test"))
        db.session.commit()
    return output


def test_place_125_m_outside_gives_access_and_counts_within_800_m(app, tmp_path):
    output = border_area(app, tmp_path)
    # Kept "outside the area" (within 800 m of a ward); the one 3 km away is refused with the reason.
    assert "kept 1 place outside the area but within 800 m of a ward" in output
    assert "skipped 1: the point is more than 800 m outside every ward" in output
    with app.app_context():
        kept = db.session.scalars(db.select(Asset)).all()
    assert [(a.name, a.ward_code) for a in kept] == [("Over the Border Library", None)]

    client = app.test_client()
    frame = pd.read_csv(io.BytesIO(client.get("/gaps/export?category=library&format=csv").data)).set_index("ward_code")
    row = frame.loc[WARD]
    assert row["assets_in_ward"] == 0 and row["assets_within_distance"] == 1
    assert row["access_share"] == 0.6 and row["unmet_share"] == 0.4

    html = client.get("/gaps?category=library").get_data(as_text=True)
    heads = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html, re.S)]
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", body, re.S)]
    shown = dict(zip(heads, cells))
    assert shown["Places in ward"] == "0" and shown["Places in or within 800 m"] == "1"
    assert shown["Residents within 800 m of one"] == "60%"

    profile = client.get(f"/wards/{WARD}").get_data(as_text=True)
    library = profile.split(">Library</th>")[1].split("</tr>")[0]
    assert re.findall(r'<td class="num"[^>]*>([^<]*)</td>', library)[2:5] == ["0", "1", "60%"]
    assert "Over the Border Library" not in profile.split('id="assets-heading"')[1]  # not the ward's own place

    home = client.get("/").get_data(as_text=True)
    assert "outside the area" in home.split('id="asset-list"')[1]
    assert 'Faded markers labelled "outside the area"' in home and "(1 on this map)" in home
    rows = json.loads(re.search(r"var rows = (\[.*?\]);", home, re.S).group(1))
    assert rows[0][3] == "Over the Border Library" and rows[0][7] == 1
