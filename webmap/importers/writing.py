"""Write an importer's places a part at a time, so a file of any size holds one part in memory.

Every part is flushed into the import's one transaction and then let go of: the import still lands
whole or not at all, but a hundred thousand places no longer sit in the session together (each
tracked object with its history costs kilobytes, and every flush hook walks them all).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from webmap.core.audit import snapshot
from webmap.core.db import db
from webmap.core.models import Asset
from webmap.importers.common import ImportFailed, ImportReport, Problem, progress

Row = TypeVar("Row")
PART = 2000


def write_places(
    rows: Iterable[tuple[str, Row]],
    total: int,
    source: str,
    report: ImportReport,
    label: str,
    repeated: str,
    fill: Callable[[Asset, Row, bool], list[Problem]],
) -> None:
    """Insert or update this source's places, PART rows at a time; stop with every problem found.

    `rows` gives each row with its id in the source; a row whose id came earlier in the file is
    skipped for the reason `repeated`. `fill(asset, row, new)` sets the place's fields from the row
    and returns the row's problems. The places already there are read one part at a time, by id.
    The report keeps the ids of the places added and the trail values of those changed, as they were
    before: what an import's rollback archives and puts back.
    """
    seen: set[str] = set()
    problems: list[Problem] = []
    stream = iter(progress(_Sized(rows, total), label))
    while chunk := list(islice(stream, PART)):
        ids = {sid for sid, _row in chunk if sid not in seen}
        existing = {
            a.source_id: a
            for a in db.session.scalars(
                # The ward is not needed; loading it would read every outline the part touches.
                select(Asset).options(lazyload(Asset.ward)).where(Asset.source == source, Asset.source_id.in_(ids))
            )
        }
        written: list[tuple[Asset, dict | None]] = []
        for sid, row in chunk:
            if sid in seen:
                report.skip(repeated)
                continue
            seen.add(sid)
            asset = existing.get(sid)
            if asset is None:
                asset = Asset(source=source, source_id=sid)
                db.session.add(asset)
                report.imported += 1
            else:
                report.updated += 1
            before = None if asset.id is None else snapshot(asset)
            problems += fill(asset, row, before is None)
            written.append((asset, before))
        if not problems:  # with problems the import stops at the end: nothing more is written
            db.session.flush()
            _note(written, report)
        let_go(asset for asset, _before in written)
    if problems:
        raise ImportFailed(problems)


def let_go(places: Iterable[Asset]) -> None:
    """Stop holding these places in the session (flush first what should be written)."""
    for asset in places:
        db.session.expunge(asset)


def _note(written: list[tuple[Asset, dict | None]], report: ImportReport) -> None:
    for asset, before in written:
        if before is None:
            report.created.append(asset.id)
        elif snapshot(asset) != before:
            report.changed[asset.id] = before


class _Sized:
    """An iterable with a known length, for the progress bar."""

    def __init__(self, items: Iterable, total: int) -> None:
        self.items, self.total = items, total

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return self.total
