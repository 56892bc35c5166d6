"""Small formatting filters for the review templates."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as a short human duration: 45 s, 12 min, 3.5 h, 2.1 d."""
    if seconds is None:
        return "\u2013"
    value = float(seconds)
    if value < 90:
        return f"{value:.0f} s"
    if value < 90 * 60:
        return f"{value / 60:.0f} min"
    if value < 36 * 3600:
        return f"{value / 3600:.1f} h"
    return f"{value / 86400:.1f} d"


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "\u2013"
    return f"{100 * float(value):.{digits}f}%"


@register.filter
def humanize_label(value: str) -> str:
    return value.replace("_", " ") if value else "unclassified"
