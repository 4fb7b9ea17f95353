"""Personas and complaint factories for the agents' tests."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from warehouse.models import Complaint, ComplaintEvent

_counter = itertools.count(1)


def make_user(username: str, *, staff: bool = True, groups: tuple[str, ...] = (), superuser: bool = False) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, is_staff=staff or superuser)
    if superuser:
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def customer(db: Any) -> User:
    """A logged-in person who is not staff."""
    return make_user("carol_customer", staff=False)


@pytest.fixture
def agent(db: Any) -> User:
    return make_user("alice", groups=("agents",))


@pytest.fixture
def other_agent(db: Any) -> User:
    return make_user("bob", groups=("agents",))


@pytest.fixture
def supervisor(db: Any) -> User:
    return make_user("sam_supervisor", groups=("supervisors",))


@pytest.fixture
def admin_user(db: Any) -> User:
    return make_user("ada_admin", superuser=True)


@pytest.fixture
def staff_without_group(db: Any) -> User:
    return make_user("stan_staff")


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def create_complaint(
    *,
    text: str = "My bill was charged twice this month and nobody answers the phone.",
    status: str = Complaint.Status.PENDING,
    urgent: bool = False,
    source: str = "sms",
    channel: str = "sms",
    category: str = "billing",
    received_at: datetime | None = None,
    assigned_to: User | None = None,
    **extra: Any,
) -> Complaint:
    n = next(_counter)
    received_at = received_at or timezone.now() - timedelta(hours=n)
    fields: dict[str, Any] = {
        "reference": f"CMP-20261125-{n:05d}",
        "source": source,
        "channel": channel,
        "provider": "twilio" if source == "sms" else source,
        "external_id": f"ext-{uuid.uuid4().hex}",
        "message_id": uuid.uuid4(),
        "customer_handle": f"+4477009{n:05d}",
        "text": text,
        "category": category,
        "category_confidence": 0.87,
        "complaint_confidence": 0.93,
        "urgent": urgent,
        "model_version": "test-model-1",
        "status": status,
        "assigned_to": assigned_to,
        "occurred_at": received_at - timedelta(seconds=30),
        "received_at": received_at,
    }
    if status == Complaint.Status.RESOLVED:
        fields.setdefault("resolved_at", timezone.now())
    fields.update(extra)
    complaint = Complaint.objects.create(**fields)
    ComplaintEvent.objects.create(complaint=complaint, action=ComplaintEvent.Action.CREATED, to_status=status)
    return complaint


@pytest.fixture
def make_complaint(db: Any) -> Callable[..., Complaint]:
    return create_complaint


def body_of(response: Any) -> bytes:
    """The bytes of a streamed (FileResponse) answer."""
    return b"".join(response.streaming_content)
