"""Run in separate processes by test_alerts: no Django here, only the Redis throttle."""

from __future__ import annotations

from monitoring.throttle import AlertThrottle


def hammer(url: str, occurrences: int, start: float, step: float, gather: float) -> list[int]:
    """Count `occurrences` of one alert at start, start+step, ...; the counts this process must send.

    The gathering period ends part-way through, so every process races to claim the batch.
    """
    throttle = AlertThrottle(url)
    sent = []
    for i in range(occurrences):
        batch = throttle.occur(
            fingerprint="race", payload={"subject": "race"}, now=start + i * step, gather=gather, window=3600
        )
        if batch:
            sent.append(batch.count)
    return sent
