"""Load register layouts (data/registers/*.toml) and recognise a file's layout from its first lines."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, has_app_context

from webmap.core.config import REPO_ROOT
from webmap.importers.common import ImportFailed, Problem, open_text

KNOWN_KEYS = {
    "title",
    "attribution",
    "header",
    "columns",
    "encodings",
    "category",
    "kind",
    "detect",
    "detect_row",
    "unlocatable",
    "fields",
    "closed",
    "keep",
    "header_search",
    "category_rules",
}


@dataclass(frozen=True)
class Layout:
    """One register's published layout, read from its TOML file."""

    name: str
    title: str
    category: str
    fields: dict[str, list[str]]
    header: bool = True
    columns: tuple[str, ...] = ()
    encodings: tuple[str, ...] = ("utf-8-sig", "cp1252")
    kind: str = "service"
    attribution: str | None = None
    detect: tuple[frozenset[str], ...] = ()
    detect_row: dict = field(default_factory=dict)
    unlocatable: str = "refuse"
    header_search: int = 1
    closed: tuple[dict, ...] = ()
    keep: tuple[dict, ...] = ()
    category_rules: tuple[dict, ...] = ()


def registers_dir() -> Path:
    """Return the folder holding the layout files."""
    base = Path(current_app.config["DATA_DIR"]) if has_app_context() else REPO_ROOT / "data"
    return base / "registers"


def load_layouts(folder: Path | None = None) -> dict[str, Layout]:
    """Read every layout file; fail naming the file and key when one is not right."""
    folder = folder or registers_dir()
    return {p.stem: _layout(p) for p in sorted(folder.glob("*.toml"))}


def layout_names() -> list[str]:
    """Return the names --register accepts."""
    return sorted(load_layouts())


def get_layout(name: str, file: str = "--register") -> Layout:
    """Return the named layout, or fail listing the known ones."""
    layouts = load_layouts()
    if name not in layouts:
        raise ImportFailed(
            Problem(
                file,
                None,
                None,
                f"there is no register layout '{name}'; known layouts: "
                f"{', '.join(sorted(layouts))} (files in {registers_dir()})",
            )
        )
    return layouts[name]


def detect_layout(path: Path) -> Layout | None:
    """Return the layout whose header (or headerless first row) the file's first lines match, or None."""
    rows = _first_rows(path, 10)
    if not rows:
        return None
    for layout in load_layouts().values():
        if layout.header:
            cells = [set(c.strip() for c in row) for row in rows[: layout.header_search]]
            if any(need <= have for need in layout.detect for have in cells):
                return layout
        elif layout.detect_row and _row_matches(rows[0], layout):
            return layout
    return None


def _row_matches(row: list[str], layout: Layout) -> bool:
    if len(row) != layout.detect_row.get("fields", len(layout.columns)):
        return False
    position = {name: i for i, name in enumerate(layout.columns)}
    return all(
        re.fullmatch(pattern, row[position[col]].strip() if position[col] < len(row) else "")
        for col, pattern in layout.detect_row.get("match", {}).items()
    )


def _first_rows(path: Path, n: int) -> list[list[str]]:
    try:
        with open_text(path) as fh:
            head = fh.read(64 * 1024)
    except (OSError, UnicodeDecodeError, EOFError):
        return []
    lines = head.splitlines()[:n]
    try:
        return list(csv.reader(io.StringIO("\n".join(lines))))
    except csv.Error:
        return []


def _layout(path: Path) -> Layout:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ImportFailed(Problem(path.name, None, None, f"is not a readable register layout ({exc})")) from exc
    unknown = set(raw) - KNOWN_KEYS
    missing = {"title", "category", "fields"} - set(raw)
    if unknown or missing:
        what = f"unknown keys {sorted(unknown)}" if unknown else f"missing keys {sorted(missing)}"
        raise ImportFailed(Problem(path.name, None, None, f"is not a register layout: {what}"))
    if not raw.get("header", True) and not raw.get("columns"):
        raise ImportFailed(
            Problem(path.name, None, "columns", "a layout for a file without a header must list its columns")
        )
    as_list = lambda v: list(v) if isinstance(v, list) else [v]  # noqa: E731 (a field may give one column or several)
    return Layout(
        name=path.stem,
        title=raw["title"],
        category=raw["category"],
        fields={k: as_list(v) for k, v in raw["fields"].items()},
        header=raw.get("header", True),
        columns=tuple(raw.get("columns", ())),
        encodings=tuple(raw.get("encodings", ("utf-8-sig", "cp1252"))),
        kind=raw.get("kind", "service"),
        attribution=raw.get("attribution"),
        detect=tuple(frozenset(d) for d in raw.get("detect", ())),
        detect_row=raw.get("detect_row", {}),
        unlocatable=raw.get("unlocatable", "refuse"),
        header_search=int(raw.get("header_search", 1)),
        closed=tuple(raw.get("closed", ())),
        keep=tuple(raw.get("keep", ())),
        category_rules=tuple(raw.get("category_rules", ())),
    )
