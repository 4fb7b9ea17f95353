"""The accept path's task publish straight to Redis (ingestion/broker.py): the same message Celery
would send, consumed by a real worker; a broker that is away still answers 200 and the sweeper
delivers later; other brokers and eager mode keep going through apply_async."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
import redis as redis_lib
from django.test import Client
from django.utils import timezone

from complaintsite.celery import app as celery_app
from conftest import wait_for
from ingestion import broker
from ingestion.models import Message, RawEvent
from ingestion.services import raw_event_enqueue, raw_events_sweep
from ingestion.tasks import process_raw_event
from ingestion.tests.test_worker_and_sweeper import _broker_down
from ingestion.tests.webhook_helpers import payload, post_twilio, provider_secrets  # noqa: F401

SMS = payload("twilio_sms.txt")


def _pop(client: redis_lib.Redis, queue: str) -> dict[str, Any]:
    raw = client.rpop(queue)
    assert isinstance(raw, bytes), f"nothing in {queue}"
    message = json.loads(raw)
    message["body"] = json.loads(base64.b64decode(message["body"]))
    return message


def test_the_direct_message_is_the_one_celery_would_publish(private_queue: str, redis_client: redis_lib.Redis) -> None:
    assert broker.direct_publish_supported()
    event_id = str(uuid.uuid4())
    process_raw_event.apply_async(args=[event_id], retry=False)
    by_celery = _pop(redis_client, private_queue)
    task_id = broker.publish_process_raw_event(event_id)
    direct = _pop(redis_client, private_queue)
    assert redis_client.llen(private_queue) == 0

    assert direct["headers"]["id"] == direct["headers"]["root_id"] == direct["properties"]["correlation_id"] == task_id
    assert direct["properties"]["delivery_tag"] != by_celery["properties"]["delivery_tag"]
    # Everything else is Celery's own message byte for byte, but the per-message ids.
    for message in (by_celery, direct):
        for key in ("id", "root_id", "origin"):
            message["headers"].pop(key)
        for key in ("correlation_id", "delivery_tag", "reply_to"):
            message["properties"].pop(key)
    assert direct == by_celery
    assert direct["body"][0] == [event_id]
    assert direct["headers"]["task"] == "ingestion.process_raw_event"


def test_several_tasks_in_one_push_are_each_the_message_celery_would_publish(
    private_queue: str, redis_client: redis_lib.Redis
) -> None:
    event_ids = [str(uuid.uuid4()) for _ in range(3)]
    task_ids = broker.publish_process_raw_events(event_ids)
    messages = [_pop(redis_client, private_queue) for _ in event_ids]  # oldest first
    assert [m["body"][0] for m in messages] == [[event_id] for event_id in event_ids]
    assert [m["headers"]["id"] for m in messages] == task_ids and len(set(task_ids)) == 3
    assert len({m["properties"]["delivery_tag"] for m in messages}) == 3
    assert {m["headers"]["task"] for m in messages} == {"ingestion.process_raw_event"}


def test_the_envelope_rendered_once_stays_valid_json_whatever_the_argument_holds(
    private_queue: str, redis_client: redis_lib.Redis
) -> None:
    # The message is the envelope's text with slots filled in; an argument with quotes, a percent
    # sign or a backslash must not break out of its slot.
    odd = 'id "with" %(task_id)s and \\ in it'
    task_id = broker.publish_process_raw_event(odd)
    message = _pop(redis_client, private_queue)
    assert message["body"][0] == [odd] and message["headers"]["argsrepr"] == repr([odd])
    assert message["headers"]["id"] == message["properties"]["correlation_id"] == task_id


def test_threads_publishing_at_once_from_a_fresh_process_lose_nothing(
    private_queue: str, redis_client: redis_lib.Redis
) -> None:
    # gthread workers: the first requests of a process race to build the template and its pool.
    barrier = threading.Barrier(16)
    failures: list[BaseException] = []

    def publish() -> None:
        barrier.wait()
        for _ in range(20):
            try:
                broker.publish_process_raw_event(str(uuid.uuid4()))
            except BaseException as exc:
                failures.append(exc)

    threads = [threading.Thread(target=publish) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert redis_client.llen(private_queue) == 16 * 20


def test_a_broker_that_is_not_redis_and_eager_mode_go_through_apply_async(not_eager: None) -> None:
    original = celery_app.conf.broker_url
    try:
        celery_app.conf.broker_url = "filesystem://"
        assert not broker.direct_publish_supported()
    finally:
        celery_app.conf.broker_url = original
    assert broker.direct_publish_supported()
    celery_app.conf.task_always_eager = True
    assert not broker.direct_publish_supported()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("provider_secrets")
def test_a_webhook_delivery_published_directly_is_processed_by_a_real_worker(real_worker: None, client: Client) -> None:
    broker.reset()
    assert broker.direct_publish_supported()
    response = post_twilio(client, SMS)
    assert response.status_code == 200
    event = RawEvent.objects.get()
    wait_for(lambda: RawEvent.objects.filter(id=event.id, status=RawEvent.Status.PROCESSED).exists(), timeout=60)
    assert Message.objects.filter(raw_event=event).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("provider_secrets")
def test_with_redis_away_the_webhook_still_answers_200_and_the_sweeper_delivers_it(
    real_worker: None, client: Client, settings
) -> None:
    with _broker_down():
        assert broker.direct_publish_supported()  # the direct path is the one that fails here
        response = post_twilio(client, SMS)
        assert response.status_code == 200  # the lake and the ledger have it
        event = RawEvent.objects.get()
        assert raw_event_enqueue(raw_event_id=event.id) is False
    assert event.status == RawEvent.Status.RECEIVED
    later = timezone.now() + timedelta(seconds=settings.SWEEPER_GRACE_SECONDS + 1)
    assert raw_events_sweep(now=later) == [event.id]
    wait_for(lambda: RawEvent.objects.filter(id=event.id, status=RawEvent.Status.PROCESSED).exists(), timeout=60)
