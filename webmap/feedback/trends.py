"""Trends for the ward profile: a small server-rendered SVG chart, its table twin and a plain-English sentence."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from webmap.core.wording import category_words, counted
from webmap.gaps.history import Point

WIDTH, HEIGHT, PAD_X, PAD_TOP, PAD_BOTTOM = 300, 110, 36, 12, 24


@dataclass
class Trend:
    category: str
    label: str
    points: list[Point]
    sentence: str
    need_chart: Markup
    access_chart: Markup


def _count(value: float | None) -> str:
    return "an unknown number of" if value is None else f"{value:g}"


def _pct(value: float | None) -> str:
    return "unknown" if value is None else f"{value * 100:.0f}%"


def sentence(label: str, points: list[Point], distance_m: float) -> str:
    """Say in plain English how stated need and access moved between the first and last point."""
    if not points:
        return f"{label}: no history yet."
    first, last = points[0], points[-1]
    if len(points) == 1:
        if first.access_share is None:
            return (
                f"{label}: {counted(first.need_count, 'request')} counted in {first.period}; how many residents "
                f"lived within {distance_m:,.0f} m of one is unknown (no population figure)."
            )
        return (
            f"{label}: {counted(first.need_count, 'request')} counted in {first.period}; "
            f"{_pct(first.access_share)} of residents lived within {distance_m:,.0f} m of one."
        )
    need = f"{counted(first.need_count, 'request')} in {first.period}, {_count(last.need_count)} in {last.period}"
    if first.access_share is None or last.access_share is None:
        access = "how many residents live near one is unknown (no population figure)"
    else:
        a, b = round(first.access_share * 100), round(last.access_share * 100)
        verb = "rose" if b > a else "fell" if b < a else "stayed"
        access = (
            f"residents within {distance_m:,.0f} m of one {verb} from {a}% to {b}%"
            if verb != "stayed"
            else f"residents within {distance_m:,.0f} m of one stayed at {a}%"
        )
    opened = ""
    if first.assets_within is not None and last.assets_within is not None:
        change = int(last.assets_within - first.assets_within)
        if change > 0:
            # The map says a place is on it, not that it opened then: an import may add old places.
            opened = f", with {change} more place{'s' if change != 1 else ''} within reach on the map"
        elif change < 0:
            opened = f", with {-change} fewer place{'s' if change != -1 else ''} within reach on the map"
    return f"{label}: {need}; {access}{opened}."


def chart(points: list[Point], value: str, title: str, percent: bool = False) -> Markup:
    """Return an SVG line chart of one figure over the points (the table twin carries the same numbers)."""
    values = [getattr(p, value) for p in points]
    known = [v for v in values if v is not None]
    top = 1.0 if percent else max(known + [1.0])
    inner_w, inner_h = WIDTH - 2 * PAD_X, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return PAD_X + i * step, PAD_TOP + inner_h * (1 - v / top)

    fmt = (lambda v: f"{v * 100:.0f}%") if percent else (lambda v: f"{v:g}")
    parts = [
        f'<svg class="trend-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(title)} (the table below gives the same figures)">',
        f'<line x1="{PAD_X}" y1="{PAD_TOP + inner_h}" x2="{WIDTH - PAD_X}" y2="{PAD_TOP + inner_h}" class="axis"/>',
        f'<text x="{PAD_X - 4}" y="{PAD_TOP + 4}" text-anchor="end" class="tick">{escape(fmt(top))}</text>',
        f'<text x="{PAD_X - 4}" y="{PAD_TOP + inner_h}" text-anchor="end" class="tick">{escape(fmt(0))}</text>',
    ]
    line = [xy(i, v) for i, v in enumerate(values) if v is not None]
    if len(line) > 1:
        parts.append('<polyline class="line" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in line) + '"/>')
    for i, (p, v) in enumerate(zip(points, values)):
        if v is None:
            continue
        x, y = xy(i, v)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="dot"><title>{escape(p.period)}: '
            f"{escape(fmt(v))}</title></circle>"
        )
    if points:
        parts.append(f'<text x="{PAD_X}" y="{HEIGHT - 6}" class="tick">{escape(points[0].period)}</text>')
        if len(points) > 1:
            parts.append(
                f'<text x="{WIDTH - PAD_X}" y="{HEIGHT - 6}" text-anchor="end" class="tick">'
                f"{escape(points[-1].period)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def trend(category: str, label: str, points: list[Point], distance_m: float) -> Trend:
    """Return the chart pair, table points and sentence for one category."""
    words = category_words(category, label)
    return Trend(
        category,
        label,
        points,
        sentence(label, points, distance_m),
        chart(points, "need_count", f"Stated need for {words.many} over time"),
        chart(
            points,
            "access_share",
            f"Share of residents within {distance_m:,.0f} m of {words.one} over time",
            percent=True,
        ),
    )
