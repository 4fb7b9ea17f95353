"""manage.py reporting_rollups [--rebuild [--since DAY]] [--status]: bring the rollups up to date."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from warehouse.reporting.models import RollupDirtyDay
from warehouse.reporting.rollups import rollup_state, rollups_catch_up, rollups_requeue


class Command(BaseCommand):
    help = "Run the reporting rollup job until no day waits (the beat task does one bounded pass)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="Recompute every day (or from --since).")
        parser.add_argument("--since", type=date.fromisoformat, help="First day to rebuild (YYYY-MM-DD).")
        parser.add_argument("--status", action="store_true", help="Only show how far the job got.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["since"] and not options["rebuild"]:
            raise CommandError("--since goes with --rebuild")
        if not options["status"]:
            if options["rebuild"]:
                queued = rollups_requeue(since=options["since"])
                self.stdout.write(f"{queued} days queued")
            results = rollups_catch_up()
            if results and results[-1].skipped:
                self.stdout.write("another run holds the lease; try again when it is done")
            days = sum(r.days for r in results)
            events = sum(r.events for r in results)
            self.stdout.write(f"{days} days recomputed from {events} audit entries")
        state = rollup_state()
        self.stdout.write(
            f"through audit entry {state.last_event_id}; last run finished {state.last_finished_at or 'never'}; "
            f"{RollupDirtyDay.objects.count()} days queued"
            + (f"; last error: {state.last_error}" if state.last_error else "")
        )
