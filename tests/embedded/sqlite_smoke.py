"""Run by tests/embedded/test_sqlite_default.py in a fresh process on the embedded default.

`make run` serves the whole system on SQLite, a file lake and the file-system broker: the paths
written for PostgreSQL (the ledger's plain INSERT and group commit, the worker's batches, the
call-log bulk writes) must work there too. Prints one JSON object with what was stored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

call_command("migrate", verbosity=0)

from ingestion.batch import raw_events_process_batch  # noqa: E402
from ingestion.calllogs.job import call_logs_ingest  # noqa: E402
from ingestion.models import Message, RawEvent  # noqa: E402
from ingestion.tests.webhook_helpers import payload, post_twilio  # noqa: E402
from lake import get_lake  # noqa: E402
from warehouse.models import Complaint  # noqa: E402

client = Client()
form = client.post(
    "/complaints/new/",
    {
        "category": "delivery",
        "name": "Sam Carter",
        "email": "sam@example.com",
        "text": "My parcel was marked delivered on Monday but never arrived. Order 55102. I want a refund.",
    },
)
webhook = post_twilio(client, payload("twilio_sms.txt"))

inbox = Path(get_lake().root) / "inbox" / "call_center"
inbox.mkdir(parents=True, exist_ok=True)
(inbox / "calls.jsonl").write_text(
    "\n".join(
        json.dumps(
            {
                "call_id": f"C-{n}",
                "timestamp": "2025-10-25T15:00:00+01:00",
                "call_duration": 60 + n,
                "transcript": "Agent: Hello. Customer: My broadband keeps dropping, third time I've called.",
            }
        )
        for n in range(5)
    )
    + "\n"
)

for event_id in RawEvent.objects.exclude(provider="call_log").values_list("id", flat=True):
    raw_events_process_batch(raw_event_id=event_id)
calls = call_logs_ingest()

print(
    json.dumps(
        {
            "database": os.environ["DATABASE_URL"].split(":", 1)[0],
            "form_status": form.status_code,
            "webhook_status": webhook.status_code,
            "raw_events": sorted(RawEvent.objects.values_list("provider", "status")),
            "messages": Message.objects.count(),
            "unrouted": Message.objects.filter(status=Message.Status.NEW).count(),
            "complaints": Complaint.objects.count(),
            "calls": calls.as_dict()["calls"],
        }
    )
)
