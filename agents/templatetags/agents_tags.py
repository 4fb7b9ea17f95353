"""Small presentation helpers for the agents' pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from agents import permissions

register = template.Library()


@register.filter
def is_agent(user: Any) -> bool:
    """The site's navigation offers the queue only to those it would let in (not analysts)."""
    return permissions.is_agent(user)


@register.filter
def age(value: datetime | None) -> str:
    """How long ago, in one short unit: 45s, 12m, 3h, 5d, 7w."""
    if value is None:
        return ""
    seconds = max(0, int((timezone.now() - value).total_seconds()))
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@register.filter
def reason_list(values: Any) -> str:
    """Urgency reasons as words: "threat_to_leave, repeated_contact" -> "threat to leave, repeated contact"."""
    return ", ".join(str(value).replace("_", " ") for value in values or [])


@register.filter
def preview(value: str, length: int = 200) -> str:
    """The start of the text on one line. Not just its first line: a call transcript or a web form
    often opens with "Hello," on a line of its own, which tells an agent scanning the queue nothing."""
    text = " ".join((value or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@register.filter
def pct(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100)}%"


@register.filter
def confidence_class(value: float | None) -> str:
    if value is None:
        return "conf-none"
    return "conf-high" if value >= 0.8 else "conf-mid" if value >= 0.5 else "conf-low"


@register.filter
def humansize(value: Any) -> str:
    try:
        size = float(value)
    except (TypeError, ValueError):
        return ""
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key, key) if hasattr(mapping, "get") else key


@register.filter
def source_label(value: str) -> str:
    from ingestion.sources import Source

    return str(dict(Source.choices).get(value, value))


@register.filter
def channel_label(value: str) -> str:
    from ingestion.sources import Channel

    return str(dict(Channel.choices).get(value, value))
