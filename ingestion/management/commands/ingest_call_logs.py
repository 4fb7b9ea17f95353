"""`manage.py ingest_call_logs [--path FILE_OR_PREFIX] [--dry-run]`: the hourly job, by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from ingestion.calllogs.job import RunSummary, call_logs_ingest


class Command(BaseCommand):
    help = "Ingest new call-log files from the lake's inbox (docs/call-logs.md), with a progress bar and a summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--path",
            default="",
            help="a lake key or prefix to ingest (default: the inbox, inbox/call_center/)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="read and check the files, report what would happen; write nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bars: dict[str, tqdm] = {}  # type: ignore[type-arg]

        def progress(key: str, position: int, end: int | None, calls: int, finished: bool) -> None:
            bar = bars.get(key)
            if bar is None:
                bar = bars[key] = tqdm(
                    total=end,
                    desc=key.rsplit("/", 1)[-1][:40],
                    unit=" lines" if end is not None else " calls",
                    file=self.stderr._out,
                    disable=options["verbosity"] == 0,
                    dynamic_ncols=True,
                )
            bar.update(position - bar.n)
            bar.set_postfix(calls=calls, refresh=False)
            if finished:
                bar.close()

        try:
            summary = call_logs_ingest(path=options["path"], dry_run=options["dry_run"], progress=progress)
        finally:
            for bar in bars.values():
                bar.close()
        self._report(summary, verbosity=options["verbosity"])
        if summary.failed:
            raise CommandError("some files failed; they are marked failed in the ledger and retried by the next run")

    def _report(self, summary: RunSummary, *, verbosity: int) -> None:
        if verbosity >= 2 or summary.dry_run:
            for f in summary.files:
                detail = f"{f.calls} calls, {f.rejected} rejected" if f.format else ""
                if f.error:
                    detail = f"{detail}; {f.error}" if detail else f.error
                self.stdout.write(f"  {f.outcome:<11} {f.format or '-':<26} {f.key}  {detail}")
        totals = summary.as_dict()
        title = "Dry run (nothing written)" if summary.dry_run else "Call logs"
        lines = [
            f"{title}: {totals['files']} files "
            f"({totals['files_ingested']} ingested, {totals['files_unchanged']} unchanged, "
            f"{totals['files_quarantined']} quarantined, {totals['files_failed']} failed"
            + (f", {totals['files_checked']} checked" if summary.dry_run else "")
            + (f", {totals['files_busy']} busy elsewhere" if totals["files_busy"] else "")
            + ")",
            f"  calls:          {totals['calls']} ({totals['new_calls']} new, {totals['duplicates']} already known)",
            f"  complaints:     {totals['complaints']}",
            f"  non-complaints: {totals['non_complaints']}",
            f"  no transcript:  {totals['without_text']}",
            f"  rejected rows:  {totals['rejected']}",
        ]
        if summary.dry_run:
            lines[2:5] = ["  (not classified in a dry run)"]
        for f in summary.files:
            if f.rejects_key:
                lines.append(f"  rejects of {f.key}: {f.rejects_key}")
        self.stdout.write("\n".join(lines))
