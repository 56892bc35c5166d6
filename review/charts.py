"""Server-rendered SVG charts for the dashboard: no chart library, no script, nothing for the
Content-Security-Policy to allow. Every label goes through format_html, so a label can never
inject markup."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

LABEL_WIDTH = 190
VALUE_WIDTH = 60
ROW_HEIGHT = 22


def _svg(width: int, height: int, title: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="{t}" preserveAspectRatio="xMinYMin meet"><title>{t}</title>{b}</svg>',
        w=width,
        h=height,
        t=title,
        b=body,
    )


HBAR_ROW = (
    '<g transform="translate(0,{y})">'
    '<text class="chart-label" x="{lx}" y="15" text-anchor="end">{label}</text>'
    '<rect class="chart-bar" x="{bx}" y="3" width="{bw}" height="16" rx="2"></rect>'
    '<text class="chart-value" x="{vx}" y="15">{value}</text></g>'
)


def hbars(items: Sequence[tuple[str, int | float]], *, title: str, width: int = 480) -> SafeString:
    """Horizontal bars, one row per (label, value), scaled to the largest value."""
    top = max((value for _, value in items), default=0) or 1
    track = width - LABEL_WIDTH - VALUE_WIDTH
    rows = format_html_join(
        "",
        HBAR_ROW,
        (
            {
                "y": i * ROW_HEIGHT,
                "lx": LABEL_WIDTH - 8,
                "label": label.replace("_", " "),
                "bx": LABEL_WIDTH,
                "bw": round(track * value / top, 1),
                "vx": LABEL_WIDTH + round(track * value / top, 1) + 6,
                "value": value,
            }
            for i, (label, value) in enumerate(items)
        ),
    )
    return _svg(width, max(ROW_HEIGHT, ROW_HEIGHT * len(items)), title, rows)


def columns(
    items: Sequence[tuple[str, int]], *, title: str, width: int = 720, height: int = 160
) -> SafeString:
    """Vertical columns (volume per day); the first, middle and last labels are drawn."""
    if not items:
        return _svg(width, height, title, mark_safe(""))
    top = max(value for _, value in items) or 1
    plot_height = height - 30
    step = width / len(items)
    bar = max(1.0, step * 0.8)
    show_label = {0, len(items) // 2, len(items) - 1}
    body = format_html_join(
        "",
        '<g><rect class="chart-bar" x="{x}" y="{y}" width="{w}" height="{h}">'
        "<title>{label}: {value}</title></rect>{caption}</g>",
        (
            {
                "x": round(i * step + (step - bar) / 2, 1),
                "y": round(plot_height - plot_height * value / top, 1),
                "w": round(bar, 1),
                "h": round(plot_height * value / top, 1),
                "label": label,
                "value": value,
                "caption": format_html(
                    '<text class="chart-label" x="{x}" y="{y}" text-anchor="{a}">{t}</text>',
                    x=0
                    if i == 0
                    else width
                    if i == len(items) - 1
                    else round(i * step + step / 2, 1),
                    y=height - 8,
                    a="start" if i == 0 else "end" if i == len(items) - 1 else "middle",
                    t=label,
                )
                if i in show_label
                else "",
            }
            for i, (label, value) in enumerate(items)
        ),
    )
    axis = format_html(
        '<line class="chart-axis" x1="0" y1="{y}" x2="{w}" y2="{y}"></line>'
        '<text class="chart-value" x="2" y="12">max {top}</text>',
        y=plot_height,
        w=width,
        top=top,
    )
    return _svg(width, height, title, format_html("{}{}", body, axis))


def share(parts: Sequence[tuple[str, int, str]], *, title: str, width: int = 720) -> SafeString:
    """One stacked bar of (label, value, css class) parts, with a legend underneath."""
    total = sum(value for _, value, _ in parts) or 1
    x = 0.0
    segments = []
    for label, value, css in parts:
        w = width * value / total
        segments.append(
            format_html(
                '<rect class="{c}" x="{x}" y="0" width="{w}" height="24">'
                "<title>{label}: {value}</title></rect>",
                c=css,
                x=round(x, 1),
                w=round(w, 1),
                label=label,
                value=value,
            )
        )
        x += w
    legend = format_html_join(
        "",
        '<rect class="{c}" x="{x}" y="34" width="12" height="12"></rect>'
        '<text class="chart-label" x="{tx}" y="45">{label} {value} ({pct}%)</text>',
        (
            {
                "c": css,
                "x": i * (width // max(1, len(parts))),
                "tx": i * (width // max(1, len(parts))) + 16,
                "label": label,
                "value": value,
                "pct": round(100 * value / total) if total else 0,
            }
            for i, (label, value, css) in enumerate(parts)
        ),
    )
    return _svg(width, 52, title, format_html("{}{}", mark_safe("".join(segments)), legend))  # noqa: S308 - each segment went through format_html


def heat_class(value: int, top: int) -> str:
    """A CSS class from heat-0 (none) to heat-5 (the largest cell), for the confusion matrix."""
    if value <= 0 or top <= 0:
        return "heat-0"
    return f"heat-{min(5, 1 + int(4 * value / top))}"
