"""Pages for groups: claim a listing, sign in by emailed link, edit it, offers and needs, contact a group."""

from __future__ import annotations

from functools import partial

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webmap.core.db import db
from webmap.core.models import Asset
from webmap.groups import claims, session
from webmap.groups.forms import ClaimForm, ConfirmForm, ContactForm, ExchangeForm, ManagerEditForm, SignInForm
from webmap.groups.listings import (
    Exchange,
    active_managers,
    confirm_still_correct,
    contact_addresses,
    exchanges_for,
    is_manager,
    managed_listings,
    manager_actor,
    manager_edit,
    remove_manager,
    set_exchange,
)
from webmap.groups.models import ListingManager
from webmap.groups.relay import relay_message
from webmap.groups.tokens import LinkError, find
from webmap.groups.vocabulary import items_by_id
from webmap.notify.later import send_after_response
from webmap.places.freshness import stale_cutoff
from webmap.web.language import language, pick
from webmap.web.security import limiter, role_required

bp = Blueprint("groups", __name__, template_folder="templates")

# How a changed field is named in "Published now: …" (the field names stay in the data and the trail).
FIELD_WORDS = {
    "name": _l("name"),
    "categories": _l("categories"),
    "kind": _l("kind"),
    "description": _l("description"),
    "address": _l("address"),
    "postcode": _l("postcode"),
    "website": _l("website"),
    "phone": _l("phone"),
    "opening_times": _l("opening times"),
    "accessibility": _l("accessibility"),
}
# A listing's status in words, on "Your listings".
STATUS_WORDS = {
    "pending": _l("Pending"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "archived": _l("Archived"),
}


def contact_limit() -> str:
    """Return the per-address limit on relayed messages (a setting, e.g. "5 per hour")."""
    return current_app.config["GROUP_CONTACT_RATE_LIMIT"]


def submission_limit() -> str:
    return current_app.config["SUBMISSION_RATE_LIMIT"]


def listed_asset(asset_id: int) -> Asset:
    """Return an approved listing, or 404."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.status != "approved":
        abort(404)
    return asset


def managed_asset(asset_id: int) -> tuple[Asset, str]:
    """Return the listing and the signed-in manager's email; 403 for anyone else."""
    email = session.current_email()
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.status == "archived":
        abort(404)
    if not email or not is_manager(email, asset.id):
        abort(
            403,
            _("Sign in as a manager of this listing to change it (Manage your listing, at the foot of its page)."),
        )
    return asset, email


@bp.errorhandler(LinkError)
def link_refused(error: LinkError):
    """Say why a one-time link cannot be used, and offer a new one."""
    db.session.rollback()
    return render_template("groups/link_error.html", message=str(error)), 400


@bp.app_template_global()
def listing_exchange(asset_id: int):
    """Return what a listing offers and needs, with labels, for its public page."""
    return exchanges_for([asset_id])[asset_id], items_by_id()


@bp.app_template_global()
def can_contact(asset: Asset) -> bool:
    """Say whether the contact form can reach this listing (managers or its own email)."""
    return bool(contact_addresses(asset))


# --- claiming ---


@bp.route("/assets/<int:asset_id>/claim", methods=["GET", "POST"])
@limiter.limit(submission_limit, methods=["POST"])
def claim(asset_id: int):
    """Let someone who runs a group ask to manage its listing."""
    asset = listed_asset(asset_id)
    form = ClaimForm()
    if request.method == "POST" and form.nickname.data:
        return redirect(url_for("groups.claim_sent", asset_id=asset.id, how="moderation"))
    if form.validate_on_submit():
        how = claims.request_claim(
            asset, form.email.data, form.name.data, form.connection.data, request.remote_addr, language=language()
        )
        return redirect(url_for("groups.claim_sent", asset_id=asset.id, how=how))
    return render_template("groups/claim.html", form=form, asset=asset, has_email=bool(asset.contact_email))


@bp.get("/assets/<int:asset_id>/claim/sent")
def claim_sent(asset_id: int):
    """Say what happens next with a claim."""
    asset = listed_asset(asset_id)
    return render_template("groups/claim_sent.html", asset=asset, how=request.args.get("how"))


@bp.route("/groups/claim/<secret>", methods=["GET", "POST"])
def confirm_claim(secret: str):
    """Confirm, from the group's own mailbox, that the person who asked may manage the listing."""
    token = find(secret, "claim")
    asset = db.session.get(Asset, token.asset_id) or abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        asset, manager = claims.confirm_claim(secret)
        if manager.email == (asset.contact_email or "").strip().lower():
            session.sign_in(manager.email)  # the same mailbox proved it: no second link needed
            db.session.commit()
            flash(_("You now manage %(name)s.", name=pick(asset.name, asset.name_cy)), "success")
            return redirect(url_for("groups.mine"))
        sent = claims.send_signin_link(manager.email, welcome=asset)
        db.session.commit()
        return render_template("groups/claim_confirmed.html", asset=asset, sent=sent)
    return render_template("groups/confirm_claim.html", form=form, asset=asset, name=token.name)


# --- signing in ---


@bp.route("/groups/sign-in", methods=["GET", "POST"])
@limiter.limit(submission_limit, methods=["POST"])
def signin():
    """Send a one-time sign-in link to a listing's manager."""
    form = SignInForm()
    if form.validate_on_submit():
        # The same answer, in the same time, whether or not the address manages anything, so nobody can test
        # addresses here: looking the address up, making the link and sending it all happen after the answer.
        send_after_response(
            partial(claims.send_signin_link, form.email.data, language=language()), "group sign-in link"
        )
        return render_template("groups/signin_sent.html")
    return render_template("groups/signin.html", form=form)


@bp.route("/groups/sign-in/<secret>", methods=["GET", "POST"])
def signin_link(secret: str):
    """Sign a manager in with their one-time link (a button, so link checkers cannot use it up)."""
    find(secret, "signin")
    form = ConfirmForm()
    if form.validate_on_submit():
        from webmap.groups.tokens import use

        token = use(secret, "signin")
        session.sign_in(token.email)
        db.session.commit()
        flash(_("You are signed in to manage your listings."), "success")
        return redirect(url_for("groups.mine"))
    return render_template("groups/signin_confirm.html", form=form)


@bp.post("/groups/sign-out")
def signout():
    """Sign the manager out."""
    session.sign_out()
    db.session.commit()
    flash(_("You are signed out."), "success")
    return redirect(url_for("main.index"))


@bp.get("/groups/my")
def mine():
    """List the listings the signed-in manager looks after."""
    email = session.current_email()
    if not email:
        return redirect(url_for("groups.signin"))
    listings = managed_listings(email)
    cutoff = stale_cutoff(int(current_app.config["STALE_AFTER_MONTHS"]))
    return render_template(
        "groups/mine.html",
        listings=listings,
        cutoff=cutoff,
        form=ConfirmForm(),
        status_words={k: str(v) for k, v in STATUS_WORDS.items()},
    )


# --- editing ---


@bp.route("/groups/listings/<int:asset_id>/edit", methods=["GET", "POST"])
def edit(asset_id: int):
    """Let a manager change their listing: small edits publish now, bigger ones go to a moderator."""
    asset, email = managed_asset(asset_id)
    form = ManagerEditForm(obj=asset)
    if request.method == "GET":
        form.show_listing(asset)
    if form.validate_on_submit():
        where = form.located
        values = form.listing_values()
        outcome = manager_edit(
            asset,
            values,
            list(dict.fromkeys(form.categories.data)),
            where.lon,
            where.lat,
            where.ward.code,
            manager_actor(email),
            float(current_app.config["GROUP_PIN_MOVE_M"]),
        )
        db.session.commit()
        if outcome.published:
            flash(_("Published now: %(fields)s.", fields=_field_words(outcome.published, outcome.moved_m)), "success")
        if outcome.moderated:
            flash(
                _(
                    "Sent to a moderator to check first: %(fields)s. Your listing shows the old values until then.",
                    fields=_field_words(list(outcome.moderated.proposed), outcome.moved_m),
                ),
                "success",
            )
        if not outcome.published and not outcome.moderated:
            flash(_("Nothing was changed."), "success")
        return redirect(url_for("groups.mine"))
    from webmap.places.picker import picker_map

    return render_template(
        "groups/edit.html",
        form=form,
        asset=asset,
        map=picker_map(),
        max_move=int(current_app.config["GROUP_PIN_MOVE_M"]),
    )


def _field_words(fields: list[str], moved_m: float) -> str:
    """Return changed fields in words: "opening times, the pin (moved 300 m)"."""
    words = []
    for name in fields:
        if name == "lon":
            words.append(_("the pin (moved %(distance)s m)", distance=format_decimal(round(moved_m))))
        elif name not in ("lat", "ward_code"):
            words.append(str(FIELD_WORDS.get(name, name.replace("_", " "))))
    return ", ".join(words)


@bp.post("/groups/listings/<int:asset_id>/still-correct")
def still_correct(asset_id: int):
    """Record that the manager checked the listing is still right."""
    asset, email = managed_asset(asset_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, _("This form has expired. Please go back, reload the page and try again."))
    confirm_still_correct(asset, manager_actor(email))
    db.session.commit()
    flash(_("Thank you: %(name)s is marked as checked today.", name=pick(asset.name, asset.name_cy)), "success")
    return redirect(url_for("groups.mine"))


@bp.route("/groups/listings/<int:asset_id>/offers-needs", methods=["GET", "POST"])
def exchange(asset_id: int):
    """Let a manager say what their group offers other groups and what it needs."""
    asset, email = managed_asset(asset_id)
    current = exchanges_for([asset.id])[asset.id]
    form = ExchangeForm(data=current.as_dict() if request.method == "GET" else None)
    if form.validate_on_submit():
        new = Exchange(
            list(dict.fromkeys(form.offers.data or [])),
            list(dict.fromkeys(form.needs.data or [])),
            form.offers_text.data or None,
            form.needs_text.data or None,
        )
        changed = set_exchange(asset, new, manager_actor(email))
        db.session.commit()
        flash(
            _("Saved what your group offers and needs. It is on your listing now.")
            if changed
            else _("Nothing was changed."),
            "success",
        )
        return redirect(url_for("assets.detail", asset_id=asset.id))
    return render_template("groups/exchange.html", form=form, asset=asset)


@bp.app_template_global()
def listing_managers(asset_id: int):
    """Return a listing's current managers (for the staff part of its page)."""
    return active_managers(asset_id)


@bp.post("/moderate/assets/<int:asset_id>/managers/<int:manager_id>/remove")
@role_required("moderator")
def remove_manager_staff(asset_id: int, manager_id: int):
    """Let a moderator stop someone managing a listing (the row is kept for the trail)."""
    manager = db.session.get(ListingManager, manager_id)
    if manager is None or manager.asset_id != asset_id or not manager.active:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400, _("This form has expired. Please go back, reload the page and try again."))
    remove_manager(manager, who=None)
    db.session.commit()
    flash(_("They no longer manage this listing."), "success")
    return redirect(url_for("assets.detail", asset_id=asset_id))


