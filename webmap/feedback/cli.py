"""CLI commands for gap history and follow-up emails: `gaps snapshot`, `gaps history`, `erase-followup-emails`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from webmap.core import store
from webmap.core.db import db
from webmap.core.models import GapSnapshotRow, Ward
from webmap.gaps import service as gaps_service


@click.command("snapshot")
@with_appcontext
def snapshot_command() -> None:
    """Keep today's gap table (every ward, asked-for category and method) in the gap history."""
    from webmap.gaps.history import take_snapshot

    try:
        snapshot = take_snapshot("manual")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if snapshot is None:
        raise click.ClickException("There are no wards yet: import ward boundaries first.")
    db.session.commit()
    rows = db.session.scalar(
        select(func.count()).select_from(GapSnapshotRow).where(GapSnapshotRow.snapshot_id == snapshot.id)
    )
    period = f", needs of round '{snapshot.round_name}'" if snapshot.round_name else ""
    click.echo(
        f"Kept gap snapshot {snapshot.id} for {snapshot.as_of:%Y-%m-%d}{period}: {rows} rows "
        f"(ward x category x method, {snapshot.distance_m:g} m)."
    )


@click.command("history")
@with_appcontext
@click.option("--ward", "ward_code", required=True, help="Ward code, e.g. E05000001.")
@click.option("--category", required=True, help="Category id, e.g. food_support.")
@click.option(
    "--method",
    type=click.Choice(gaps_service.METHODS),
    default="share",
    show_default=True,
    help="How access is measured.",
)
def history_command(ward_code: str, category: str, method: str) -> None:
    """Print a ward's gap history for one category, oldest first (one line per day described)."""
    from webmap.gaps.history import series

    ward = db.session.scalar(select(Ward).where(Ward.code == ward_code.strip().upper()))
    if ward is None:
        raise click.ClickException(f"Ward '{ward_code}' is not loaded: give a ward code like {_example_ward()}.")
    labels = store.category_labels()
    if category not in labels:
        raise click.ClickException(f"Category '{category}' is not a category id (ids: {', '.join(sorted(labels))}).")
    found = series(ward.code, category, method)
    if not found:
        click.echo(
            f"No gap history yet for {labels[category]} in {ward.name}: run `flask --app webmap gaps snapshot`, "
            "or import a survey round."
        )
        return
    click.echo(f"{labels[category]} in {ward.name} ({ward.code}), {gaps_service.METHOD_LABELS[method].lower()}:")
    click.echo("date        period                     stated need  places within  residents within  gap score")
    for p in found:
        share = "unknown" if p.access_share is None else f"{p.access_share * 100:.0f}%"
        need = "unknown" if p.need_count is None else f"{p.need_count:g}"
        within = "unknown" if p.assets_within is None else f"{p.assets_within:g}"
        gap = "not computed" if p.gap_score is None else f"{p.gap_score:.3f}"
        click.echo(f"{p.as_of:%Y-%m-%d}  {p.period[:25]:<25}  {need:>11}  {within:>13}  {share:>16}  {gap:>9}")


def _example_ward() -> str:
    return db.session.scalar(select(Ward.code).order_by(Ward.code).limit(1)) or "E05000001"


@click.command("erase-followup-emails")
@with_appcontext
@click.option(
    "--months", type=int, help="Erase addresses older than this (default: the FOLLOWUP_RETENTION_MONTHS setting)."
)
def erase_followup_emails_command(months: int | None) -> None:
    """Erase residents' follow-up email addresses older than the retention period (run it daily)."""
    from webmap.feedback.followups import erase_expired

    months = current_app.config["FOLLOWUP_RETENTION_MONTHS"] if months is None else months
    if months < 0:
        raise click.ClickException("--months must be 0 or more.")
    erased = erase_expired(months)
    db.session.commit()
    click.echo(f"Erased {erased} email address{'es' if erased != 1 else ''} given more than {months} months ago.")


def register(app: Flask, gaps_group: click.Group) -> None:
    """Add the gap-history subcommands to `gaps` and the erase command to the app."""
    gaps_group.add_command(snapshot_command)
    gaps_group.add_command(history_command)
    app.cli.add_command(erase_followup_emails_command)
