"""gunicorn settings for the webhook server:
`gunicorn -c python:complaintsite.gunicorn_webhooks complaintsite.wsgi`.

Providers' deliveries go to this server (docker-compose's `webhooks` service; route /webhooks/
to it at the load balancer); the site (forms, agents, API, dashboards) stays on the gthread
server. gevent workers: an accept is mostly waiting (disk, PostgreSQL, Redis), and there a wait
costs a switch in the event loop instead of an interpreter-lock hand-off (complaintsite/green.py;
measured in docs/benchmarks.md).
"""

from __future__ import annotations

import os
from typing import Any

from monitoring.gunicorn_conf import child_exit  # noqa: F401  (multi-process metrics, as on the site's server)

worker_class = "gevent"
workers = int(os.environ.get("WEBHOOK_WORKERS", "2"))
# Deliveries in flight per worker. Each holds its body (at most WEBHOOK_MAX_BODY_BYTES) until
# its group is durable; the accept path itself needs no database connection per delivery.
worker_connections = int(os.environ.get("WEBHOOK_CONNECTIONS", "256"))
keepalive = 5
timeout = 30
graceful_timeout = 10
# Never preload: the gevent worker must patch the standard library before the application
# (Django, redis-py, the group commit's locks) is imported.
preload_app = False


def post_worker_init(worker: Any) -> None:
    from gevent import monkey

    # Only where gevent has patched the standard library: run with `--worker-class gthread` on the
    # command line, these settings leave psycopg2 and the fsyncs to block as threads expect.
    if monkey.is_module_patched("socket"):
        from complaintsite.green import install

        install()
