"""The cost of each accept step, one request at a time, in a Django process with the bench settings.

Run by bench/webhook_accept.py in a child process (DJANGO_SETTINGS_MODULE=webhook_settings);
prints one JSON object: step name -> mean, p50, p99 and CPU milliseconds.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import uuid

from webhook_common import BODY, PUBLIC, SIGNATURE, TOKEN


def measure_steps(iterations: int) -> dict[str, dict[str, float]]:
    import django

    django.setup()
    from django.db import connection
    from django.test import RequestFactory
    from django.utils import timezone

    from ingestion.adapters.twilio import parse_form_values
    from ingestion.broker import publish_process_raw_event
    from ingestion.models import RawEvent
    from ingestion.services import ledger_insert, raw_event_receive
    from ingestion.signatures import TwilioFormValues, twilio_request_valid
    from ingestion.tasks import process_raw_event
    from ingestion.views.webhooks import twilio_sms
    from lake import commit_staged, get_lake, raw_key

    lake = get_lake()
    factory = RequestFactory()
    url = PUBLIC + "/webhooks/twilio/sms/"

    def signature() -> None:
        # As the view does it: the body read once (strict, as the worker reads it), then signed.
        params = TwilioFormValues(parse_form_values(BODY))
        assert twilio_request_valid(url=url, params=params, signature=SIGNATURE, auth_token=TOKEN)

    def lake_write() -> None:
        # As the accept path writes it, in a group of one: staged, then committed.
        staged = lake.stage(raw_key("sms", timezone.now(), uuid.uuid4(), "form"), BODY)
        assert commit_staged([staged]) == [None]

    def ledger_commit() -> None:
        # As raw_event_receive does it: one plain INSERT in autocommit, committed (WAL flushed) on return.
        now = timezone.now()
        ledger_insert(
            {
                "id": uuid.uuid4(),
                "source": "sms",
                "provider": "twilio",
                "lake_key": f"bench/{uuid.uuid4()}",
                "sha256": "0" * 64,
                "size": len(BODY),
                "content_type": "application/x-www-form-urlencoded",
                "headers": {"X-Twilio-Signature": SIGNATURE},
                "meta": {},
                "received_at": now,
                "enqueued_at": now,
            }
        )

    def ledger_orm() -> None:
        # For comparison: the same row through the ORM, as the accept path did before.
        now = timezone.now()
        RawEvent.objects.create(
            id=uuid.uuid4(),
            source="sms",
            provider="twilio",
            lake_key=f"bench/{uuid.uuid4()}",
            sha256="0" * 64,
            size=len(BODY),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": SIGNATURE},
            meta={},
            received_at=now,
            enqueued_at=now,
        )

    def enqueue() -> None:
        publish_process_raw_event(str(uuid.uuid4()))

    def enqueue_celery() -> None:
        process_raw_event.apply_async(args=[str(uuid.uuid4())], retry=False)

    def receive() -> None:
        raw_event_receive(source="sms", provider="twilio", body=BODY, ext="form", content_type="x")

    def view() -> None:
        request = factory.post(
            "/webhooks/twilio/sms/",
            BODY,
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=SIGNATURE,
        )
        assert twilio_sms(request).status_code == 200

    steps = {
        "form parse + signature (RequestValidator)": signature,
        "lake write (staged O_TMPFILE, fsync, linkat, folder fsync; a group of one)": lake_write,
        "ledger row (plain INSERT in autocommit: committed on return)": ledger_commit,
        "ledger row through the ORM (before; not on the path)": ledger_orm,
        "enqueue (direct LPUSH of the Celery message)": enqueue,
        "enqueue through Celery apply_async (before; not on the path)": enqueue_celery,
        "raw_event_receive (lake + ledger + enqueue)": receive,
        "whole view, in-process (no HTTP)": view,
    }
    results: dict[str, dict[str, float]] = {}
    for name, step in steps.items():
        for _ in range(min(50, iterations)):  # warm connections and caches
            step()
        times = []
        cpu = time.process_time()
        for _ in range(iterations):
            started = time.perf_counter()
            step()
            times.append((time.perf_counter() - started) * 1000)
        cpu_ms = (time.process_time() - cpu) * 1000 / iterations
        times.sort()
        results[name] = {
            "mean_ms": statistics.fmean(times),
            "p50_ms": times[len(times) // 2],
            "p99_ms": times[int(len(times) * 0.99) - 1],
            "cpu_ms": cpu_ms,
        }
    connection.close()
    return results


if __name__ == "__main__":
    print(json.dumps(measure_steps(int(sys.argv[1]) if len(sys.argv) > 1 else 300)))
