"""Weighting stated need by deprivation, on the gaps page, its export and the CLI."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from webmap.db import db
from webmap.models import Ward


def export(client, **args) -> pd.DataFrame:
    query = "&".join(f"{k}={v}" for k, v in {"category": "food_support", "format": "csv", **args}.items())
    response = client.get(f"/gaps/export?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return pd.read_csv(io.BytesIO(response.data)).set_index("ward_code")


def test_deprivation_weight_raises_demand_in_deprived_wards(sample_app):
    client = sample_app.test_client()
    plain, weighted = export(client), export(client, deprivation="1")
    with sample_app.app_context():
        deciles = {w.code: w.deprivation for w in db.session.query(Ward)}
    asked = plain[plain["need_per_1000"] > 0].index
    # demand_norm is need_per_1000 x factor, divided by the largest such figure; the factor is
    # 1.5 for decile 1 falling to 1.0 for decile 10, so ratios between wards change by the factors.
    factor = {code: 1.5 - 0.5 * (deciles[code] - 1) / 9 for code in asked}
    raw = {code: plain.loc[code, "need_per_1000"] * factor[code] for code in asked}
    top = max(raw.values())
    for code in asked:
        assert weighted.loc[code, "demand_norm"] == pytest.approx(raw[code] / top, rel=1e-6)
    most_deprived = min(asked, key=lambda c: deciles[c])
    least_deprived = max(asked, key=lambda c: deciles[c])
    ratio_plain = plain.loc[most_deprived, "demand_norm"] / plain.loc[least_deprived, "demand_norm"]
    ratio_weighted = weighted.loc[most_deprived, "demand_norm"] / weighted.loc[least_deprived, "demand_norm"]
    assert ratio_weighted > ratio_plain


def test_gaps_page_says_when_need_is_weighted(sample_app):
    client = sample_app.test_client()
    html = client.get("/gaps?category=food_support&deprivation=1").get_data(as_text=True)
    assert "need weighted by deprivation" in html
    assert 'id="deprivation" name="deprivation" type="checkbox" value="1" checked' in html
    assert "deprivation=1" in html.split("GeoPackage")[0]  # the export links keep the choice
    assert "need weighted by deprivation" not in client.get("/gaps?category=food_support").get_data(as_text=True)


def test_gaps_cli_deprivation_flag(sample_app, tmp_path):
    out_plain, out_weighted = tmp_path / "plain.csv", tmp_path / "weighted.csv"
    runner = sample_app.test_cli_runner()
    with sample_app.app_context():
        first = runner.invoke(args=["gaps", "--category", "youth", "--out", str(out_plain)])
        second = runner.invoke(args=["gaps", "--category", "youth", "--deprivation-weight", "--out", str(out_weighted)])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    plain, weighted = pd.read_csv(out_plain), pd.read_csv(out_weighted)
    assert not plain["demand_norm"].equals(weighted["demand_norm"])
