"""Charts drawn on the server as inline SVG: nothing to download, so they show on a closed office network."""

from __future__ import annotations

from html import escape

BAR = "#1d4e89"
WIDTH, ROW, LABEL = 560, 22, 140


def bar_chart(title: str, items: list[tuple[str, float]], *, unit: str = "") -> str:
    """Horizontal bars, one per (label, value), the value written at the end of its bar."""
    top = max((value for _, value in items), default=0) or 1
    height = 28 + ROW * max(1, len(items))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="100%" '
        f'viewBox="0 0 {WIDTH} {height}"><title>{escape(title)}</title>',
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    span = WIDTH - LABEL - 70
    for index, (label, value) in enumerate(items):
        y = 28 + index * ROW
        length = max(1.0, span * value / top) if value else 0.0
        shown = f"{value:g}{unit}"
        parts += [
            f'<text x="{LABEL - 6}" y="{y + 14}" font-size="12" text-anchor="end">{escape(label[:14])}</text>',
            f'<rect class="bar" x="{LABEL}" y="{y + 3}" width="{length:.1f}" height="{ROW - 6}" fill="{BAR}"/>',
            f'<text x="{LABEL + length + 4:.1f}" y="{y + 14}" font-size="12">{escape(shown)}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)
