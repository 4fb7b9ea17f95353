"""Gauges read at scrape time from the ledger, the broker and the heartbeats.

Counters live in the processes that count (metrics/); a gauge of "how many are waiting now"
is a question to the database or the broker, asked when Prometheus asks. Each part that fails
(broker down, say) is left out and flagged in complaints_scrape_error instead of failing the
whole scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

UNPROCESSED = ("received", "processing")
TROUBLE = ("failed", "quarantined")


class PipelineStateCollector:
    def collect(self) -> Iterator[Any]:
        errors = GaugeMetricFamily(
            "complaints_scrape_error", "1 when a part of this scrape could not be read.", labels=["part"]
        )
        for part, reader in (("ledger", self._ledger), ("broker", self._broker), ("heartbeats", self._heartbeats)):
            try:
                yield from reader()
                errors.add_metric([part], 0)
            except Exception as exc:
                logger.warning("metrics: %s could not be read: %s", part, exc)
                errors.add_metric([part], 1)
        yield errors

    def _ledger(self) -> list[Any]:
        from ingestion.models import RawEvent

        now = timezone.now()
        by_status = GaugeMetricFamily(
            "complaints_raw_events", "Raw events waiting or in trouble, by status.", labels=["status"]
        )
        counts = dict(
            RawEvent.objects.filter(status__in=UNPROCESSED + TROUBLE)
            .values("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        for status in UNPROCESSED + TROUBLE:
            by_status.add_metric([status], counts.get(status, 0))
        oldest = GaugeMetricFamily(
            "complaints_oldest_unprocessed_event_age_seconds",
            "Age of the oldest raw event not yet processed (received or processing), by source.",
            labels=["source"],
        )
        rows = (
            RawEvent.objects.filter(status__in=UNPROCESSED)
            .values("source")
            .annotate(first=Min("received_at"))
            .values_list("source", "first")
        )
        for source, first in rows:
            oldest.add_metric([source], max((now - first).total_seconds(), 0.0))
        return [by_status, oldest]

    def _broker(self) -> list[Any]:
        from kombu import Connection
        from kombu.exceptions import ChannelError

        depth = GaugeMetricFamily("complaints_queue_depth", "Messages waiting in a broker queue.", labels=["queue"])
        with Connection(
            settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS, connect_timeout=2
        ) as conn:
            conn.ensure_connection(max_retries=0)
            channel = conn.default_channel
            for queue in settings.MONITORING_QUEUES:
                try:
                    # Passive: ask without creating. Redis reports a drained queue as missing.
                    _, size, _ = channel.queue_declare(queue=queue, passive=True)
                except ChannelError:
                    size = 0
                depth.add_metric([queue], size)
        return [depth]

    def _heartbeats(self) -> list[Any]:
        from monitoring.models import Heartbeat

        now = timezone.now()
        age = GaugeMetricFamily(
            "complaints_heartbeat_age_seconds",
            "Seconds since the last heartbeat of each worker node and beat.",
            labels=["component", "instance"],
        )
        rows = Heartbeat.objects.values("component", "instance").annotate(last=Max("last_seen"))
        for row in rows:
            age.add_metric([row["component"], row["instance"]], max((now - row["last"]).total_seconds(), 0.0))
        return [age]
