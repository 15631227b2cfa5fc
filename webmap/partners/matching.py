"""Rank partners for one listing by what they offer and need, then category, then distance.

Pure functions over a pandas table of nearby candidates (no Flask, no database session), so
the ranking can be tested with tiny tables and explained row by row:

1. exchange: how many of the candidate's offers meet the listing's needs and the other way
   round; a match both ways ranks above a one-way match, then more matched items rank higher;
2. category: a complementary category (food support and a community space) ranks above
   the same category, which ranks above none;
3. distance: nearer first; then id, so the order never changes between requests.

A candidate with neither a matched item nor a fitting category is no partner and is left
out. The listing itself, and any record with the same name within `same_place_m` metres
(the same group listed twice, e.g. by OSM and by a resident), is never its own partner.

The reason is worded with `ReasonWords`: English by default, the reader's language when the
caller (webmap.partners.exchange) passes words from the catalogues.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from webmap.core.wording import category_words

REQUIRED = ("id", "name", "categories", "offers", "needs", "distance_m")
SAME_PLACE_M = 50.0
RESULT_COLUMNS = [*REQUIRED, "they_give", "we_give", "ways", "matched", "category_fit", "reason"]


def _english_metres(distance_m: float) -> str:
    return f"{distance_m:,.0f}"


@dataclass(frozen=True)
class ReasonWords:
    """The words of a reason: %-templates with named values, and how a category is named in a sentence."""

    offers: str = "offers %(items)s, which you need"
    needs: str = "needs %(items)s, which you offer"
    go_well: str = "%(theirs)s go well with your %(yours)s"
    also: str = "also %(same)s"
    away: str = "%(distance)s m away"
    # Joins the last two of a list: "a kitchen, a room and volunteers".
    last_two: str = "%(first)s and %(last)s"
    separator: str = "; "
    # A distance in whole metres ("1,200").
    metres: Callable[[float], str] = _english_metres


ENGLISH = ReasonWords()


@dataclass(frozen=True)
class Listing:
    """The listing partners are found for."""

    id: int
    name: str
    categories: frozenset[str]
    offers: frozenset[str]
    needs: frozenset[str]


def name_key(name: str | None) -> str:
    """Return a name folded for comparison: case, "&"/"and", punctuation and spacing ignored."""
    text = (name if isinstance(name, str) else "").casefold().replace("&", " and ")
    text = re.sub(r"[^\w]+", " ", text)
    text = re.sub(r"^the ", "", text.strip())
    return re.sub(r"\s+", " ", text)


def is_same_listing(
    listing: Listing, other_id: int, other_name: str, distance_m: float, same_place_m: float = SAME_PLACE_M
) -> bool:
    """Say whether a record is the listing itself or the same name at the same place."""
    return int(other_id) == listing.id or (
        distance_m <= same_place_m and name_key(other_name) == name_key(listing.name)
    )


def rank_partners(
    listing: Listing,
    candidates: pd.DataFrame,
    complements: Mapping[str, Iterable[str]],
    phrases: Mapping[str, str],
    category_labels: Mapping[str, str],
    same_place_m: float = SAME_PLACE_M,
    words: ReasonWords = ENGLISH,
) -> pd.DataFrame:
    """Return the candidates that are partners, best first, each with the reason in plain words.

    candidates has one row per nearby record: id, name, categories, offers and needs (iterables
    of ids) and distance_m (metres from the listing). complements maps a category to those
    that go well with it; phrases maps an offer/need id to words for a sentence ("a kitchen");
    words gives the reason's wording (English unless the caller passes the reader's language).
    """
    _check(candidates, same_place_m)
    if candidates.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    out = candidates.copy()
    keep = [
        not is_same_listing(listing, i, n, d, same_place_m)
        for i, n, d in zip(out["id"], out["name"], out["distance_m"])
    ]
    out = out.loc[keep]
    fitting = _fitting_categories(listing.categories, complements)
    out["they_give"] = [sorted(set(o) & listing.needs) for o in out["offers"]]
    out["we_give"] = [sorted(set(n) & listing.offers) for n in out["needs"]]
    out["ways"] = [int(bool(t)) + int(bool(w)) for t, w in zip(out["they_give"], out["we_give"])]
    out["matched"] = [len(t) + len(w) for t, w in zip(out["they_give"], out["we_give"])]
    out["category_fit"] = [_category_fit(set(c), listing.categories, fitting) for c in out["categories"]]
    out = out.loc[(out["matched"] > 0) | (out["category_fit"] > 0)]
    out = out.sort_values(
        ["ways", "matched", "category_fit", "distance_m", "id"],
        ascending=[False, False, False, True, True],
        kind="mergesort",
    )
    out["reason"] = [
        _reason(row, listing, fitting, complements, phrases, category_labels, words)
        for row in out.itertuples(index=False)
    ]
    return out.reset_index(drop=True)


def _check(candidates: pd.DataFrame, same_place_m: float) -> None:
    missing = [c for c in REQUIRED if c not in candidates.columns]
    if missing:
        raise ValueError(f"candidates need the columns {', '.join(REQUIRED)}; missing {', '.join(missing)}")
    if not (isinstance(same_place_m, (int, float)) and math.isfinite(same_place_m) and same_place_m >= 0):
        raise ValueError(f"same_place_m must be a distance in metres, 0 or more, not {same_place_m!r}")
    bad = [d for d in candidates["distance_m"] if not (isinstance(d, (int, float)) and math.isfinite(d) and d >= 0)]
    if bad:
        raise ValueError(f"distance_m must be metres, 0 or more; found {bad[0]!r}")


def _fitting_categories(own: frozenset[str], complements: Mapping[str, Iterable[str]]) -> set[str]:
    """Return the categories that complement the listing's own (its own ones left out)."""
    found: set[str] = set()
    for category in own:
        found |= set(complements.get(category, ()))
    return found - set(own)


