"""Complementary categories are data: valid taxonomy ids, symmetric, and each matches itself."""

from __future__ import annotations

import csv

import pytest

from webmap.core.config import REPO_ROOT
from webmap.partners.complements import load_complements, partner_categories

DATA = REPO_ROOT / "data"


def taxonomy_ids() -> set[str]:
    with open(DATA / "categories.csv", newline="", encoding="utf-8") as handle:
        return {row["id"] for row in csv.DictReader(handle)}


def test_every_id_in_the_file_is_in_the_taxonomy():
    known = taxonomy_ids()
    with open(DATA / "category_complements.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    unknown = {
        (r["category"], r["complements"]) for r in rows if r["category"] not in known or r["complements"] not in known
    }
    assert not unknown


def test_pairs_work_both_ways():
    table = load_complements()
    for cid, others in table.items():
        for other in others:
            assert cid in table[other]
    assert "community_space" in table["food_support"] and "food_support" in table["community_space"]
    assert "sport" in table["youth"] and "youth" in table["sport"]


def test_partner_categories_include_the_category_itself():
    assert partner_categories(["youth"]) == sorted({"youth", *load_complements()["youth"]})
    # A category with no listed partners matches only itself.
    assert partner_categories(["public_service"]) == ["public_service"]
    assert partner_categories([]) == []


def test_a_malformed_file_is_named(tmp_path):
    bad = tmp_path / "complements.csv"
    bad.write_text("category,complements\nyouth,\n")
    with pytest.raises(ValueError, match="row 2"):
        load_complements(bad)
