"""Fixtures for the direct-publish and group-commit tests (ingestion/broker.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_lib
from kombu import Exchange, Queue

from complaintsite.celery import app as celery_app
from ingestion import broker


@pytest.fixture
def not_eager() -> Iterator[None]:
    celery_app.conf.task_always_eager = False
    broker.reset()
    yield
    broker.reset()


@pytest.fixture
def private_queue(not_eager: None, monkeypatch: pytest.MonkeyPatch, redis_client: redis_lib.Redis) -> Iterator[str]:
    """Route the task to a queue no worker of this session listens to, for apply_async and the
    direct publish alike, so the messages can be read back from Redis."""
    name = f"test-direct-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
    router = celery_app.amqp.router
    original = router.route

    def route(options: dict[str, Any], name_: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        routed = original(options, name_, *args, **kwargs)
        return {**routed, "queue": queue} if name_ == broker.TASK_NAME else routed

    monkeypatch.setattr(router, "route", route)
    yield name
    redis_client.delete(name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
