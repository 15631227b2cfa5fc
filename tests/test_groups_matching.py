"""The partner ranking as a pure function: offers meet needs (both ways first), then category, then distance."""

from __future__ import annotations

import pandas as pd
import pytest

from webmap.partners.matching import Listing, is_same_listing, name_key, rank_partners

COMPLEMENTS = {
    "food_support": {"community_space", "faith"},
    "community_space": {"food_support"},
    "faith": {"food_support"},
}
PHRASES = {"kitchen": "a kitchen", "volunteers": "volunteers", "room": "a room to hire", "minibus": "a minibus"}
LABELS = {
    "food_support": "Food support",
    "community_space": "Community space",
    "faith": "Faith",
    "youth": "Youth",
    "gp_practice": "GP practice",
}
PANTRY = Listing(1, "Westcombe Pantry", frozenset({"food_support"}), frozenset({"volunteers"}), frozenset({"kitchen"}))


def table(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["id", "name", "categories", "offers", "needs", "distance_m"])


def rank(*rows, listing=PANTRY, **kw) -> pd.DataFrame:
    return rank_partners(listing, table(*rows), COMPLEMENTS, PHRASES, LABELS, **kw)


def test_both_ways_first_then_more_items_then_category_then_distance():
    ranked = rank(
        (10, "Near hall", ["community_space"], [], [], 100.0),  # category only (complement)
        (11, "Far kitchen", ["youth"], ["kitchen"], ["volunteers"], 1900.0),  # both ways
        (12, "Kitchen only", ["youth"], ["kitchen"], [], 300.0),  # one way
        (13, "Another pantry", ["food_support"], [], [], 50.0),  # same category
        (14, "Kitchen and room", ["youth"], ["kitchen", "room"], [], 800.0),  # one way: room not needed
        (15, "Kitchen, same kind", ["food_support"], ["kitchen"], [], 300.0),  # one way, same category
        (16, "Unrelated", ["youth"], ["minibus"], ["room"], 20.0),  # no match at all
    )
    assert ranked["id"].tolist() == [11, 15, 12, 14, 10, 13]


def test_each_suggestion_says_why_in_plain_words():
    ranked = rank(
        (11, "Far kitchen", ["community_space"], ["kitchen"], ["volunteers"], 412.4),
        (13, "Another pantry", ["food_support", "gp_practice"], [], [], 50.0),
    )
    assert ranked["reason"].tolist() == [
        "offers a kitchen, which you need; needs volunteers, which you offer; "
        "community spaces go well with your food support services; 412 m away",
        "also food support services; 50 m away",
    ]


def test_a_listing_is_never_its_own_partner_nor_a_same_name_record_at_the_same_place():
    ranked = rank(
        (1, "Westcombe Pantry", ["food_support"], ["kitchen"], [], 0.0),
        (2, "WESTCOMBE  PANTRY!", ["faith"], ["kitchen"], [], 30.0),  # same place, same name
        (3, "The Westcombe Pantry", ["faith"], [], [], 49.9),  # "The" ignored
        (4, "Westcombe Pantry", ["faith"], [], [], 537.0),  # same name, elsewhere
        (5, "Westcombe Pantry Cafe", ["faith"], [], [], 10.0),
    )  # another name
    assert ranked["id"].tolist() == [5, 4]


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("Tea & Chat", "tea and chat", True),
        ("St. Anne's Church", "St Anne s church", True),
        ("The Hub", "Hub", True),
        ("Food Bank", "Food Bank North", False),
        ("", "", True),
    ],
)
def test_name_key(a, b, same):
    assert (name_key(a) == name_key(b)) is same


def test_same_place_distance_is_a_parameter():
    assert is_same_listing(PANTRY, 9, "Westcombe Pantry", 80.0, same_place_m=100)
    assert not is_same_listing(PANTRY, 9, "Westcombe Pantry", 80.0)


def test_an_empty_layer_gives_an_empty_table_with_the_columns():
    ranked = rank()
    assert ranked.empty and {"id", "reason", "ways"} <= set(ranked.columns)


def test_a_listing_with_no_categories_offers_or_needs_has_no_partners():
    alone = Listing(7, "Alone", frozenset(), frozenset(), frozenset())
    assert rank((10, "Hall", ["community_space"], ["room"], ["kitchen"], 10.0), listing=alone).empty


def test_the_input_is_not_changed():
    candidates = table((11, "Far kitchen", ["youth"], ["kitchen"], [], 10.0))
    before = candidates.copy()
    rank_partners(PANTRY, candidates, COMPLEMENTS, PHRASES, LABELS)
    pd.testing.assert_frame_equal(candidates, before)


@pytest.mark.parametrize(
    "bad, message",
    [
        (pd.DataFrame({"id": [1], "name": ["x"]}), "missing categories, offers, needs, distance_m"),
        (table((2, "x", [], [], [], float("nan"))), "distance_m must be metres"),
        (table((2, "x", [], [], [], -5.0)), "found -5.0"),
    ],
)
def test_bad_input_is_refused_with_the_reason(bad, message):
    with pytest.raises(ValueError, match=message):
        rank_partners(PANTRY, bad, COMPLEMENTS, PHRASES, LABELS)


def test_a_negative_same_place_distance_is_refused():
    with pytest.raises(ValueError, match="same_place_m must be a distance"):
        rank((2, "x", [], [], [], 5.0), same_place_m=-1)
