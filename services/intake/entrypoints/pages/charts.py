"""Server-side SVG bar charts for the KPI page: no script, no CDN; the same numbers are in a table beside them."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

# Drawn at 13 px in a 520-unit-wide box that the page never shrinks below 480 CSS px (it scrolls inside its
# own box instead), so the labels stay 12 CSS px or more at any zoom (WCAG 1.4.4).
WIDTH = 520
BAR_H = 24
GAP = 8
LABEL_W = 170
TOP = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # a share 0–1; None when suppressed


def bar_chart(chart_id: str, title: str, bars: list[Bar], target: float | None, target_label: str, hidden: str) -> str:
    """A horizontal bar per group, a dashed line at the target; suppressed groups say so instead of a bar."""
    plot_w = WIDTH - LABEL_W - 60
    height = TOP + len(bars) * (BAR_H + GAP) + 24
    parts = [
        f'<svg class="chart" id="{chart_id}" role="img" aria-labelledby="{chart_id}-t" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
    ]
    for n, bar in enumerate(bars):
        y = TOP + n * (BAR_H + GAP)
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + BAR_H * 0.7:.0f}" text-anchor="end">{escape(bar.label)}</text>')
        if bar.value is None:
            parts.append(f'<text x="{LABEL_W + 4}" y="{y + BAR_H * 0.7:.0f}">{escape(hidden)}</text>')
            continue
        w = max(1.0, plot_w * min(bar.value, 1.0))
        parts.append(f'<rect class="bar" x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{BAR_H}"/>')
        parts.append(f'<text x="{LABEL_W + w + 6:.1f}" y="{y + BAR_H * 0.7:.0f}">{bar.value * 100:.0f} %</text>')
    if target is not None:
        x = LABEL_W + plot_w * target
        bottom = TOP + len(bars) * (BAR_H + GAP)
        parts.append(f'<line class="target" x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{bottom}"/>')
        label = f"{escape(target_label)} {target * 100:.0f} %"
        parts.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)
