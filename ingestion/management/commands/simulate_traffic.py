"""`manage.py simulate_traffic --rate R --duration D [--sources ...]`: realistic synthetic traffic.

Signed webhooks and form posts over HTTP to a running server, and a call-log file dropped in
the lake's inbox, with some re-deliveries and some malformed or forged requests; then a table
of what was sent and how the server answered. Loopback addresses only.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from simulator.report import latency_line, outcome_table, sent_table
from simulator.secrets import ProviderSecrets
from simulator.traffic import PROVIDERS, SOURCE_PROVIDERS, TrafficConfig, TrafficRun, resolve_providers


class Command(BaseCommand):
    help = "Send realistic synthetic traffic from every source through the real entry points."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rate", type=float, default=5.0, help="messages per second (default 5)")
        parser.add_argument("--duration", type=float, default=60.0, help="seconds (default 60)")
        parser.add_argument(
            "--sources",
            nargs="*",
            default=None,
            help=f"any of {', '.join(SOURCE_PROVIDERS)} or {', '.join(PROVIDERS)} (default: all)",
        )
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="the running server (loopback only)")
        parser.add_argument(
            "--webhook-url",
            default=None,
            help="the webhook server, where it is not --base-url (docker compose's `webhooks`; loopback only)",
        )
        parser.add_argument("--duplicates", type=float, default=0.05, help="share re-delivered (default 0.05)")
        parser.add_argument("--malformed", type=float, default=0.03, help="share signed but malformed (default 0.03)")
        parser.add_argument(
            "--forged", type=float, default=0.01, help="share unsigned or wrongly signed (default 0.01)"
        )
        parser.add_argument("--call-format", choices=("jsonl", "csv"), default="jsonl")
        parser.add_argument("--workers", type=int, default=16, help="concurrent senders (default 16)")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--ingest-calls",
            action="store_true",
            help="run ingest_call_logs on the dropped file instead of waiting for beat",
        )
        parser.add_argument(
            "--verify",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="then wait up to SECONDS for every accepted message to be stored (same database as the server)",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rate"] <= 0 or options["duration"] <= 0:
            raise CommandError("--rate and --duration must be positive")
        try:
            providers = resolve_providers(options["sources"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        config = TrafficConfig(
            base_url=options["base_url"],
            webhook_base_url=options["webhook_url"],
            rate=options["rate"],
            duration=options["duration"],
            providers=providers,
            duplicate_share=options["duplicates"],
            malformed_share=options["malformed"],
            forged_share=options["forged"],
            call_format=options["call_format"],
            workers=options["workers"],
            seed=options["seed"],
        )
        try:
            run = TrafficRun(config, ProviderSecrets.from_settings())
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not options["json"]:
            self.stdout.write(
                f"Sending {config.rate:g} msg/s for {config.duration:g} s to {config.base_url} "
                f"({', '.join(p for p in providers if p not in run.result.skipped)})"
            )
        result = run.run(on_progress=None if options["json"] else self._progress)
        if options["ingest_calls"]:
            for drop in result.calls:
                call_command("ingest_call_logs", path=drop.key, stdout=self.stdout)
        verification = None
        if options["verify"] > 0:
            from simulator.verify import wait_until_settled

            verification = wait_until_settled(result, timeout=options["verify"])
        if options["json"]:
            payload: dict[str, Any] = {
                "sent": {p: dict(c) for p, c in result.by_provider().items()},
                "call_logs": [d.key for d in result.calls],
                "skipped": result.skipped,
                "seconds": round(result.finished - result.started, 2),
            }
            if verification is not None:
                payload["verification"] = {
                    k: getattr(verification, k)
                    for k in (
                        "accepted",
                        "stored",
                        "complaints",
                        "filtered",
                        "lost",
                        "stored_twice",
                        "duplicates_sent",
                        "duplicates_absorbed",
                    )
                }
            self.stdout.write(json.dumps(payload, indent=2))
            return
        self.stdout.write("")
        self.stdout.write(sent_table(result))
        if verification is not None:
            self.stdout.write("")
            self.stdout.write(outcome_table(result, verification))
            self.stdout.write("send -> verdict: " + latency_line(verification.latencies))

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"  ... {done}/{total} slots", ending="\n")
