"""Charts as inline SVG, drawn on the server: no JavaScript, no CDN, works offline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from scoring.reports.definitions import band_of

RED, AMBER, GREEN, BLUE, GREY = "#d64545", "#e8a317", "#2f9e44", "#3b6fd4", "#8a94a6"
INK, GRID, BAND = "#1f2937", "#e5e7eb", "#3b6fd4"


def _fmt(value: float, decimal: str = ".") -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", decimal)


def value_colour(metric: str, goodness: int, lo: int, hi: int) -> str:
    """NPS bars by detractor/passive/promoter; other scales by bottom/middle/top."""
    return {-1: RED, 0: AMBER, 1: GREEN}[band_of(metric, goodness, lo, hi)]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    label: str
    score: float | None  # None: hidden (n below the minimum) or empty
    margin: float | None
    n: int
    # The 95% interval itself: adjusted intervals are not centred on the raw score.
    low: float | None = None
    high: float | None = None
    flag: int = 0  # +1 / -1: beyond chance above / below the previous period

    @property
    def band(self) -> tuple[float, float]:
        """The shaded band: the interval, else score ± margin."""
        if self.score is None:
            return (0.0, 0.0)
        if self.low is not None and self.high is not None:
            return self.low, self.high
        m = self.margin or 0.0
        return self.score - m, self.score + m


def trend(
    points: Sequence[TrendPoint],
    y_min: float,
    y_max: float,
    *,
    title: str,
    width: int = 640,
    height: int = 240,
    decimal: str = ".",
) -> Markup:
    """Line with a shaded 95% band; a hidden bucket breaks the line instead of faking a value."""
    left, right, top, bottom = 44, 12, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    count = max(len(points), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / count)

    def y(v: float) -> float:
        v = min(max(v, y_min), y_max)
        return top + plot_h * (1 - (v - y_min) / (y_max - y_min))

    parts = [_open(width, height, title)]
    for tick in _ticks(y_min, y_max):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
            f'class="tick">{_fmt(tick, decimal)}</text>'
        )
    segments: list[list[tuple[int, TrendPoint]]] = [[]]
    for i, p in enumerate(points):
        if p.score is None:
            segments.append([])
        else:
            segments[-1].append((i, p))
    for seg in (s for s in segments if s):
        upper = [f"{x(i):.1f},{y(p.band[1]):.1f}" for i, p in seg if p.score is not None]
        lower = [f"{x(i):.1f},{y(p.band[0]):.1f}" for i, p in reversed(seg) if p.score is not None]
        parts.append(
            f'<polygon points="{" ".join(upper + lower)}" fill="{BAND}" fill-opacity="0.12"/>'
        )
        line = " ".join(f"{x(i):.1f},{y(p.score):.1f}" for i, p in seg if p.score is not None)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{BLUE}" stroke-width="2.2"/>')
    most = max(3, plot_w // 52)  # a label needs about 52 px: ~11 on a wide chart, 6 on a phone
    step = max(1, -(-len(points) // most))
    for i, p in enumerate(points):
        if p.score is not None:
            low, high = p.band
            tip = (
                f"{p.label}: {_fmt(p.score, decimal)} "
                f"[{_fmt(low, decimal)}, {_fmt(high, decimal)}] (n={p.n})"
            )
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(p.score):.1f}" r="3.2" fill="{BLUE}">'
                f"<title>{escape(tip)}</title></circle>"
            )
        if p.score is not None and p.flag:
            up = p.flag > 0
            parts.append(
                f'<text x="{x(i):.1f}" y="{y(p.score) + (-8 if up else 16):.1f}" '
                f'text-anchor="middle" class="flag" fill="{GREEN if up else RED}">'
                f"{'▲' if up else '▼'}</text>"
            )
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 12}" text-anchor="middle" class="tick">'
                f"{escape(p.label)}</text>"
            )
    if not points:
        parts.append(_empty(width, height))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every dynamic text above is escaped)


def bars(
    values: Sequence[tuple[str, int, str]],
    *,
    title: str,
    width: int = 420,
    height: int = 200,
) -> Markup:
    """Vertical bars (label, count, colour), with the count above each bar."""
    left, right, top, bottom = 8, 8, 18, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((c for _, c, _ in values), default=0) or 1
    slot = plot_w / max(len(values), 1)
    parts = [_open(width, height, title)]
    for i, (label, count, colour) in enumerate(values):
        h = plot_h * count / peak
        bx = left + i * slot + slot * 0.12
        by = top + plot_h - h
        parts.append(
            f'<rect x="{bx:.1f}" y="{by:.1f}" width="{slot * 0.76:.1f}" height="{h:.1f}" '
            f'rx="2" fill="{colour}"><title>{escape(label)}: {count}</title></rect>'
            f'<text x="{bx + slot * 0.38:.1f}" y="{by - 4:.1f}" text-anchor="middle" '
            f'class="count">{count}</text>'
            f'<text x="{bx + slot * 0.38:.1f}" y="{height - 8}" text-anchor="middle" '
            f'class="tick">{escape(label)}</text>'
        )
    if not values:
        parts.append(_empty(width, height))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704


def funnel(
    steps: Sequence[tuple[str, int]],
    *,
    title: str,
    width: int = 420,
    height: int = 190,
    decimal: str = ".",
) -> Markup:
    """Horizontal bars, each step as a share of the invitations."""
    longest = max((len(label) for label, _ in steps), default=0)
    # Room for the longest step name ("Vervolgvraag beantwoord") at the 12 px label size.
    label_w, right, row = min(190, 16 + 7 * longest), 90, (height - 10) / max(len(steps), 1)
    total = steps[0][1] if steps else 0
    parts = [_open(width, height, title)]
    for i, (label, count) in enumerate(steps):
        share = count / total if total else 0.0
        w = (width - label_w - right) * share
        y0 = 5 + i * row
        parts.append(
            f'<text x="0" y="{y0 + row * 0.62:.1f}" class="label">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y0 + row * 0.15:.1f}" width="{max(w, 1):.1f}" '
            f'height="{row * 0.7:.1f}" rx="3" fill="{BLUE}" fill-opacity="{1 - i * 0.13:.2f}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y0 + row * 0.62:.1f}" class="count">'
            f"{count} · {_fmt(100 * share, decimal)}%</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704


def score_bar(
    score: float | None, interval: tuple[float, float] | None, lo: float, hi: float
) -> Markup:
    """A small bar from the axis's zero (or its left end) to the score, with a 95% whisker.

    The whisker is the interval itself, which need not be centred on the score.
    """
    width, height = 160, 16
    if score is None:
        empty = f'<svg class="mini" width="{width}" height="{height}" aria-hidden="true"></svg>'
        return Markup(empty)  # noqa: S704

    def x(v: float) -> float:
        return width * (min(max(v, lo), hi) - lo) / (hi - lo)

    origin = x(0.0) if lo < 0 < hi else 0.0
    start, end = sorted((origin, x(score)))
    colour = RED if (lo < 0 and score < 0) else BLUE
    w_lo, w_hi = interval if interval is not None else (score, score)
    return Markup(  # noqa: S704  (numbers only)
        f'<svg class="mini" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-hidden="true"><rect x="0" y="7" width="{width}" height="2" fill="{GRID}"/>'
        f'<rect x="{start:.1f}" y="3" width="{max(end - start, 1):.1f}" height="10" rx="2" '
        f'fill="{colour}" fill-opacity="0.85"/><line x1="{x(w_lo):.1f}" '
        f'x2="{x(w_hi):.1f}" y1="8" y2="8" stroke="{INK}" stroke-width="1.4"/></svg>'
    )


def mix(low: int, middle: int, high: int, names: tuple[str, str, str]) -> Markup:
    """The answers behind a score as one stacked bar: low red, middle amber, high green."""
    width, height = 120, 12
    total = low + middle + high
    if total <= 0:
        return Markup(f'<svg class="mini" width="{width}" height="{height}"></svg>')  # noqa: S704
    parts = [
        f'<svg class="mini mix" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(" / ".join(names))}">'
    ]
    x0 = 0.0
    for count, colour, name in zip((low, middle, high), (RED, AMBER, GREEN), names, strict=True):
        w = width * count / total
        if w > 0:
            share = round(100 * count / total)
            parts.append(
                f'<rect x="{x0:.1f}" y="1" width="{w:.1f}" height="{height - 2}" fill="{colour}">'
                f"<title>{escape(name)}: {count} ({share}%)</title></rect>"
            )
        x0 += w
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (names escaped, the rest numbers)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'preserveAspectRatio="xMidYMid meet" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    )


def _empty(width: int, height: int) -> str:
    return (
        f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="tick">&#8211;</text>'
    )


def _ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    step = next(s for s in (0.5, 1, 2, 5, 10, 20, 25, 50, 100) if span / s <= 6)
    first = -(-lo // step) * step
    ticks, value = [], first
    while value <= hi + 1e-9:
        ticks.append(value)
        value += step
    return ticks
