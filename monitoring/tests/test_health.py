"""/healthz and /readyz: liveness without dependencies; readiness with each dependency's verdict."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from classification.model import get_classifier
from lake import reset_lake_cache
from monitoring.models import Heartbeat
from monitoring.services import heartbeat_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def alive() -> None:
    """A worker and beat that have just reported in (the session's model is loaded: conftest)."""
    heartbeat_record(component="worker", instance="celery@w1", pid=11)
    heartbeat_record(component="beat", instance="beat-host", pid=12)


def ready(client: Client) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"].startswith("max-age=0")
    return response.status_code, response.json()


def test_healthz_answers_without_touching_anything(client: Client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_200_with_every_check_passing(client: Client, alive: None) -> None:
    status, body = ready(client)
    assert status == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "broker", "lake", "worker", "beat", "model"}
    assert body["checks"]["model"]["detail"] == get_classifier().version
    assert all(check["ok"] for check in body["checks"].values())
    assert "heartbeat" in body["checks"]["worker"]["detail"]


def test_readiness_turns_503_when_redis_stops_and_back_to_200_when_it_starts(
    client: Client, settings, alive: None, own_redis
) -> None:
    # The broker is a Redis server of this test's own: the one everybody shares keeps running.
    settings.CELERY_BROKER_URL = own_redis.url
    status, body = ready(client)
    assert status == 200, body

    own_redis.stop()
    status, body = ready(client)
    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"]["broker"]["ok"] is False
    assert "Error" in body["checks"]["broker"]["detail"] or "refused" in body["checks"]["broker"]["detail"]
    assert body["checks"]["database"]["ok"] and body["checks"]["lake"]["ok"]

    own_redis.start()
    status, body = ready(client)
    assert status == 200, body
    assert body["checks"]["broker"]["ok"] is True


def test_a_worker_heartbeat_older_than_two_minutes_is_not_ready(client: Client, alive: None) -> None:
    Heartbeat.objects.filter(component="worker").update(last_seen=timezone.now() - timedelta(seconds=121))
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["worker"]["ok"] is False and body["checks"]["beat"]["ok"] is True
    assert "limit 120s" in body["checks"]["worker"]["detail"]


def test_one_fresh_worker_among_stale_ones_is_enough(client: Client, alive: None) -> None:
    heartbeat_record(component="worker", instance="celery@old", now=timezone.now() - timedelta(hours=3))
    assert ready(client)[0] == 200


def test_beat_silent_for_too_long_is_not_ready(client: Client, alive: None) -> None:
    Heartbeat.objects.filter(component="beat").update(last_seen=timezone.now() - timedelta(minutes=5))
    status, body = ready(client)
    assert status == 503 and body["checks"]["beat"]["ok"] is False


def test_no_heartbeat_ever_is_not_ready(client: Client) -> None:
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["worker"]["detail"] == "no worker heartbeat ever recorded"


def test_an_unwritable_lake_is_not_ready(client: Client, settings, alive: None, tmp_path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the lake's folder should be")
    settings.LAKE_URL = blocked.as_uri()
    reset_lake_cache()
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["lake"]["ok"] is False and "LakeUnavailable" in body["checks"]["lake"]["detail"]


def test_the_s3_lake_is_checked_too(client: Client, alive: None, s3_lake) -> None:
    status, body = ready(client)
    assert status == 200, body
    assert body["checks"]["lake"]["detail"] == "s3 lake writable"
    assert not [key for key in s3_lake.list("_health")]  # the probe is cleaned up


def test_the_checks_run_are_configurable(client: Client, settings) -> None:
    settings.READINESS_CHECKS = ["database", "lake"]
    status, body = ready(client)
    assert status == 200 and set(body["checks"]) == {"database", "lake"}


def test_without_a_trained_model_the_instance_is_not_ready(client: Client, settings, alive: None, tmp_path) -> None:
    from classification.model import reset_classifier_cache

    settings.READINESS_CHECKS = ["database", "model"]
    settings.CLASSIFIER_MODEL_DIR = tmp_path / "no-model-here"
    reset_classifier_cache()
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["model"]["ok"] is False
    assert body["checks"]["model"]["detail"].startswith("ClassifierNotReady")
