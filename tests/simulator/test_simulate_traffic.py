"""`manage.py simulate_traffic` against a live server: real HTTP, real signatures, real pipeline.

The server is pytest-django's live server (same database, same lake; tasks run eagerly), so
the command's own verification can look every accepted message up.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from ingestion.models import Message, RawEvent
from warehouse.models import Complaint

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider_secrets(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TWILIO_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
    settings.VONAGE_SIGNATURE_SECRET = "vonage-test-secret"
    settings.VONAGE_SIGNATURE_METHOD = "md5hash"
    settings.META_APP_SECRET = "abcdef0123456789abcdef0123456789"
    settings.META_VERIFY_TOKEN = "verify-me"
    settings.X_CONSUMER_SECRET = "x-consumer-secret-for-tests"
    settings.PUBLIC_BASE_URL = ""


def test_traffic_from_every_source_is_accepted_answered_and_stored_exactly_once(
    live_server, provider_secrets, file_lake
) -> None:
    out = io.StringIO()
    call_command(
        "simulate_traffic",
        rate=12,
        duration=4,
        base_url=live_server.url,
        seed=5,
        duplicates=0.15,
        malformed=0.1,
        forged=0.1,
        workers=4,
        ingest_calls=True,
        verify=60,
        json=True,
        stdout=out,
    )
    report = json.loads(out.getvalue()[out.getvalue().index("{\n") :])
    sent = report["sent"]
    assert {"twilio", "vonage", "meta", "x", "web_form", "calls"} <= set(sent)
    total = {key: sum(row.get(key, 0) for row in sent.values()) for key in ("malformed", "forged", "duplicate")}
    assert total["malformed"] and total["forged"] and total["duplicate"]
    # Bad deliveries got exactly the answer they deserve (400 or 403), nothing else.
    assert all(row.get("unexpected_answer", 0) == 0 for row in sent.values())
    assert all(row.get("failed", 0) == 0 for name, row in sent.items() if name != "calls")
    v = report["verification"]
    assert v["accepted"] > 20 and v["lost"] == 0 and v["stored_twice"] == 0
    assert v["stored"] == v["accepted"] == v["complaints"] + v["filtered"]
    # Every re-delivery was answered 200 and left one row (absorbed counts repeated call rows too).
    assert v["duplicates_sent"] > 0 and v["duplicates_absorbed"] >= v["duplicates_sent"]
    # The ledger agrees: one row per message, complaints in the warehouse, each once.
    assert Message.objects.count() == v["accepted"]
    assert Complaint.objects.count() == v["complaints"]
    assert RawEvent.objects.filter(status=RawEvent.Status.FAILED).count() == 0
    # Malformed webhooks and forms were kept under quarantine/ with their reason.
    assert any(key.endswith(".reason.json") for key in file_lake.list("quarantine"))
    assert report["call_logs"] and report["call_logs"][0].startswith("inbox/call_center/")


def test_the_table_says_what_was_sent(live_server, provider_secrets) -> None:
    out = io.StringIO()
    call_command("simulate_traffic", rate=5, duration=1, base_url=live_server.url, sources=["sms"], seed=1, stdout=out)
    text = out.getvalue()
    assert "provider" in text and "accepted" in text and "twilio" in text and "meta" not in text


def test_a_provider_without_its_secret_is_skipped_not_hammered(live_server, settings) -> None:
    settings.TWILIO_AUTH_TOKEN = ""
    out = io.StringIO()
    call_command("simulate_traffic", rate=5, duration=1, base_url=live_server.url, sources=["twilio"], stdout=out)
    assert "switched off (no secret configured): twilio" in out.getvalue()
    assert RawEvent.objects.count() == 0


def test_only_loopback_addresses_are_targets() -> None:
    with pytest.raises(CommandError, match="loopback"):
        call_command("simulate_traffic", rate=1, duration=1, base_url="http://10.0.0.5:8000", stdout=io.StringIO())


def test_unknown_sources_are_refused() -> None:
    with pytest.raises(CommandError, match="unknown source"):
        call_command("simulate_traffic", rate=1, duration=1, sources=["fax"], stdout=io.StringIO())


def test_webhooks_go_to_the_webhook_server_when_it_has_its_own(live_server, provider_secrets) -> None:
    # Nothing listens on the site's address: every delivery answered came from the webhook server.
    from conftest import free_port

    out = io.StringIO()
    call_command(
        "simulate_traffic",
        rate=8,
        duration=2,
        base_url=f"http://127.0.0.1:{free_port()}",
        webhook_url=live_server.url,
        sources=["sms", "social"],
        seed=3,
        json=True,
        stdout=out,
    )
    report = json.loads(out.getvalue()[out.getvalue().index("{\n") :])
    sent = report["sent"]
    assert sum(row.get("accepted", 0) for row in sent.values()) >= 10
    assert all(row.get("failed", 0) == 0 for row in sent.values())
    assert RawEvent.objects.count() > 0
