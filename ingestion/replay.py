"""Re-running what failed, and replaying any stretch of the lake (ARCHITECTURE rule 7).

Everything here leans on the pipeline's idempotency (rule 3): a message is keyed by
(source, external_id) and a complaint by the same, so processing an event again finds the rows
it made the first time instead of making new ones.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ingestion.models import RawEvent
from ingestion.services import raw_event_enqueue
from ingestion.sources import Source
from ingestion.webform import web_form_retry_accepted
from lake import get_lake

logger = logging.getLogger(__name__)

# raw/<source>/<YYYY>/<MM>/<DD>/<HH>/<YYYYMMDDTHHMMSSffffff>Z_<uuid>.<ext>
_RAW_NAME = re.compile(
    r"^raw/(?P<source>[a-z_]+)/\d{4}/\d{2}/\d{2}/\d{2}/"
    r"(?P<at>\d{8}T\d{6})(?P<micro>\d{6})Z_(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"\.(?P<ext>[A-Za-z0-9]{1,12})$"
)
CALL_LOG_PROVIDER = "call_log"
RETRYABLE = (RawEvent.Status.FAILED, RawEvent.Status.QUARANTINED)


# --- failures ---------------------------------------------------------------------------------
def raw_event_mark_failed(*, raw_event_id: str | uuid.UUID, error: str) -> bool:
    """A task out of retries: the event waits in `failed` for a retry from the admin."""
    return bool(
        RawEvent.objects.filter(
            id=raw_event_id, status__in=[RawEvent.Status.RECEIVED, RawEvent.Status.PROCESSING]
        ).update(status=RawEvent.Status.FAILED, error=error[:5000], processed_at=timezone.now())
    )


def raw_events_retry(*, ids: Iterable[uuid.UUID | str]) -> int:
    """Failed or quarantined events back to `received` and onto the queue. Returns how many."""
    return _requeue(ids=ids, from_statuses=RETRYABLE)


def raw_events_replay(*, ids: Iterable[uuid.UUID | str]) -> int:
    """Any finished event (processed too) processed again from its bytes in the lake."""
    return _requeue(ids=ids, from_statuses=(*RETRYABLE, RawEvent.Status.PROCESSED, RawEvent.Status.RECEIVED))


def _requeue(*, ids: Iterable[uuid.UUID | str], from_statuses: tuple[str, ...]) -> int:
    now = timezone.now()
    count = 0
    for event_id in ids:
        event = RawEvent.objects.filter(id=event_id).only("id", "provider", "meta").first()
        if event is None:
            continue
        # Conditional: an event a worker is processing right now is left to it.
        changed = RawEvent.objects.filter(id=event.id, status__in=from_statuses).update(
            status=RawEvent.Status.RECEIVED, error="", enqueued_at=now
        )
        if not changed:
            continue
        count += 1
        if event.provider == CALL_LOG_PROVIDER:
            # Call-log files are resumed by the hourly job (a `received` file is picked up first).
            continue
        transaction.on_commit(functools.partial(raw_event_enqueue, raw_event_id=event.id))
    return count


# --- the lake ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RawKey:
    key: str
    source: str
    received_at: datetime
    event_id: uuid.UUID
    ext: str


def raw_key_parse(key: str) -> RawKey | None:
    """The received time and event id a raw key encodes; None for anything else under raw/."""
    match = _RAW_NAME.match(key)
    if not match:
        return None
    at = datetime.strptime(match["at"], "%Y%m%dT%H%M%S").replace(microsecond=int(match["micro"]), tzinfo=UTC)
    return RawKey(key=key, source=match["source"], received_at=at, event_id=uuid.UUID(match["id"]), ext=match["ext"])


def lake_raw_keys(*, source: str, since: datetime, until: datetime) -> Iterator[RawKey]:
    """Raw keys of `source` received in [since, until), walking only the hour partitions in range."""
    lake = get_lake()
    hour = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while hour < until:
        for key in lake.list(f"raw/{source}/{hour:%Y/%m/%d/%H}"):
            parsed = raw_key_parse(key)
            if parsed and since <= parsed.received_at < until:
                yield parsed
        hour += timedelta(hours=1)


def provider_for(*, source: str, ext: str, body: bytes) -> str:
    """Which adapter reads a raw object that has no ledger row: told from its shape.

    Only needed when the ledger row is missing (a crash between the lake write and the commit);
    otherwise the row says. Raises ValueError when the bytes fit no known provider.
    """
    if source == Source.WEB_FORM:
        return "web_form"
    head = body[:4096]
    if source == Source.SMS:
        if b"MessageSid=" in head or b"SmsSid=" in head or b"AccountSid=" in head:
            return "twilio"
        if b"msisdn" in head or b"messageId" in head:
            return "vonage"
    if source == Source.SOCIAL:
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            if "for_user_id" in payload or any(k.endswith("_events") for k in payload):
                return "x"
            if "object" in payload and "entry" in payload:
                return "meta"
    raise ValueError(f"cannot tell the provider of a {source} .{ext} object; pass --provider")


@dataclass
class ReplayReport:
    keys: int = 0
    ledger_reused: int = 0
    ledger_created: int = 0
    processed: int = 0
    messages: int = 0
    new_messages: int = 0
    complaints: int = 0
    quarantined: int = 0
    call_log_files: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (key, why)

    def as_dict(self) -> dict[str, object]:
        return {k: (len(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()}


def lake_replay(
    *,
    source: str,
    since: datetime,
    until: datetime,
    provider: str = "",
    enqueue: bool = False,
    dry_run: bool = False,
    progress: Callable[[RawKey], None] | None = None,
) -> ReplayReport:
    """Process again every raw event of `source` received in [since, until).

    A key with a ledger row reuses it; a key without one gets its row rebuilt from the key (the
    received time and the event id are in its name) and the bytes. Each event is processed in
    this process, or put on the queue with `enqueue`. Replaying twice changes nothing more. A
    form's copy without a row whose customer sent the form again and was accepted is skipped
    (ingestion/webform.py says why).
    """
    from ingestion.pipeline import raw_event_process

    report = ReplayReport()
    lake = get_lake()
    for raw in lake_raw_keys(source=source, since=since, until=until):
        report.keys += 1
        if progress:
            progress(raw)
        event = RawEvent.objects.filter(lake_key=raw.key).first()
        if event is not None:
            report.ledger_reused += 1
        else:
            body = lake.read(raw.key)
            retry = None
            if raw.source == Source.WEB_FORM:
                retry = web_form_retry_accepted(body=body, received_at=raw.received_at, lake_key=raw.key)
            if retry is not None:
                # The customer saw an error page for this copy and sent the form again: one complaint.
                reference = retry.meta.get("reference", "")
                report.skipped.append((raw.key, f"sent again and accepted as raw event {retry.id} ({reference})"))
                continue
            if dry_run:
                report.ledger_created += 1
                continue
            try:
                event = _ledger_from_key(raw, body=body, provider=provider)
            except ValueError as exc:
                report.skipped.append((raw.key, str(exc)))
                continue
            report.ledger_created += 1
        if dry_run:
            continue
        if event.status == RawEvent.Status.PROCESSING:
            report.skipped.append((raw.key, "being processed right now"))
            continue
        if event.provider == CALL_LOG_PROVIDER:
            report.call_log_files += _call_log_replay(event)
            continue
        # Conditional: a worker that just picked the event up keeps it.
        RawEvent.objects.filter(id=event.id).exclude(status=RawEvent.Status.PROCESSING).update(
            status=RawEvent.Status.RECEIVED, error="", enqueued_at=timezone.now()
        )
        if enqueue:
            raw_event_enqueue(raw_event_id=event.id)
            report.processed += 1
            continue
        result = raw_event_process(raw_event_id=event.id)
        report.processed += int(not result.skipped)
        report.messages += result.messages
        report.new_messages += result.new_messages
        report.complaints += result.complaints
        report.quarantined += int(result.quarantined)
    return report


def _ledger_from_key(raw: RawKey, *, body: bytes, provider: str) -> RawEvent:
    if raw.source == Source.CALL_CENTER:
        # A call-log file's row carries its inbox key and format; only the job can rebuild it.
        raise ValueError("call-log file without a ledger row: drop it in the inbox again")
    provider = provider or provider_for(source=raw.source, ext=raw.ext, body=body)
    try:
        with transaction.atomic():
            return RawEvent.objects.create(
                id=raw.event_id,
                source=raw.source,
                provider=provider,
                lake_key=raw.key,
                sha256=hashlib.sha256(body).hexdigest(),
                size=len(body),
                received_at=raw.received_at,
                meta={"rebuilt_from_lake": True},
            )
    except IntegrityError:  # a concurrent replay (or the edge, late) made it: use theirs
        return RawEvent.objects.get(lake_key=raw.key)


def _call_log_replay(event: RawEvent) -> int:
    """Hand a call-log file back to its job: `received` is resumed first, then processed again."""
    from ingestion.calllogs.job import call_logs_ingest

    RawEvent.objects.filter(id=event.id).exclude(status=RawEvent.Status.PROCESSING).update(
        status=RawEvent.Status.RECEIVED, error=""
    )
    summary = call_logs_ingest(path=str(event.meta.get("inbox_key", "")) or event.lake_key)
    # The inbox file itself shows up too, as "unchanged": only the re-read raw copy counts.
    return summary.count("ingested")
