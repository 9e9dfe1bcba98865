"""A small inline-SVG chart renderer (bars, stacked bars, lines) for the six-monthly report.

No JavaScript and no fonts of its own; every label goes through `markupsafe.escape`, so a hostile site
name or area label cannot inject markup. Missing values (a month without runs) leave a gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#7f7f7f")
W, H = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 58


@dataclass
class Series:
    label: str
    values: Sequence[float | None]
    color: str | None = None


def _nice_max(v: float) -> float:
    """Smallest 4-tick axis top >= v with a whole, round tick step (1, 2, 2.5, 3 or 5 x 10^k)."""
    if v <= 0:
        return 4
    magnitude = 10 ** max(0, len(str(int(v / 4))) - 1)
    for mult in (1, 2, 2.5, 3, 5, 10):
        step = mult * magnitude
        if step * 4 >= v and float(step).is_integer():
            return step * 4
    return v


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _frame(title: str, categories: Sequence[str], ymax: float, unit: str) -> list[str]:
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" class="chart" role="img" '
           f'aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif" font-size="11">',
           f'<title>{escape(title)}</title>']
    for i in range(5):
        v = ymax * i / 4
        y = TOP + plot_h - plot_h * i / 4
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#d0d0d0" '
                   f'stroke-width="0.6"/>')
        out.append(f'<text x="{LEFT - 5}" y="{y + 4:.1f}" text-anchor="end" fill="#333">{_fmt(v)}{escape(unit)}'
                   f'</text>')
    n = max(1, len(categories))
    for i, cat in enumerate(categories):
        x = LEFT + plot_w * (i + 0.5) / n
        out.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 15}" text-anchor="middle" fill="#333">'
                   f'{escape(cat)}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{W - RIGHT}" y2="{TOP + plot_h}" stroke="#333" '
               f'stroke-width="0.8"/>')
    return out


def _legend(series: Sequence[Series]) -> list[str]:
    out, x, y = [], LEFT, H - 16
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        label = s.label if len(s.label) <= 28 else s.label[:27] + "…"
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14}" y="{y}" fill="#333">{escape(label)}</text>')
        x += 24 + 6.5 * len(label)
        if x > W - 120:
            x, y = LEFT, y + 14
    return out


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series], *, stacked: bool = True,
              unit: str = "", ymax: float | None = None) -> Markup:
    totals = [sum((s.values[i] or 0) for s in series) if stacked else max([(s.values[i] or 0) for s in series]
              or [0]) for i in range(len(categories))]
    top = ymax if ymax is not None else _nice_max(max(totals or [0]))
    out = _frame(title, categories, top, unit)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = max(1, len(categories))
    slot = plot_w / n
    bar_w = slot * 0.6 / (1 if stacked else max(1, len(series)))
    for i in range(len(categories)):
        base = 0.0
        for j, s in enumerate(series):
            v = s.values[i]
            if v is None or v <= 0:
                continue
            color = s.color or PALETTE[j % len(PALETTE)]
            h = plot_h * v / top
            x = LEFT + slot * i + slot * 0.2 + (0 if stacked else j * bar_w)
            y = TOP + plot_h - h - (plot_h * base / top if stacked else 0)
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{color}">'
                       f'<title>{escape(s.label)}: {_fmt(v)}</title></rect>')
            if stacked:
                base += v
        if stacked and totals[i]:
            x = LEFT + slot * (i + 0.5)
            y = TOP + plot_h - plot_h * totals[i] / top - 3
            out.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="#000">{_fmt(totals[i])}</text>')
    if len(series) > 1:
        out += _legend(series)
    out.append("</svg>")
    return Markup("".join(out))


def line_chart(title: str, categories: Sequence[str], series: Sequence[Series], *, unit: str = "",
               ymax: float | None = None) -> Markup:
    values = [v for s in series for v in s.values if v is not None]
    top = ymax if ymax is not None else _nice_max(max(values or [0]))
    out = _frame(title, categories, top, unit)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = max(1, len(categories))
    for j, s in enumerate(series):
        color = s.color or PALETTE[j % len(PALETTE)]
        segment: list[str] = []
        points = []
        for i, v in enumerate(list(s.values) + [None]):
            if v is None:
                if len(segment) > 1:
                    out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(segment)}"/>')
                segment = []
                continue
            x = LEFT + plot_w * (i + 0.5) / n
            y = TOP + plot_h - plot_h * min(v, top) / top
            segment.append(f"{x:.1f},{y:.1f}")
            points.append((x, y, v))
        for x, y, v in points:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
            out.append(f'<text x="{x:.1f}" y="{y - 7:.1f}" text-anchor="middle" fill="#000">{_fmt(v)}</text>')
    if len(series) > 1:
        out += _legend(series)
    out.append("</svg>")
    return Markup("".join(out))
