"""The resumable job that keeps the rollup tables current (zulip analytics style).

A run:
1. takes a lease on the RollupState row (a conditional UPDATE), so two runs never interleave;
2. reads the change feed, the complaints' audit trail (ComplaintEvent, every service write adds
   one), from the recorded id onwards, queues the local days each change touches (receipt,
   resolution, dismissal) and records the new id in the same transaction;
3. queues today and yesterday, for what has no audit trail (filtered messages);
4. drains the queue newest day first, each day recomputed and unqueued in one transaction;
5. refreshes the weekly trends of the complete weeks it touched.

A crash anywhere leaves the queue and the recorded id where the last commit put them: the next
run picks up from there, and recomputing a day twice gives the same rows.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from warehouse.models import Complaint, ComplaintEvent
from warehouse.reporting.daycompute import ROLLUP_MODELS, day_compute, day_write
from warehouse.reporting.models import RollupDirtyDay, RollupState, RollupWeeklyTrend
from warehouse.reporting.schema import reporting_settings_sync
from warehouse.reporting.timebuckets import days_between, internal_zone, local_day
from warehouse.reporting.trends import weekly_trends_refresh

logger = logging.getLogger(__name__)

JOB = "rollups"
FEED_BATCH = 5000
# Longer than the task's time limit: a live run renews it after every day it finishes.
LEASE = timedelta(minutes=20)


@dataclass(frozen=True)
class RunResult:
    skipped: bool = False
    events: int = 0
    days: int = 0
    rows: int = 0  # rollup rows written (deleted or inserted)
    days_left: int = 0


def rollup_state() -> RollupState:
    state, _ = RollupState.objects.get_or_create(name=JOB)
    return state


def rollup_days_queue(*, days: Iterable[date], now: datetime | None = None) -> int:
    """Queue days for recomputation (already queued ones stay as they are). Returns how many were given."""
    now = now or timezone.now()
    rows = [RollupDirtyDay(day=day, queued_at=now) for day in set(days)]
    RollupDirtyDay.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def rollups_requeue(*, since: date | None = None, until: date | None = None, now: datetime | None = None) -> int:
    """Queue every day from `since` (default: the first complaint's day) to `until` (default: today).

    Queueing the whole history also moves the change feed up to now: every day those audit
    entries could touch is about to be recomputed anyway.
    """
    now = now or timezone.now()
    tz = internal_zone()
    everything = since is None and until is None
    if since is None:
        first = Complaint.objects.aggregate(first=Min("received_at"))["first"]
        if first is None:
            return 0
        since = local_day(first, tz)
    until = until or local_day(now, tz)
    with transaction.atomic():
        queued = rollup_days_queue(days=days_between(since, until), now=now)
        if everything:
            cutoff = now - timedelta(seconds=settings.REPORTING_ROLLUP_LAG_SECONDS)
            newest = ComplaintEvent.objects.filter(created_at__lte=cutoff).aggregate(newest=Max("id"))["newest"]
            if newest:
                state = rollup_state()
                RollupState.objects.filter(pk=state.pk, last_event_id__lt=newest).update(last_event_id=newest)
    return queued


def rollups_update(*, now: datetime | None = None, max_days: int | None = None) -> RunResult:
    """One run of the job. Returns quietly (skipped) when another run holds the lease."""
    now = now or timezone.now()
    max_days = max_days if max_days is not None else settings.REPORTING_ROLLUP_MAX_DAYS_PER_RUN
    owner = uuid.uuid4().hex
    state = rollup_state()
    if not _lease_take(state=state, owner=owner, now=now):
        logger.info("rollup run skipped: another run holds the lease")
        return RunResult(skipped=True)
    try:
        reporting_settings_sync()
        tz = internal_zone()
        if state.time_zone != settings.TIME_ZONE:
            # Every stored day was cut in another zone: all of them are wrong now.
            with transaction.atomic():
                for model in (*ROLLUP_MODELS, RollupWeeklyTrend):
                    model.objects.all().delete()
                queued = rollups_requeue(now=now)
                RollupState.objects.filter(pk=state.pk).update(time_zone=settings.TIME_ZONE)
            logger.warning("TIME_ZONE is now %s: %d days queued for recomputation", settings.TIME_ZONE, queued)
        events = _feed_read(state=state, owner=owner, now=now, tz=tz)
        rollup_days_queue(days=[local_day(now, tz), local_day(now, tz) - timedelta(days=1)], now=now)
        done, rows = _drain(state=state, owner=owner, max_days=max_days, tz=tz)
        weekly_trends_refresh(days=done, today=local_day(now, tz))
    except Exception as exc:
        RollupState.objects.filter(pk=state.pk, lease_owner=owner).update(
            last_error=f"{type(exc).__name__}: {exc}"[:5000], lease_owner="", lease_until=None
        )
        raise
    days_left = RollupDirtyDay.objects.count()
    RollupState.objects.filter(pk=state.pk, lease_owner=owner).update(
        last_finished_at=timezone.now(), last_days=len(done), last_error="", lease_owner="", lease_until=None
    )
    logger.info("rollup run: %d events, %d days, %d rows, %d days left", events, len(done), rows, days_left)
    return RunResult(events=events, days=len(done), rows=rows, days_left=days_left)


def _lease_take(*, state: RollupState, owner: str, now: datetime) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(
        RollupState.objects.filter(free, pk=state.pk).update(
            lease_owner=owner, lease_until=now + LEASE, last_started_at=now
        )
    )


def _lease_renew(*, state: RollupState, owner: str) -> bool:
    return bool(RollupState.objects.filter(pk=state.pk, lease_owner=owner).update(lease_until=timezone.now() + LEASE))


def _feed_read(*, state: RollupState, owner: str, now: datetime, tz: tzinfo) -> int:
    """Queue the days touched by audit entries newer than the recorded id. Returns entries read.

    Entries younger than REPORTING_ROLLUP_LAG_SECONDS wait for the next run: ids are handed out
    at INSERT but become visible at COMMIT, so reading right up to now could step over an entry
    whose transaction is still open and never come back for it.
    """
    cutoff = now - timedelta(seconds=settings.REPORTING_ROLLUP_LAG_SECONDS)
    last_id = RollupState.objects.values_list("last_event_id", flat=True).get(pk=state.pk)
    total = 0
    while True:
        batch = list(
            ComplaintEvent.objects.filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", "created_at", "complaint_id")[:FEED_BATCH]
        )
        ready = []
        for row in batch:
            if row[1] > cutoff:
                break
            ready.append(row)
        if not ready:
            return total
        days = {local_day(created_at, tz) for _, created_at, _ in ready}
        touched = Complaint.objects.filter(id__in={complaint_id for _, _, complaint_id in ready}).values_list(
            "received_at", "resolved_at"
        )
        for received_at, resolved_at in touched.order_by():
            days.add(local_day(received_at, tz))
            if resolved_at is not None:
                days.add(local_day(resolved_at, tz))
        with transaction.atomic():
            rollup_days_queue(days=days, now=now)
            moved = RollupState.objects.filter(pk=state.pk, lease_owner=owner, last_event_id=last_id).update(
                last_event_id=ready[-1][0]
            )
            if not moved:
                # A full requeue moved the feed on meanwhile: every day is queued, nothing is lost.
                transaction.set_rollback(True)
                logger.info("change feed moved by a requeue; leaving the rest to it")
                return total
        last_id = ready[-1][0]
        total += len(ready)
        if len(ready) < len(batch) or len(batch) < FEED_BATCH:
            return total


def _drain(*, state: RollupState, owner: str, max_days: int, tz: tzinfo) -> tuple[list[date], int]:
    """Recompute queued days, newest first (today's numbers matter most), up to max_days."""
    done: list[date] = []
    rows = 0
    for day in RollupDirtyDay.objects.order_by("-day").values_list("day", flat=True)[:max_days]:
        rollups = day_compute(day=day, tz=tz)
        with transaction.atomic():
            rows += day_write(rollups=rollups)
            RollupDirtyDay.objects.filter(day=day).delete()
        done.append(day)
        if not _lease_renew(state=state, owner=owner):
            logger.warning("rollup lease lost after %d days; stopping", len(done))
            break
    return done, rows


def rollups_catch_up(*, now: datetime | None = None, max_runs: int = 1000) -> list[RunResult]:
    """Run until the queue is empty (the management command; a beat run does one bounded pass)."""
    results = []
    for _ in range(max_runs):
        result = rollups_update(now=now)
        results.append(result)
        if result.skipped or result.days_left == 0:
            break
    return results
