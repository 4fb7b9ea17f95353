"""Configuration checks for monitoring: a bad value stops start-up with the variable's name."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from monitoring.health import CHECKS


@register(Tags.compatibility)
def monitoring_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    problems: list[Error] = []
    for cidr in settings.METRICS_ALLOWED_NETWORKS:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            problems.append(
                Error(f"METRICS_ALLOWED_NETWORKS: {cidr!r} is not an address or CIDR network", id="monitoring.E001")
            )
    unknown = sorted(set(settings.READINESS_CHECKS) - set(CHECKS))
    if unknown:
        problems.append(
            Error(f"READINESS_CHECKS names unknown checks {unknown}; known: {sorted(CHECKS)}", id="monitoring.E002")
        )
    if settings.METRICS_TOKEN and len(settings.METRICS_TOKEN) < 16:
        problems.append(Error("METRICS_TOKEN is shorter than 16 characters", id="monitoring.E003"))
    if settings.SPIKE_WINDOW_MINUTES % settings.SPIKE_STEP_MINUTES:
        problems.append(Error("SPIKE_WINDOW_MINUTES must be a multiple of SPIKE_STEP_MINUTES", id="monitoring.E004"))
    return problems
