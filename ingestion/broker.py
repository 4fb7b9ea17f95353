"""Publishing `ingestion.process_raw_event` straight to Redis, without Celery's apply_async.

The accept path publishes one task per delivery, and Celery's publish (routing, message building,
kombu's producer and channel machinery, settings look-ups through Django's settings) cost more CPU
than any other step of the accept path (docs/benchmarks.md). The message itself is small and
fixed but for the task id and the argument, so this module builds it the way Celery 5 does
(task protocol 2, kombu's Redis envelope) from a template made once per process, and LPUSHes it
to the task's queue over a pooled redis-py connection. A real Celery worker consumes it as any
other message (ingestion/tests/test_direct_publish.py checks both the bytes and the worker).

Anything this does not cover goes through `apply_async` unchanged: eager mode (tests), a broker
that is not Redis (`make run` uses kombu's file-system transport), key prefixes or priorities in
the transport options, or a route to a queue other than the default exchange's.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

TASK_NAME = "ingestion.process_raw_event"


@dataclass(frozen=True)
class _Template:
    pid: int
    broker_url: str
    queue: str
    # Everything but the per-message values (task id, argument, delivery tag).
    headers: dict[str, Any]
    properties: dict[str, Any]
    client: redis.Redis
    # The envelope as JSON text once, with %-slots for those values (`_rendered`): one string
    # formatting per message instead of two dict copies and two json.dumps of the whole message.
    envelope: str = ""


# The message body after its argument list (Celery's embed: no callbacks, errbacks, chain, chord).
_BODY_TAIL = json.dumps([{}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}])[1:]
_SLOTS = ("body", "task_id", "argsrepr", "delivery_tag")

_lock = threading.Lock()
_template: _Template | None = None


def direct_publish_supported() -> bool:
    """True when `publish_process_raw_event` would LPUSH itself rather than call apply_async."""
    return _current_template() is not None


def publish_process_raw_event(raw_event_id: str) -> str:
    """Queue the task for one raw event and return its task id. Raises on a broker error
    (redis.RedisError or whatever apply_async raises): the caller decides what a failure means."""
    return publish_process_raw_events([raw_event_id])[0]


def publish_process_raw_events(raw_event_ids: list[str]) -> list[str]:
    """Queue one task per raw event, all in one LPUSH when the broker is Redis; their task ids."""
    template = _current_template()
    if template is None:
        from ingestion.tasks import process_raw_event

        return [str(process_raw_event.apply_async(args=[event_id], retry=False).id) for event_id in raw_event_ids]
    task_ids = [str(uuid.uuid4()) for _ in raw_event_ids]
    messages = [
        _message(template, task_id, event_id) for task_id, event_id in zip(task_ids, raw_event_ids, strict=True)
    ]
    template.client.lpush(template.queue, *messages)
    return task_ids


def _message(template: _Template, task_id: str, raw_event_id: str) -> str:
    # Every value through json.dumps: whatever the id holds, the envelope stays valid JSON.
    body = f"[[{json.dumps(raw_event_id)}], {_BODY_TAIL}"
    return template.envelope % {
        "body": json.dumps(base64.b64encode(body.encode()).decode()),
        "task_id": json.dumps(task_id),
        "argsrepr": json.dumps(repr([raw_event_id])),
        "delivery_tag": json.dumps(str(uuid.uuid4())),
    }


def _rendered(headers: dict[str, Any], properties: dict[str, Any]) -> str:
    """The envelope kombu would send, as JSON text with a %-slot where each message differs."""
    marks = {slot: f"@@{slot}@@" for slot in _SLOTS}
    envelope = json.dumps(
        {
            "body": marks["body"],
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {
                **headers,
                "id": marks["task_id"],
                "root_id": marks["task_id"],
                "argsrepr": marks["argsrepr"],
            },
            "properties": {**properties, "correlation_id": marks["task_id"], "delivery_tag": marks["delivery_tag"]},
        }
    ).replace("%", "%%")
    for slot, mark in marks.items():
        envelope = envelope.replace(json.dumps(mark), f"%({slot})s")
    return envelope


def reset() -> None:
    """Forget the template and its connection pool (tests that move the broker)."""
    global _template
    with _lock:
        if _template is not None:
            _template.client.connection_pool.disconnect()
        _template = None


def _current_template() -> _Template | None:
    from complaintsite.celery import app

    if app.conf.task_always_eager:
        return None
    template = _template
    if _usable(template, app):
        return template
    return _build(app)


def _usable(template: _Template | None, app: Any) -> bool:
    # A template belongs to one process (the origin header, the pool's sockets: gunicorn forks
    # after --preload) and one broker URL (tests switch brokers).
    return template is not None and template.pid == os.getpid() and template.broker_url == app.conf.broker_url


def _build(app: Any) -> _Template | None:
    global _template
    with _lock:
        # Another thread may have built it while this one waited for the lock. A template that is
        # replaced is left to the garbage collector, never disconnected: other threads may be
        # in the middle of a publish on its connections.
        if _usable(_template, app):
            return _template
        broker_url = str(app.conf.broker_url or "")
        if not broker_url.startswith(("redis://", "rediss://")):
            return None
        transport_options = app.conf.broker_transport_options or {}
        if transport_options.get("global_keyprefix"):
            return None  # kombu would prefix every key; not worth copying
        import ingestion.tasks  # noqa: F401  (registers the task in a process that has not yet)

        task = app.tasks[TASK_NAME]
        route = app.amqp.router.route({}, TASK_NAME, args=(), kwargs={})
        queue = route.get("queue")
        if queue is None or route.get("priority") or getattr(task, "priority", None):
            return None
        if queue.exchange is not None and queue.exchange.name not in ("", queue.name):
            return None  # a custom exchange: kombu would route through its binding table
        time_limit = task.time_limit if task.time_limit is not None else app.conf.task_time_limit
        soft_time_limit = task.soft_time_limit if task.soft_time_limit is not None else app.conf.task_soft_time_limit
        client = redis.Redis.from_url(
            broker_url,
            socket_connect_timeout=transport_options.get("socket_connect_timeout", 2),
            socket_timeout=transport_options.get("socket_timeout", 5),
            # One reconnect (a pooled socket left over from a Redis restart), then give up: a
            # request never waits on a broker that is away; the sweeper re-enqueues.
            retry=Retry(NoBackoff(), 1),
            driver_info=None,
        )
        template = _Template(
            pid=os.getpid(),
            broker_url=broker_url,
            queue=queue.name,
            headers={
                "lang": "py",
                "task": TASK_NAME,
                "id": None,
                "shadow": None,
                "eta": None,
                "expires": None,
                "group": None,
                "group_index": None,
                "retries": 0,
                "timelimit": [time_limit, soft_time_limit],
                "root_id": None,
                "parent_id": None,
                "argsrepr": None,
                "kwargsrepr": "{}",
                "origin": f"gen{os.getpid()}@{socket.gethostname()}",
                "ignore_result": bool(task.ignore_result),
                "replaced_task_nesting": 0,
                "stamped_headers": None,
                "stamps": {},
            },
            properties={
                "correlation_id": None,
                "reply_to": str(app.thread_oid),
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": queue.name},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": None,
            },
            client=client,
        )
        _template = dataclasses.replace(template, envelope=_rendered(template.headers, template.properties))
        return _template
