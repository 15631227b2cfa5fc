"""Partner suggestions for a listing: nearby places from the database, ranked by groups.matching."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from flask import has_request_context
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import exists, or_, select

from webmap.core import store
from webmap.core.models import Asset, asset_categories
from webmap.groups.listings import exchanges_for
from webmap.groups.models import ListingExchange
from webmap.groups.vocabulary import load_vocabulary
from webmap.partners.complements import load_complements, partner_categories
from webmap.partners.matching import ENGLISH, Listing, ReasonWords, rank_partners
from webmap.partners.nearby import find_nearby
from webmap.web.language import pick


@dataclass
class Suggestion:
    """One partner for a listing, and why."""

    asset: Asset
    distance_m: float
    reason: str
    they_give: list[str]
    we_give: list[str]


def listing_for(asset: Asset) -> Listing:
    """Return the matching view of an asset: its categories, offers and needs."""
    ex = exchanges_for([asset.id])[asset.id]
    return Listing(asset.id, asset.name, frozenset(asset.category_ids()), frozenset(ex.offers), frozenset(ex.needs))


def _could_match(listing: Listing) -> list:
    """Return a WHERE clause keeping only places that could be partners: a fitting category, or offers/needs."""
    cats = partner_categories(listing.categories)
    clauses = [
        select(asset_categories.c.asset_id)
        .where(asset_categories.c.asset_id == Asset.id, asset_categories.c.category_id.in_(cats))
        .exists()
    ]
    if listing.offers or listing.needs:
        clauses.append(
            exists(
                select(ListingExchange.id).where(
                    ListingExchange.asset_id == Asset.id, ListingExchange.item.is_not(None)
                )
            )
        )
    return [or_(*clauses)]


def reason_words() -> ReasonWords:
    """Return the words of a partner's reason in the reader's language (English outside a request)."""
    if not has_request_context():
        return ENGLISH
    return ReasonWords(
        offers=_("offers %(items)s, which you need"),
        needs=_("needs %(items)s, which you offer"),
        go_well=_("%(theirs)s go well with your %(yours)s"),
        also=_("also %(same)s"),
        away=_("%(distance)s m away"),
        # Translators: joins the last two items of a list, as in "a kitchen, a room and volunteers".
        last_two=_("%(first)s and %(last)s"),
        metres=lambda d: format_decimal(round(d)),
    )


def suggest(asset: Asset, radius_m: float) -> list[Suggestion]:
    """Return every partner of the asset within radius_m metres, best first, each with its reason."""
    listing = listing_for(asset)
    hits = find_nearby(asset.lon, asset.lat, radius_m, where=_could_match(listing))
    exchanges = exchanges_for([a.id for a, _ in hits])
    candidates = pd.DataFrame(
        {
            "id": [a.id for a, _ in hits],
            "name": [a.name for a, _ in hits],
            "categories": [a.category_ids() for a, _ in hits],
            "offers": [exchanges[a.id].offers for a, _ in hits],
            "needs": [exchanges[a.id].needs for a, _ in hits],
            "distance_m": [float(d) for _, d in hits],
        }
    )
    words = reason_words()
    phrases = {i.id: str(pick(i.phrase, i.phrase_cy)) if words is not ENGLISH else i.phrase for i in load_vocabulary()}
    # core.wording names categories in the reader's language; a council's own category falls back to its label.
    labels = {c.id: str(pick(c.label, c.label_cy)) for c in store.categories()}
    ranked = rank_partners(listing, candidates, load_complements(), phrases, labels, words=words)
    by_id = {a.id: a for a, _ in hits}
    return [
        Suggestion(by_id[int(r.id)], float(r.distance_m), r.reason, list(r.they_give), list(r.we_give))
        for r in ranked.itertuples(index=False)
    ]


def exchange_filters(offers: list[str], needs: list[str]) -> list:
    """Return WHERE clauses keeping places that offer every item in `offers` and need every one in `needs`."""
    clauses = []
    for direction, items in (("offers", offers), ("needs", needs)):
        for item in items:
            clauses.append(
                exists(
                    select(ListingExchange.id).where(
                        ListingExchange.asset_id == Asset.id,
                        ListingExchange.direction == direction,
                        ListingExchange.item == item,
                    )
                )
            )
    return clauses
