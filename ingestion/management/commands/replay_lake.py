"""manage.py replay_lake --source S --since T [--until T]: re-process raw events from the lake.

Times are ISO-8601 dates or date-times; one without an offset is in TIME_ZONE. Replay is
idempotent: events already in the warehouse are found again, not duplicated.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ingestion.replay import RawKey, lake_replay
from ingestion.sources import Source


def parse_when(value: str) -> datetime:
    """2026-03-01 (midnight), 2026-03-01T09:30, 2026-03-01T09:30:00+01:00; naive means TIME_ZONE."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not an ISO-8601 date or date-time") from exc
    if len(value) == 10:  # a bare date: the start of that day
        parsed = datetime.combine(parsed.date(), time.min)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return parsed


class Command(BaseCommand):
    help = "Re-process raw events of one source received in [--since, --until) from the lake."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True, choices=[s.value for s in Source])
        parser.add_argument("--since", required=True, type=parse_when, help="ISO-8601; naive = TIME_ZONE")
        parser.add_argument("--until", type=parse_when, help="ISO-8601, exclusive (default: now)")
        parser.add_argument("--provider", default="", help="the adapter for keys without a ledger row")
        parser.add_argument("--enqueue", action="store_true", help="queue for the workers instead of running here")
        parser.add_argument("--dry-run", action="store_true", help="list and count, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        since: datetime = options["since"]
        until: datetime = options["until"] or timezone.now()
        if until <= since:
            raise CommandError("--until must be after --since")
        if until - since > timedelta(days=366):
            raise CommandError("replay at most a year at a time")
        verbose = options["verbosity"] >= 2

        def progress(raw: RawKey) -> None:
            if verbose:
                self.stdout.write(f"  {raw.key}")

        report = lake_replay(
            source=options["source"],
            since=since,
            until=until,
            provider=options["provider"],
            enqueue=options["enqueue"],
            dry_run=options["dry_run"],
            progress=progress,
        )
        for key, why in report.skipped:
            self.stderr.write(f"skipped {key}: {why}")
        summary = ", ".join(f"{name} {value}" for name, value in report.as_dict().items())
        prefix = "dry run: " if options["dry_run"] else ""
        self.stdout.write(
            self.style.SUCCESS(f"{prefix}{options['source']} {since.isoformat()} .. {until.isoformat()}: {summary}")
        )