# --- contacting a group ---


@bp.route("/assets/<int:asset_id>/contact", methods=["GET", "POST"])
@limiter.limit(contact_limit, methods=["POST"])
def contact(asset_id: int):
    """Let anyone send a group a message; it is relayed by email and no address is shown."""
    asset = listed_asset(asset_id)
    if not contact_addresses(asset):
        abort(
            404,
            _(
                "%(name)s has no contact address on the map; use its phone number or website instead.",
                name=pick(asset.name, asset.name_cy),
            ),
        )
    form = ContactForm()
    if request.method == "POST" and form.nickname.data:
        return redirect(url_for("groups.contact_sent", asset_id=asset.id))
    error = None
    if form.validate_on_submit():
        sent = relay_message(asset, form.name.data, form.email.data, form.message.data)
        db.session.commit()
        if sent:
            return redirect(url_for("groups.contact_sent", asset_id=asset.id))
        error = _("We could not send your message just now. Please try again later; your message is still below.")
    return render_template("groups/contact.html", form=form, asset=asset, send_error=error), 503 if error else 200


@bp.get("/assets/<int:asset_id>/contact/sent")
def contact_sent(asset_id: int):
    """Say the message went."""
    return render_template("groups/contact_sent.html", asset=listed_asset(asset_id))
