"""Compare ORUK service lists while ignoring what legitimately changes between exports."""

from __future__ import annotations

VOLATILE = {"last_modified"}


def _clean(node):
    if isinstance(node, dict):
        return {k: _clean(v) for k, v in node.items() if k not in VOLATILE}
    if isinstance(node, list):
        items = [_clean(v) for v in node]
        return sorted(items, key=lambda v: str(v.get("id")) if isinstance(v, dict) else str(v))
    return node


def normalised(services: list[dict]) -> list[dict]:
    """Return services without volatile fields, lists sorted by id."""
    return _clean(services)
