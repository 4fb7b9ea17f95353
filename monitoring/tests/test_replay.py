"""Replay from the lake and the admin's retry/replay actions: what failed is re-run, nothing doubles."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart
from django.utils import timezone

from ingestion.models import Message, RawEvent
from ingestion.replay import provider_for, raw_key_parse
from ingestion.tests.calllogs.helpers import INBOX, drop, fixture_bytes
from ingestion.tests.webhook_helpers import payload, post_meta, provider_secrets  # noqa: F401
from lake import raw_key
from warehouse.models import Complaint

pytestmark = pytest.mark.django_db


def form_body(text: str, email: str) -> bytes:
    return encode_multipart(BOUNDARY, {"category": "delivery", "text": text, "email": email, "name": "", "phone": ""})


def counts() -> tuple[int, int, int]:
    return RawEvent.objects.count(), Message.objects.count(), Complaint.objects.count()


def replay(source: str, since: datetime, until: datetime | None = None, **options: object) -> str:
    out = io.StringIO()
    args = ["--source", source, "--since", since.isoformat()]
    if until:
        args += ["--until", until.isoformat()]
    call_command("replay_lake", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.mark.usefixtures("provider_secrets")
def test_replaying_a_day_rebuilds_what_only_the_lake_has_and_duplicates_nothing(
    client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    # The day's traffic: two form complaints and a Messenger delivery, processed as usual ...
    for i in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            fields = {
                "category": "delivery",
                "text": f"My order {i} never arrived and the tracking page is blank.",
                "email": f"c{i}@example.com",
            }
            assert client.post("/complaints/new/", fields).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert post_meta(client, payload("meta_messenger.json")).status_code == 200
    # ... and two deliveries whose ledger rows were lost (a crash between the lake and the commit):
    # a third form submission, and Meta re-delivering the same Messenger payload.
    lost_at = timezone.now() - timedelta(minutes=30)
    lost_form = raw_key("web_form", lost_at, uuid.uuid4(), "multipart")
    file_lake.write(lost_form, form_body("The courier left my parcel in the rain, it is ruined.", "lost@example.com"))
    lost_meta = raw_key("social", lost_at, uuid.uuid4(), "json")
    file_lake.write(lost_meta, payload("meta_messenger.json"))
    before = counts()
    assert before[2] >= 3  # two form complaints and Messenger's

    since = timezone.now() - timedelta(hours=3)
    until = timezone.now() + timedelta(minutes=1)
    out = replay("web_form", since, until)
    assert "keys 3" in out and "ledger_reused 2" in out and "ledger_created 1" in out
    replay("social", since, until)

    rebuilt = RawEvent.objects.get(lake_key=lost_form)
    parsed = raw_key_parse(lost_form)
    assert parsed and rebuilt.id == parsed.event_id and rebuilt.received_at == parsed.received_at
    assert rebuilt.status == RawEvent.Status.PROCESSED and rebuilt.provider == "web_form"
    assert RawEvent.objects.get(lake_key=lost_meta).provider == "meta"
    assert Complaint.objects.filter(contact_email="lost@example.com").count() == 1
    # Two new ledger rows, one new message and complaint (the form); Meta's re-delivery absorbed.
    assert counts() == (before[0] + 2, before[1] + 1, before[2] + 1)

    after_first = counts()
    replay("web_form", since, until)
    replay("social", since, until)
    assert counts() == after_first
    assert RawEvent.objects.exclude(status=RawEvent.Status.PROCESSED).count() == 0


def test_replay_walks_only_the_partitions_in_range(file_lake) -> None:
    inside = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    for at in (inside, inside - timedelta(days=1), inside + timedelta(hours=2)):
        file_lake.write(
            raw_key("web_form", at, uuid.uuid4(), "multipart"), form_body("Broken kettle on arrival.", "a@b.co")
        )
    out = replay(
        "web_form", datetime(2026, 3, 2, 10, 0, tzinfo=UTC), datetime(2026, 3, 2, 11, 0, tzinfo=UTC), dry_run=True
    )
    assert out.startswith("dry run:") and "keys 1," in out
    assert counts() == (0, 0, 0)


def test_a_replayed_call_log_file_is_resumed_by_its_job_without_duplicate_calls(settings, file_lake) -> None:
    from ingestion.calllogs.job import call_logs_ingest

    settings.CALL_LOG_SOURCE_TZ = "Europe/London"
    drop(file_lake, "calls.csv", fixture_bytes("calls.csv"))
    first = call_logs_ingest()
    assert first.count("ingested") == 1
    before = counts()
    event = RawEvent.objects.get(provider="call_log")
    out = replay("call_center", event.received_at - timedelta(minutes=1), event.received_at + timedelta(minutes=1))
    assert "call_log_files 1" in out
    assert counts() == before
    event.refresh_from_db()
    assert event.status == RawEvent.Status.PROCESSED and event.meta["inbox_key"] == f"{INBOX}/calls.csv"


def test_replay_arguments_are_checked() -> None:
    with pytest.raises(CommandError, match="after --since"):
        replay("sms", datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    with pytest.raises(CommandError, match="not an ISO-8601"):
        call_command("replay_lake", "--source", "sms", "--since", "yesterday")


def test_a_bare_date_is_midnight_in_the_internal_time_zone(settings) -> None:
    from ingestion.management.commands.replay_lake import parse_when

    settings.TIME_ZONE = "Europe/London"
    assert parse_when("2026-07-01") == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert parse_when("2026-07-01T09:30:00+00:00") == datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


def test_the_provider_of_an_orphan_object_is_told_from_its_bytes() -> None:
    assert provider_for(source="sms", ext="form", body=b"ToCountry=GB&SmsSid=SM1&MessageSid=SM1&Body=hi") == "twilio"
    assert provider_for(source="sms", ext="json", body=b'{"msisdn": "447700900001", "messageId": "1"}') == "vonage"
    assert provider_for(source="social", ext="json", body=payload("meta_messenger.json")) == "meta"
    assert provider_for(source="social", ext="json", body=payload("x_dm.json")) == "x"
    with pytest.raises(ValueError, match="--provider"):
        provider_for(source="social", ext="json", body=b"[]")


# --- the admin --------------------------------------------------------------------------------
@pytest.fixture
def admin_client(client: Client) -> Client:
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(admin)
    return client


def stored_event(file_lake, *, status: str, text: str = "My parcel never arrived, three weeks now.") -> RawEvent:  # type: ignore[no-untyped-def]
    now = timezone.now()
    event_id = uuid.uuid4()
    key = raw_key("web_form", now, event_id, "multipart")
    obj = file_lake.write(key, form_body(text, f"{event_id.hex[:6]}@example.com"))
    return RawEvent.objects.create(
        id=event_id,
        source="web_form",
        provider="web_form",
        lake_key=key,
        sha256=obj.sha256,
        size=obj.size,
        received_at=now,
        enqueued_at=now,
        status=status,
        error="LakeUnavailable: earlier outage" if status == "failed" else "",
    )


def act(client: Client, action: str, events: list[RawEvent], capture) -> str:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        response = client.post(
            "/admin/ingestion/rawevent/",
            {"action": action, "_selected_action": [str(e.id) for e in events]},
            follow=True,
        )
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def test_failed_events_are_listed_and_retried_from_the_admin(
    admin_client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    failed = stored_event(file_lake, status=RawEvent.Status.FAILED)
    done = stored_event(file_lake, status=RawEvent.Status.PROCESSED)
    listing = admin_client.get("/admin/ingestion/rawevent/", {"status__exact": "failed"})
    assert listing.status_code == 200 and str(failed.id) in listing.content.decode()
    assert "Retry selected failed or quarantined events" in listing.content.decode()

    note = act(admin_client, "retry_events", [failed, done], django_capture_on_commit_callbacks)
    assert "1 event(s) queued" in note and "1 event(s) skipped" in note
    failed.refresh_from_db()
    assert failed.status == RawEvent.Status.PROCESSED and failed.error == ""
    assert Complaint.objects.filter(raw_event_id=failed.id).count() == 1


def test_a_quarantined_event_is_retried_after_the_fix_and_a_processed_one_replayed_without_duplicates(
    admin_client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    event = stored_event(file_lake, status=RawEvent.Status.QUARANTINED)
    act(admin_client, "retry_events", [event], django_capture_on_commit_callbacks)
    event.refresh_from_db()
    assert event.status == RawEvent.Status.PROCESSED
    assert Complaint.objects.count() == 1

    act(admin_client, "replay_events", [event], django_capture_on_commit_callbacks)
    act(admin_client, "replay_events", [event], django_capture_on_commit_callbacks)
    event.refresh_from_db()
    assert event.status == RawEvent.Status.PROCESSED
    assert Complaint.objects.count() == 1 and Message.objects.count() == 1


def test_a_form_sent_again_after_an_error_page_is_not_replayed_as_a_second_complaint(
    client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    from ingestion.tests.test_form import png_bytes, upload, valid_post

    screenshot = png_bytes(size=(64, 48))
    fields = valid_post(email="again@example.com")
    # The first attempt: its bytes reached the lake, its ledger row did not (PostgreSQL went away
    # after the lake write), and the customer got an error page. Same words and file, its own boundary.
    failed_at = timezone.now() - timedelta(minutes=4)
    orphan = raw_key("web_form", failed_at, uuid.uuid4(), "multipart")
    file_lake.write(
        orphan, encode_multipart("FirstAttemptBoundary", {**fields, "attachments": upload("shot.png", screenshot)})
    )
    # The customer sends the form again and it is accepted.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/complaints/new/", {**fields, "attachments": upload("shot.png", screenshot)})
    assert response.status_code == 302
    before = counts()

    err = io.StringIO()
    call_command(
        "replay_lake",
        "--source",
        "web_form",
        "--since",
        (failed_at - timedelta(minutes=1)).isoformat(),
        stdout=io.StringIO(),
        stderr=err,
    )

    assert counts() == before
    assert Complaint.objects.filter(contact_email="again@example.com").count() == 1
    assert not RawEvent.objects.filter(lake_key=orphan).exists()
    accepted = RawEvent.objects.get(source="web_form")  # the retry; the failed attempt has no row
    assert f"skipped {orphan}: sent again and accepted as raw event {accepted.id}" in err.getvalue()
    assert file_lake.exists(orphan)  # the bytes stay in the lake


@pytest.mark.parametrize(
    ("earlier", "changes"),
    [
        (False, {"text": "My parcel 48213 never arrived, and now the refund was refused as well."}),
        (True, {}),  # the same words accepted before the failed attempt: not its retry
    ],
    ids=["other words", "accepted before"],
)
def test_a_failed_forms_copy_without_an_accepted_retry_is_recovered(
    client: Client, file_lake, django_capture_on_commit_callbacks, earlier: bool, changes: dict[str, str]
) -> None:
    from ingestion.tests.test_form import valid_post

    fields = valid_post(email="once@example.com")
    failed_at = timezone.now() + (timedelta(seconds=5) if earlier else -timedelta(minutes=4))
    orphan = raw_key("web_form", failed_at, uuid.uuid4(), "multipart")
    file_lake.write(orphan, encode_multipart("FirstAttemptBoundary", {**fields, **changes}))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/complaints/new/", fields).status_code == 302

    replay("web_form", timezone.now() - timedelta(minutes=10), timezone.now() + timedelta(minutes=1))

    assert RawEvent.objects.get(lake_key=orphan).status == RawEvent.Status.PROCESSED
    assert Complaint.objects.filter(contact_email="once@example.com").count() == 2
