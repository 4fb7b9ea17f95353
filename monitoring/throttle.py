"""Alert throttling in Redis: a thousand identical failures send one e-mail with the count.

Each alert fingerprint has one Redis hash. An occurrence adds to its pending count; the first
occurrence of a batch sets when the batch is due: after a short gathering period (so a burst
arrives as one e-mail), and never sooner than the throttle window after the last e-mail. Whoever
finds a batch due first (the flush task, or a later occurrence) claims it and sends it.

Every read-and-change runs inside one Lua script, so it is atomic in Redis: any number of web
and worker processes, on any number of machines, count every occurrence once and claim every
batch once. Times come from the caller (epoch seconds), which keeps the scripts testable.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis

logger = logging.getLogger(__name__)

KEY_PREFIX = "monitoring:alert:"
PENDING_KEY = "monitoring:alerts:pending"  # sorted set: fingerprint -> due time

# KEYS[1] alert hash, KEYS[2] pending zset. ARGV: fp, now, gather, window, payload, ttl
_OCCUR = """
local key, pending = KEYS[1], KEYS[2]
local fp, now, gather, window = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local count = redis.call('HINCRBY', key, 'count', 1)
redis.call('HSET', key, 'last_at', ARGV[2], 'payload', ARGV[5])
redis.call('HINCRBY', key, 'total', 1)
if redis.call('HSETNX', key, 'first_at', ARGV[2]) == 1 then
  local due = now + gather
  local sent = tonumber(redis.call('HGET', key, 'sent_at') or '0')
  if sent + window > due then due = sent + window end
  -- %.6f: Lua's tostring keeps 14 digits, which would round an epoch time past `now`.
  redis.call('HSET', key, 'due_at', string.format('%.6f', due))
  redis.call('ZADD', pending, due, fp)
end
redis.call('EXPIRE', key, tonumber(ARGV[6]))
local due = tonumber(redis.call('HGET', key, 'due_at'))
if due <= now + 0.001 then
  local first = redis.call('HGET', key, 'first_at')
  redis.call('HSET', key, 'sent_at', ARGV[2])
  redis.call('HDEL', key, 'count', 'first_at', 'due_at')
  redis.call('ZREM', pending, fp)
  return {count, first, ARGV[5]}
end
return {0, false, false}
"""

# KEYS[1] alert hash, KEYS[2] pending zset. ARGV: fp, now
_CLAIM = """
local key, pending = KEYS[1], KEYS[2]
local now = tonumber(ARGV[2])
local count = tonumber(redis.call('HGET', key, 'count') or '0')
if count == 0 then
  redis.call('ZREM', pending, ARGV[1])
  return {0, false, false}
end
local due = tonumber(redis.call('HGET', key, 'due_at') or '0')
if due > now + 0.001 then
  return {0, false, false}
end
local first = redis.call('HGET', key, 'first_at')
local payload = redis.call('HGET', key, 'payload')
redis.call('HSET', key, 'sent_at', ARGV[2])
redis.call('HDEL', key, 'count', 'first_at', 'due_at')
redis.call('ZREM', pending, ARGV[1])
return {count, first, payload}
"""


@dataclass(frozen=True)
class Batch:
    """Occurrences of one alert to report in one e-mail."""

    fingerprint: str
    count: int
    first_at: float
    payload: dict[str, Any]


class AlertThrottle:
    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
        self._occur = self.client.register_script(_OCCUR)
        self._claim = self.client.register_script(_CLAIM)

    def occur(
        self, *, fingerprint: str, payload: dict[str, Any], now: float, gather: float, window: float
    ) -> Batch | None:
        """Count one occurrence; a Batch when it is this caller's job to send it now."""
        ttl = int(window * 2 + gather + 3600)
        result = self._occur(
            keys=[KEY_PREFIX + fingerprint, PENDING_KEY],
            args=[fingerprint, repr(now), gather, window, json.dumps(payload, default=str), ttl],
        )
        return _batch(fingerprint, result)

    def due(self, *, now: float, limit: int = 500) -> list[Batch]:
        """Claim every batch whose time has come (the flush task)."""
        batches = []
        for raw in self.client.zrangebyscore(PENDING_KEY, "-inf", now, start=0, num=limit):
            fingerprint = raw.decode() if isinstance(raw, bytes) else str(raw)
            batch = _batch(
                fingerprint, self._claim(keys=[KEY_PREFIX + fingerprint, PENDING_KEY], args=[fingerprint, repr(now)])
            )
            if batch:
                batches.append(batch)
        return batches

    def total(self, fingerprint: str) -> int:
        """Occurrences seen since the alert's key was created (for tests and the admin)."""
        return int(self.client.hget(KEY_PREFIX + fingerprint, "total") or 0)


def _batch(fingerprint: str, result: list[Any]) -> Batch | None:
    count, first, payload = result
    if not count:
        return None
    return Batch(fingerprint=fingerprint, count=int(count), first_at=float(first), payload=json.loads(payload))


@lru_cache(maxsize=4)
def throttle_for(url: str) -> AlertThrottle:
    return AlertThrottle(url)


class LocalThrottle:
    """Without Redis (the embedded set-up) or while it is down: one e-mail per window per process.

    Occurrences suppressed here are counted into the next e-mail of the same process; the
    guarantee is weaker than Redis's (per process, lost on restart), which is why production
    runs with Redis.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent_at: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def occur(self, *, fingerprint: str, payload: dict[str, Any], now: float, window: float) -> Batch | None:
        with self._lock:
            if now - self._sent_at.get(fingerprint, float("-inf")) < window:
                self._suppressed[fingerprint] = self._suppressed.get(fingerprint, 0) + 1
                return None
            self._sent_at[fingerprint] = now
            count = 1 + self._suppressed.pop(fingerprint, 0)
        return Batch(fingerprint=fingerprint, count=count, first_at=now, payload=payload)


local_throttle = LocalThrottle()


def epoch_now() -> float:
    return time.time()
