"""Through the real broker to a real Celery worker process (not eager), and the sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from kombu import pools as kombu_pools

from complaintsite.celery import app as celery_app
from conftest import wait_for
from ingestion.models import RawEvent
from ingestion.services import raw_events_sweep
from warehouse.models import Complaint

FORM = {
    "category": "billing",
    "text": "I have been charged twice for my March bill, £42.50 taken on the 3rd and again on the 4th.",
    "email": "bo@example.com",
}


@pytest.mark.django_db(transaction=True)
def test_a_form_submission_reaches_the_warehouse_through_a_real_worker(real_worker: None, client: Client) -> None:
    response = client.post("/complaints/new/", FORM)
    assert response.status_code == 302
    complaint = wait_for(lambda: Complaint.objects.filter(contact_email="bo@example.com").first(), timeout=60)
    assert complaint.status == Complaint.Status.PENDING
    # The worker marks the event processed just after the complaint commits.
    wait_for(lambda: RawEvent.objects.filter(status=RawEvent.Status.PROCESSED).exists())


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_submission_is_accepted_and_the_sweeper_delivers_it_later(
    real_worker: None, client: Client, settings
) -> None:
    with _broker_down():
        response = client.post("/complaints/new/", FORM)
        assert response.status_code == 302  # accepted: the lake and the ledger have it
    event = RawEvent.objects.get()
    assert event.status == RawEvent.Status.RECEIVED
    assert not Complaint.objects.exists()

    # Not yet past the grace period: the sweeper leaves it alone.
    assert raw_events_sweep() == []
    later = timezone.now() + timedelta(seconds=settings.SWEEPER_GRACE_SECONDS + 1)
    assert raw_events_sweep(now=later) == [event.id]
    wait_for(lambda: Complaint.objects.filter(external_id=str(event.id)).exists(), timeout=60)
    # A second sweep at the same moment finds nothing more to do.
    assert raw_events_sweep(now=later) == []


class _broker_down:
    """Point the app at a port where no broker listens, as if Redis had stopped."""

    def __enter__(self) -> None:
        self.original = celery_app.conf.broker_url
        _switch_broker("redis://127.0.0.1:1/0")

    def __exit__(self, *exc: object) -> None:
        _switch_broker(self.original)


def _switch_broker(url: str) -> None:
    kombu_pools.reset()  # drop every cached connection and producer pool
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url


@pytest.mark.django_db
def test_a_task_that_runs_twice_leaves_one_complaint(client: Client, django_capture_on_commit_callbacks) -> None:
    from ingestion.pipeline import raw_event_process

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/complaints/new/", FORM)
    event = RawEvent.objects.get()
    RawEvent.objects.filter(id=event.id).update(status=RawEvent.Status.RECEIVED)  # as if re-delivered
    raw_event_process(raw_event_id=event.id)
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_an_event_whose_lake_object_vanished_is_marked_failed_not_crashed(file_lake) -> None:
    from ingestion.pipeline import raw_event_process

    event = RawEvent.objects.create(
        source="web_form",
        provider="web_form",
        lake_key="raw/web_form/missing.multipart",
        sha256="0" * 64,
        size=1,
        received_at=timezone.now(),
    )
    raw_event_process(raw_event_id=event.id)
    event.refresh_from_db()
    assert event.status == RawEvent.Status.FAILED and "missing" in event.error
