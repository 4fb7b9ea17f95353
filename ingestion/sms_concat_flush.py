"""Long SMS whose parts never all arrive become messages anyway, and the admin is told.

A part can be lost for good (the provider gave up retrying, a handset sent it on another route),
and then its group would wait for ever: the customer's words in the lake and the parts table,
but never in the queue. The flush closes such groups once they are older than
SMS_CONCAT_FLUSH_AFTER_SECONDS, makes one message of the parts that came with a "[...]" where the
missing ones belong, and sends it down the normal path (classification, warehouse). Idempotent
like every other step: the group is closed once (ingestion.sms_concat), and the message's key is
the provider's id of its lowest part, so running it twice stores nothing twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from ingestion.adapters import InboundMessage, vonage
from ingestion.models import RawEvent
from ingestion.sms_concat import StaleGroup, sms_concat_groups_close_stale
from monitoring.alerts import alert_sms_incomplete

logger = logging.getLogger(__name__)


def sms_concat_flush_stale(*, now: datetime | None = None) -> int:
    """Close stale groups and ingest what they hold; returns how many messages were made."""
    from ingestion.pipeline import messages_ingest  # the worker's path (imports the classifier)

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.SMS_CONCAT_FLUSH_AFTER_SECONDS)
    made = 0
    for stale in sms_concat_groups_close_stale(started_before=cutoff, now=now):
        message = _message_for(stale)
        # The message hangs off the raw event of its lowest part, as a complete one hangs off
        # the event of the part that completed it: the lake copy an agent opens from the detail.
        event = RawEvent.objects.get(id=str(stale.assembled.parts[0]["raw_event_id"]))
        if message is not None:
            messages_ingest(event=event, inbound=[message])
            made += 1
        logger.warning(
            "long SMS %s from %s closed with parts %s missing", stale.ref, stale.sender, stale.assembled.missing
        )
        alert_sms_incomplete(
            provider=stale.provider,
            sender=stale.sender,
            recipient=stale.recipient,
            ref=stale.ref,
            total=stale.total,
            missing=stale.assembled.missing,
            waited_minutes=settings.SMS_CONCAT_FLUSH_AFTER_SECONDS // 60,
        )
    return made


def _message_for(stale: StaleGroup) -> InboundMessage | None:
    assembled = stale.assembled
    return vonage.sms_message(
        message_id=assembled.first_part_id,
        sender=stale.sender,
        text=assembled.text,
        occurred_at=assembled.occurred_at,
        metadata={
            "to": stale.recipient,
            "type": "text",
            "concat": {"ref": stale.ref, "parts": assembled.parts, "missing": assembled.missing},
        },
    )


@shared_task(name="ingestion.flush_incomplete_sms", soft_time_limit=240, time_limit=300)
def flush_incomplete_sms() -> int:
    return sms_concat_flush_stale()
