"""Personas for the security checks: the agents' own helpers, reused rather than duplicated."""

from __future__ import annotations

from agents.tests.conftest import (  # noqa: F401 - fixtures, re-exported for these tests
    admin_user,
    agent,
    client_for,
    create_complaint,
    customer,
    make_user,
    staff_without_group,
    supervisor,
)
