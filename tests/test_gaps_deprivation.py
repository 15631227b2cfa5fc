"""Weighting stated need by deprivation, on the gaps page, its export and the CLI."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from webmap.core.db import db
from webmap.core.models import Ward


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
    # Unmet need is multiplied by 1.5 in decile 1, falling evenly to 1.0 in decile 10.
    for code in plain.index:
        factor = 1.5 - 0.5 * (deciles[code] - 1) / 9
        assert weighted.loc[code, "deprivation_factor"] == pytest.approx(factor)
        assert weighted.loc[code, "gap_score"] == pytest.approx(plain.loc[code, "gap_score"] * factor, abs=2e-6)
    asked = plain[plain["gap_score"] > 0].index
    most_deprived = min(asked, key=lambda c: deciles[c])
    least_deprived = max(asked, key=lambda c: deciles[c])
    ratio_plain = plain.loc[most_deprived, "gap_score"] / plain.loc[least_deprived, "gap_score"]
    ratio_weighted = weighted.loc[most_deprived, "gap_score"] / weighted.loc[least_deprived, "gap_score"]
    assert ratio_weighted > ratio_plain


def test_no_deciles_disables_the_option_with_a_reason(sample_app, tmp_path):
    with sample_app.app_context():
        for ward in db.session.query(Ward):
            ward.deprivation = None
        db.session.commit()
    client = sample_app.test_client()
    html = client.get("/gaps?category=food_support&deprivation=1").get_data(as_text=True)
    assert 'type="checkbox" value="1" disabled' in html
    assert "Not available: no ward has a deprivation decile yet" in html
    assert "need weighted by deprivation" not in html
    assert "it had no effect" in html
    out = tmp_path / "x.csv"
    with sample_app.app_context():
        result = sample_app.test_cli_runner().invoke(args=["gaps", "--deprivation-weight", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "no ward has a deprivation decile, so it had no effect" in result.output


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
    assert not plain["gap_score"].equals(weighted["gap_score"])
