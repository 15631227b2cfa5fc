"""Category names read as English inside sentences: plural and article forms from data/category_words.csv."""

from __future__ import annotations

import csv
from datetime import date, datetime

import pandas as pd
import pytest

from tests.conftest import REPO
from webmap.core.wording import category_words, counted
from webmap.feedback.trends import sentence, trend
from webmap.gaps.history import Point
from webmap.partners.matching import Listing, rank_partners

with open(REPO / "data" / "categories.csv", encoding="utf-8") as _file:
    CATEGORIES = {row["id"]: row["label"] for row in csv.DictReader(_file)}
VOWELS = tuple("aeiou")


def point(need) -> Point:
    day = "2027-03-31"
    return Point(
        date.fromisoformat(day), datetime.fromisoformat(day), "round", "Spring 2027", 800.0, need, 0.5, 1, 0.1, {}
    )


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_every_category_has_a_noun_for_sentences(category):
    label = CATEGORIES[category]
    words = category_words(category, label)
    article, noun = words.one.split(" ", 1)
    assert article == ("an" if noun[0].lower() in VOWELS else "a"), words.one
    assert noun == words.singular
    # "Coldhurst needs youth" was the bug: a label is a heading ("Youth"), often not a thing one can need.
    assert words.many != label.lower(), words


@pytest.mark.parametrize(
    ("n", "said"),
    [
        (1, "1 request"),
        (2, "2 requests"),
        (0, "0 requests"),
        (1.5, "1.5 requests"),
        (None, "an unknown number of requests"),
    ],
)
def test_counted_nouns_agree_with_their_number(n, said):
    assert counted(n, "request") == said


def test_trend_sentences_count_one_request_in_the_singular():
    assert sentence("Youth", [point(1)], 800).startswith("Youth: 1 request counted in Spring 2027;")
    assert "1 requests" not in sentence("Youth", [point(1), point(1)], 800)
    assert sentence("Youth", [point(1), point(3)], 800).startswith("Youth: 1 request in Spring 2027, 3 in Spring 2027;")


def test_trend_charts_name_the_category_as_a_noun():
    charts = trend("youth", "Youth", [point(1), point(3)], 800)
    assert "Stated need for youth services over time" in charts.need_chart
    assert "Share of residents within 800 m of a youth service over time" in charts.access_chart


def test_partner_reasons_name_categories_as_plural_nouns():
    labels = dict(CATEGORIES)
    listing = Listing(1, "Westcombe Youth Club", frozenset({"youth"}), frozenset(), frozenset())
    rows = pd.DataFrame(
        [(2, "Community hall", ["community_space"], [], [], 400.0), (3, "Another club", ["youth"], [], [], 50.0)],
        columns=["id", "name", "categories", "offers", "needs", "distance_m"],
    )
    ranked = rank_partners(listing, rows, {"youth": {"community_space"}, "community_space": {"youth"}}, {}, labels)
    assert ranked["reason"].tolist() == [
        "community spaces go well with your youth services; 400 m away",
        "also youth services; 50 m away",
    ]


def test_a_category_the_file_does_not_list_falls_back_to_its_label(app):
    with app.app_context():
        words = category_words("allotments", "Allotments")
        assert (words.one, words.many) == ("an allotments", "allotments")
        assert category_words("gp_practice", "GP practice").many == "GP practices"
