"""Monitoring's reads, for the dashboard and the health views."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from monitoring.models import Heartbeat, VolumeSpike


def active_spikes(*, now: datetime | None = None, scope: str | None = None) -> list[VolumeSpike]:
    """Spikes to show on the dashboard: one per (scope, key), the latest window, while recent.

    "Recent" is SPIKE_ACTIVE_MINUTES (twice the window by default) after the window ended.
    Each row has scope ("source" or "category"), key, count, baseline_median, threshold,
    window_start and window_end (UTC).
    """
    now = now or timezone.now()
    since = now - timedelta(minutes=int(settings.SPIKE_ACTIVE_MINUTES))
    rows = VolumeSpike.objects.filter(window_end__gt=since, window_end__lte=now)
    if scope:
        rows = rows.filter(scope=scope)
    latest: dict[tuple[str, str], VolumeSpike] = {}
    for spike in rows.order_by("window_end"):
        latest[(spike.scope, spike.key)] = spike
    return sorted(latest.values(), key=lambda s: (-s.count / max(s.baseline_median, 1.0), s.scope, s.key))


def heartbeat_latest(*, component: str) -> datetime | None:
    return Heartbeat.objects.filter(component=component).aggregate(last=Max("last_seen"))["last"]
