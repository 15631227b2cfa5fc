"""The code's layout: no import circles, and no feature reaching into another feature's pages.

The layers themselves (app and CLI -> features -> web plumbing -> importers -> core, analysis
and maps beside the core) are `lint-imports` contracts in pyproject.toml, run by `make test`.
"""

from __future__ import annotations

import re
from pathlib import Path

import grimp
import pytest

WEBMAP = Path(__file__).resolve().parent.parent / "webmap"
# The app factory and the CLI gather every feature; everything else is a feature or below one.
TOP = {"webmap", "webmap.cli", "webmap.blueprints"}


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("webmap", cache_dir=None)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected parts of more than one node (Tarjan), i.e. the import circles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            part = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                part.append(other)
                if other == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _feature(module: str) -> str:
    return ".".join(module.split(".")[:2])


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_cycle_finder(edges, expected):
    assert _cycles(edges) == expected


def test_no_module_imports_in_a_circle(graph):
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert _cycles(edges) == []


def test_no_two_features_import_each_other(graph):
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        if module in TOP:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            if _feature(imported) != _feature(module) and imported not in TOP:
                edges.setdefault(_feature(module), set()).add(_feature(imported))
    assert _cycles(edges) == []


def _page_modules() -> set[str]:
    """Return the modules that define a blueprint (`bp = Blueprint(...)`): a feature's pages."""
    found = set()
    for path in WEBMAP.rglob("*.py"):
        if re.search(r"^bp = Blueprint\(", path.read_text(encoding="utf-8"), re.M):
            found.add(".".join(path.relative_to(WEBMAP.parent).with_suffix("").parts))
    return found


def test_features_use_each_others_services_never_their_pages(graph):
    pages = _page_modules()
    assert "webmap.gaps.views" in pages and "webmap.places.home" in pages
    crossing = sorted(
        (module, page)
        for page in pages
        for module in graph.find_modules_that_directly_import(page)
        if module not in TOP and _feature(module) != _feature(page)
    )
    assert crossing == []
