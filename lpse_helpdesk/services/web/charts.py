"""Bar charts drawn on the server as inline SVG: no script, no CDN, readable offline.

Each chart has a `<title>` and an `aria-labelledby`, and the dashboard prints the same numbers
in a table under it, so a screen reader (or a printout) loses nothing. Hand-written rather than
a charting library: the ones on PyPI either pull a script from a CDN by default (pygal) or need
a plotting stack (matplotlib) for what is a few rectangles.
"""

from __future__ import annotations

import itertools
from html import escape

from markupsafe import Markup

_ids = itertools.count(1)
BAR = "#1f6fb2"
SECOND = "#7fb069"


def _scale(value: float, top: float, length: float) -> float:
    return 0.0 if top <= 0 else value / top * length


def columns(title: str, points: list[tuple[str, float, float]], legend=("masuk", "selesai"),
            width: int = 720, height: int = 220) -> Markup:
    """Paired vertical bars per label (e.g. tickets received and closed per day)."""
    chart_id = f"grafik-{next(_ids)}"
    left, bottom, top_pad = 36, 40, 14
    plot_h = height - bottom - top_pad
    top = max([max(a, b) for _, a, b in points] + [1])
    slot = (width - left - 8) / max(len(points), 1)
    bar = max(min(slot / 2 - 1, 18), 1)
    parts = [f'<svg role="img" aria-labelledby="{chart_id}" viewBox="0 0 {width} {height}"'
             f' class="grafik" xmlns="http://www.w3.org/2000/svg">'
             f'<title id="{chart_id}">{escape(title)}</title>']
    for fraction in (0, 0.5, 1):
        y = top_pad + plot_h * (1 - fraction)
        parts.append(f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ccc"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
                     f'{top * fraction:g}</text>')
    every = max(1, len(points) // 10)  # at most ~10 axis labels
    for index, (name, first, second) in enumerate(points):
        x = left + index * slot + (slot - 2 * bar) / 2
        for offset, value, colour in ((0, first, BAR), (bar, second, SECOND)):
            h = _scale(value, top, plot_h)
            parts.append(f'<rect x="{x + offset:.1f}" y="{top_pad + plot_h - h:.1f}" width="{bar:.1f}"'
                         f' height="{h:.1f}" fill="{colour}"><title>{escape(name)}: {value:g}'
                         f'</title></rect>')
        if index % every == 0:
            parts.append(f'<text x="{x + bar:.1f}" y="{height - bottom + 14}" font-size="10"'
                         f' text-anchor="middle">{escape(name)}</text>')
    for offset, (text, colour) in enumerate(zip(legend, (BAR, SECOND))):
        x = left + offset * 110
        parts.append(f'<rect x="{x}" y="{height - 16}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="{height - 7}" font-size="11">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(title: str, items: list[tuple[str, float]], maximum: float | None = None,
         unit: str = "", width: int = 480) -> Markup:
    """Horizontal bars, one per label (categories, channels, tiers, SKM elements)."""
    chart_id = f"grafik-{next(_ids)}"
    row, label_w = 24, 200
    height = max(len(items), 1) * row + 8
    top = maximum or max([v for _, v in items] + [1])
    parts = [f'<svg role="img" aria-labelledby="{chart_id}" viewBox="0 0 {width} {height}"'
             f' class="grafik" xmlns="http://www.w3.org/2000/svg">'
             f'<title id="{chart_id}">{escape(title)}</title>']
    for index, (name, value) in enumerate(items):
        y = 4 + index * row
        w = _scale(value, top, width - label_w - 60)
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end">'
                     f'{escape(name if len(name) <= 28 else name[:27] + "…")}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}"'
                     f' fill="{BAR}"/><text x="{label_w + w + 4:.1f}" y="{y + 15}" font-size="12">'
                     f'{value:g}{escape(unit)}</text>')
    if not items:
        parts.append('<text x="4" y="18" font-size="12">Belum ada data</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
