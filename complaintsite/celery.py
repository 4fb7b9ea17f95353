"""The Celery app: settings come from Django's (CELERY_* names)."""

from __future__ import annotations

import os

from celery import Celery

from complaintsite import celery_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintsite.settings.base")

app = Celery("complaintsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Database connections live across tasks, as across requests (complaintsite/celery_connections.py).
celery_connections.install()
