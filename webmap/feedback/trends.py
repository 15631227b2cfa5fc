"""Trends for the ward profile: a small server-rendered SVG chart, its table twin and a plain-language sentence."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from webmap.feedback import words
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


def period(point: Point) -> str:
    """Name a point in the reader's language: its survey round, or its day ("31 March 2027")."""
    return point.round_name if point.round_name and point.kind == "round" else words.day(point.as_of)


def sentence(label: str, points: list[Point], distance_m: float) -> str:
    """Say in plain words how stated need and access moved between the first and last point."""
    if not points:
        return _("%(label)s: no history yet.", label=label)
    first, last = points[0], points[-1]
    distance = words.metres(distance_m)
    if len(points) == 1:
        if first.access_share is None:
            return _(
                "%(label)s: %(requests)s counted in %(period)s; how many residents lived within %(distance)s m of "
                "one is unknown (no population figure).",
                label=label,
                requests=words.requests(first.need_count),
                period=period(first),
                distance=distance,
            )
        return _(
            "%(label)s: %(requests)s counted in %(period)s; %(share)s of residents lived within %(distance)s m of one.",
            label=label,
            requests=words.requests(first.need_count),
            period=period(first),
            share=words.percent(first.access_share),
            distance=distance,
        )
    need = _(
        "%(requests)s in %(first)s, %(count)s in %(last)s",
        requests=words.requests(first.need_count),
        first=period(first),
        count=words.number(last.need_count),
        last=period(last),
    )
    if first.access_share is None or last.access_share is None:
        access = _("how many residents live near one is unknown (no population figure)")
    else:
        a, b = round(first.access_share * 100), round(last.access_share * 100)
        before, after = f"{a}%", f"{b}%"
        if b > a:
            access = _(
                "residents within %(distance)s m of one rose from %(before)s to %(after)s",
                distance=distance,
                before=before,
                after=after,
            )
        elif b < a:
            access = _(
                "residents within %(distance)s m of one fell from %(before)s to %(after)s",
                distance=distance,
                before=before,
                after=after,
            )
        else:
            access = _("residents within %(distance)s m of one stayed at %(share)s", distance=distance, share=before)
    opened = ""
    if first.assets_within is not None and last.assets_within is not None:
        change = int(last.assets_within - first.assets_within)
        if change > 0:
            # The map says a place is on it, not that it opened then: an import may add old places.
            opened = ngettext(
                ", with %(num)d more place within reach on the map",
                ", with %(num)d more places within reach on the map",
                change,
            )
        elif change < 0:
            opened = ngettext(
                ", with %(num)d fewer place within reach on the map",
                ", with %(num)d fewer places within reach on the map",
                -change,
            )
    return _("%(label)s: %(need)s; %(access)s%(opened)s.", label=label, need=need, access=access, opened=opened)


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
    label = _("%(title)s (the table below gives the same figures)", title=title)
    parts = [
        f'<svg class="trend-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">',
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
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="dot"><title>{escape(period(p))}: '
            f"{escape(fmt(v))}</title></circle>"
        )
    if points:
        parts.append(f'<text x="{PAD_X}" y="{HEIGHT - 6}" class="tick">{escape(period(points[0]))}</text>')
        if len(points) > 1:
            parts.append(
                f'<text x="{WIDTH - PAD_X}" y="{HEIGHT - 6}" text-anchor="end" class="tick">'
                f"{escape(period(points[-1]))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def trend(category: str, label: str, points: list[Point], distance_m: float, label_cy: str | None = None) -> Trend:
    """Return the chart pair, table points and sentence for one category (its label in the reader's language)."""
    shown = label_cy if label_cy and words.welsh() else label
    kind = words.kind(category, label, label_cy)
    return Trend(
        category,
        shown,
        points,
        sentence(shown, points, distance_m),
        chart(points, "need_count", _("Stated need for %(things)s over time", things=kind.many)),
        chart(
            points,
            "access_share",
            _(
                "Share of residents within %(distance)s m of %(one)s over time",
                distance=words.metres(distance_m),
                one=kind.one,
            ),
            percent=True,
        ),
    )
