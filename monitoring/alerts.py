"""Failure alerts: one e-mail to ADMINS per burst of identical failures, and a Sentry event.

Call sites use the named functions below (`alert_quarantined`, `alert_task_failed`, ...); each
builds a fingerprint from what makes two failures "the same" (never from ids or timestamps), so
a thousand quarantined payloads of one kind become one e-mail that says "x1000".

This module imports nothing from the domain apps: the edge, the worker and the sweeper all call
into it, and an alert must still go out when the database is the thing that is down.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.mail import mail_admins
from django.urls import NoReverseMatch, reverse

from monitoring.throttle import Batch, epoch_now, local_throttle, throttle_for

logger = logging.getLogger(__name__)

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_HEX = re.compile(r"\b[0-9a-f]{16,}\b", re.I)
_NUMBER = re.compile(r"\d+")


def normalise(text: str) -> str:
    """What stays the same across identical failures: ids, hashes and numbers blanked out."""
    text = _UUID.sub("<id>", text)
    text = _HEX.sub("<hash>", text)
    return _NUMBER.sub("#", text)[:300]


def alert_send(
    *, kind: str, key: Sequence[str], subject: str, body: str, level: str = "error", now: float | None = None
) -> bool:
    """Count an occurrence; e-mail (and Sentry) when the throttle says it is time. True if sent."""
    now = epoch_now() if now is None else now
    fingerprint = f"{kind}:" + hashlib.sha256("\x1f".join([kind, *key]).encode()).hexdigest()[:24]
    payload = {"kind": kind, "subject": subject, "body": body, "level": level}
    batch = _occur(fingerprint=fingerprint, payload=payload, now=now)
    if batch is None:
        return False
    _deliver(batch, last_at=now)
    return True


def alerts_flush(*, now: float | None = None) -> int:
    """Send every batch whose gathering period or throttle window has ended. Returns e-mails sent."""
    now = epoch_now() if now is None else now
    url = _redis_url()
    if not url:
        return 0
    try:
        batches = throttle_for(url).due(now=now)
    except Exception as exc:  # redis errors: the next flush picks the batches up
        logger.warning("alert flush skipped, Redis unavailable: %s", exc)
        return 0
    for batch in batches:
        _deliver(batch, last_at=now)
    return len(batches)


# --- the alerts -------------------------------------------------------------------------------
def alert_task_failed(
    *, task_name: str, task_id: str, args: Sequence[Any] = (), exc: BaseException | str, traceback_text: str = ""
) -> bool:
    """A Celery task out of retries (or failing with an error that is not retried)."""
    error = f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else str(exc)
    return alert_send(
        kind="task_failed",
        key=[task_name, normalise(error)],
        subject=f"Task failed: {task_name}",
        body=(
            f"The task {task_name} failed for good (out of retries, or an error that is not retried).\n\n"
            f"Error: {error}\nTask id: {task_id}\nArguments: {list(args)!r}\n\n"
            "A raw event that failed is marked `failed`: retry it from the admin (Raw events, filter "
            'Status = Failed, action "Retry") once the cause is fixed.\n'
            f"Failed raw events: {admin_link('ingestion_rawevent_changelist', query='?status__exact=failed')}\n"
            f"Scheduled jobs' last runs: {admin_link('monitoring_jobstatus_changelist')}\n\n"
            f"{traceback_text[-4000:]}"
        ),
    )


def alert_quarantined(
    *, source: str, reason: str, lake_key: str = "", stage: str = "worker", raw_event_id: str = ""
) -> bool:
    """A payload that could not be parsed was kept under quarantine/ (at the edge or in the worker)."""
    return alert_send(
        kind="quarantined",
        key=[source, stage, normalise(reason)],
        subject=f"Event quarantined: {source} ({stage})",
        body=(
            f"A {source} payload could not be processed and was quarantined at the {stage}.\n\n"
            f"Reason: {reason}\nLake key: {lake_key or '-'}\nRaw event: {raw_event_id or '-'}\n\n"
            + _quarantine_advice(source=source, stage=stage, raw_event_id=raw_event_id)
        ),
        level="warning",
    )


def _quarantine_advice(*, source: str, stage: str, raw_event_id: str) -> str:
    if stage.endswith("webhook"):
        # Refused at the edge: no ledger row and nothing under raw/, so neither the admin's Retry
        # nor replay_lake can reach it; saying so spares the admin a search for a row that is not there.
        return (
            "The provider was answered 400 and nothing was written to the ledger: the delivery is not "
            "in the admin's Raw events and `manage.py replay_lake` (which reads raw/) does not see it. "
            "The bytes and the request headers are in the lake at the key above, with a .reason.json "
            "beside them. Usually the provider changed its format: fix the adapter; deliveries after "
            "the fix are accepted again."
        )
    if raw_event_id:
        event = admin_link("ingestion_rawevent_change", args=[raw_event_id])
    else:
        event = admin_link("ingestion_rawevent_changelist", query=f"?status__exact=quarantined&source__exact={source}")
    return (
        "The bytes are in the lake with the reason under quarantine/. Once the adapter is fixed, "
        'retry the event from the admin (action "Retry") or replay the period with '
        f"`manage.py replay_lake`.\nIn the admin: {event}"
    )


def alert_sms_incomplete(
    *, provider: str, sender: str, recipient: str, ref: str, total: int, missing: Sequence[int], waited_minutes: int
) -> bool:
    """A long SMS was stored with parts missing (ingestion/sms_concat_flush.py)."""
    return alert_send(
        kind="sms_incomplete",
        key=[provider],
        subject=f"Long SMS stored with parts missing ({provider})",
        body=(
            f"A {total}-part SMS from {sender} to {recipient} (concat-ref {ref}) was still missing "
            f"part(s) {', '.join(map(str, missing))} {waited_minutes} minutes after its first part. "
            "It was stored with the parts that arrived and [...] where the others belong; a part that "
            "arrives later becomes a message of its own. The parts are in the admin (Sms concat "
            f"groups: {admin_link('ingestion_smsconcatgroup_changelist')}), their raw bytes in the lake."
        ),
        level="warning",
    )


def alert_job_late(*, task_name: str, last_success: datetime | None, max_age_seconds: int) -> bool:
    """A scheduled job has not succeeded for longer than it may."""
    when = last_success.astimezone(UTC).isoformat(timespec="seconds") if last_success else "never"
    return alert_send(
        kind="job_late",
        key=[task_name],
        subject=f"Scheduled job late: {task_name}",
        body=(
            f"The scheduled job {task_name} has not completed successfully for more than "
            f"{max_age_seconds // 60} minutes (last success: {when}).\n\n"
            f"Check that beat and a worker are running ({site_link('/readyz')}), and the job's own failure "
            f"e-mails.\nScheduled jobs' last runs: {admin_link('monitoring_jobstatus_changelist')}"
        ),
    )


def alert_stuck_events(*, found: int, requeued: int, oldest: datetime | None = None) -> bool:
    """The sweeper found raw events left in `received` (or abandoned in `processing`)."""
    oldest_text = oldest.astimezone(UTC).isoformat(timespec="seconds") if oldest else "-"
    return alert_send(
        kind="stuck_events",
        key=["sweeper"],
        subject=f"Stuck raw events: {found} found, {requeued} re-enqueued",
        body=(
            f"The sweeper found {found} raw events that were never processed and re-enqueued "
            f"{requeued} of them (oldest received at {oldest_text}).\n\n"
            "Events that could not be re-enqueued wait for the broker; if this repeats, check the "
            f"broker and the workers ({site_link('/readyz')}).\n"
            f"Events waiting: {admin_link('ingestion_rawevent_changelist', query='?status__exact=received')}"
        ),
        level="warning",
    )


def alert_volume_spike(
    *, scope: str, key: str, count: int, baseline: float, window_start: datetime, window_end: datetime
) -> bool:
    return alert_send(
        kind="volume_spike",
        key=[scope, key],
        subject=f"Complaint volume spike: {scope} {key} ({count} in {_minutes(window_start, window_end)} min)",
        body=(
            f"{count} messages for {scope} '{key}' between {window_start.isoformat(timespec='minutes')} and "
            f"{window_end.isoformat(timespec='minutes')} (UTC); the usual for this weekday and time of day "
            f"is about {baseline:g}.\n\nThe dashboard shows the spike while it lasts: {site_link('/dashboard/')}\n"
            f"Spikes recorded: {admin_link('monitoring_volumespike_changelist')}"
        ),
        level="warning",
    )


# --- links --------------------------------------------------------------------------------------
def site_link(path: str) -> str:
    """An absolute URL on PUBLIC_BASE_URL: an e-mail is read away from the site, so a bare path
    is not a link. Without PUBLIC_BASE_URL only the path can be given."""
    return f"{settings.PUBLIC_BASE_URL}{path}"


def admin_link(name: str, *, args: Sequence[str] = (), query: str = "") -> str:
    try:
        return site_link(reverse(f"admin:{name}", args=list(args)) + query)
    except NoReverseMatch:  # the admin not mounted in this deployment
        return "-"


# --- delivery -----------------------------------------------------------------------------------
def _occur(*, fingerprint: str, payload: dict[str, Any], now: float) -> Batch | None:
    window = float(settings.ALERT_THROTTLE_SECONDS)
    url = _redis_url()
    if url:
        try:
            return throttle_for(url).occur(
                fingerprint=fingerprint,
                payload=payload,
                now=now,
                gather=float(settings.ALERT_GATHER_SECONDS),
                window=window,
            )
        except Exception as exc:  # redis-py connection/timeout errors
            logger.warning("alert throttle in Redis unavailable, throttling in-process: %s", exc)
    return local_throttle.occur(fingerprint=fingerprint, payload=payload, now=now, window=window)


def _deliver(batch: Batch, *, last_at: float) -> None:
    subject = str(batch.payload.get("subject", "Alert"))
    if batch.count > 1:
        subject = f"{subject} (x{batch.count})"
    first = datetime.fromtimestamp(batch.first_at, UTC).isoformat(timespec="seconds")
    last = datetime.fromtimestamp(last_at, UTC).isoformat(timespec="seconds")
    body = (
        f"{batch.payload.get('body', '')}\n\n---\n"
        f"Occurrences in this e-mail: {batch.count} (first {first}, this report {last}).\n"
        f"Identical alerts are sent at most once every {settings.ALERT_THROTTLE_SECONDS // 60} minutes; "
        "see docs/operations.md for what each alert means."
    )
    try:
        mail_admins(subject, body, fail_silently=False)
    except Exception:  # SMTP down must not break the worker that raised the alert
        logger.exception("could not e-mail the alert %r", subject)
    _to_sentry(batch, subject=subject)
    logger.warning("alert sent: %s", subject)


def _to_sentry(batch: Batch, *, subject: str) -> None:
    if not settings.SENTRY_DSN:
        return
    import sentry_sdk

    level = str(batch.payload.get("level", "error"))
    with sentry_sdk.new_scope() as scope:
        # One Sentry issue per alert kind and key, however many e-mails it causes.
        scope.fingerprint = ["monitoring-alert", batch.fingerprint]
        scope.set_tag("alert.kind", str(batch.payload.get("kind", "")))
        scope.set_extra("count", batch.count)
        scope.set_extra("body", str(batch.payload.get("body", ""))[:4000])
        sentry_sdk.capture_message(subject, level=level)  # type: ignore[arg-type]


def _redis_url() -> str:
    return str(getattr(settings, "ALERT_REDIS_URL", "") or "")


def _minutes(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)