def _category_fit(theirs: set[str], own: frozenset[str], fitting: set[str]) -> int:
    if theirs & fitting:
        return 2
    return 1 if theirs & own else 0


def _joined(names: list[str], words: ReasonWords) -> str:
    """Return "a", "a and b", "a, b and c" with the words' own "and"."""
    if len(names) == 1:
        return names[0]
    return words.last_two % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _words(ids: list[str], phrases: Mapping[str, str], words: ReasonWords = ENGLISH) -> str:
    return _joined([phrases.get(i, i.replace("_", " ")) for i in ids], words)


def _label(category_id: str, labels: Mapping[str, str]) -> str:
    """Name a category in a sentence, in the plural: "youth services", "GP practices" (core.wording, in the reader's language)."""
    return category_words(category_id, labels.get(category_id)).many


def _reason(
    row,
    listing: Listing,
    fitting: set[str],
    complements: Mapping[str, Iterable[str]],
    phrases: Mapping[str, str],
    labels: Mapping[str, str],
    words: ReasonWords = ENGLISH,
) -> str:
    def both(ids: list[str]) -> str:
        names = [_label(c, labels) for c in ids]
        # Every category joined by "and" ("youth services and community spaces"), as before.
        out = names[0] if names else ""
        for name in names[1:]:
            out = words.last_two % {"first": out, "last": name}
        return out

    parts = []
    if row.they_give:
        parts.append(words.offers % {"items": _words(row.they_give, phrases, words)})
    if row.we_give:
        parts.append(words.needs % {"items": _words(row.we_give, phrases, words)})
    theirs = sorted(set(row.categories))
    if row.category_fit == 2:
        good = [c for c in theirs if c in fitting]
        mine = sorted(c for c in listing.categories if set(complements.get(c, ())) & set(good))
        parts.append(words.go_well % {"theirs": both(good), "yours": both(mine)})
    elif row.category_fit == 1:
        same = [c for c in theirs if c in listing.categories]
        parts.append(words.also % {"same": both(same)})
    parts.append(words.away % {"distance": words.metres(row.distance_m)})
    return words.separator.join(parts)
