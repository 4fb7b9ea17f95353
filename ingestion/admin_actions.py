"""Admin actions on raw events: retry what failed, replay anything from the lake."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ingestion.models import RawEvent
from ingestion.replay import raw_events_replay, raw_events_retry


@admin.action(description="Retry selected failed or quarantined events", permissions=["change"])
def retry_events(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[RawEvent]) -> None:
    ids = list(queryset.values_list("id", flat=True))
    count = raw_events_retry(ids=ids)
    skipped = len(ids) - count
    modeladmin.message_user(request, f"{count} event(s) queued for processing again.", messages.SUCCESS)
    if skipped:
        modeladmin.message_user(
            request,
            f"{skipped} event(s) skipped: only failed or quarantined events are retried (use Replay for others).",
            messages.WARNING,
        )


@admin.action(description="Replay selected events from the lake (idempotent)", permissions=["change"])
def replay_events(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[RawEvent]) -> None:
    ids = list(queryset.values_list("id", flat=True))
    count = raw_events_replay(ids=ids)
    modeladmin.message_user(
        request,
        f"{count} event(s) queued for replay; {len(ids) - count} in processing were left alone.",
        messages.SUCCESS,
    )
