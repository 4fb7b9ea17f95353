"""The traffic run: an open-loop schedule of deliveries at a fixed rate, sent by a pool of threads.

Open loop on purpose: message i is due at start + i / rate whether or not earlier answers have
come back, as real providers do; a slow server shows up as latency, not as a lower send rate.
Every loop here is bounded by a count and by time.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from simulator import calllogs, malformed, sms, social, webform
from simulator.client import Outcome, Sender
from simulator.deliveries import Delivery, Expected
from simulator.secrets import ProviderSecrets
from simulator.texts import TextGenerator

WEBHOOK_PROVIDERS = ("twilio", "vonage", "meta", "x")
PROVIDERS = (*WEBHOOK_PROVIDERS, "web_form", "calls")
SOURCE_PROVIDERS = {
    "sms": ("twilio", "vonage"),
    "social": ("meta", "x"),
    "web_form": ("web_form",),
    "call_center": ("calls",),
}
# A rough real-world mix: social is the loudest channel, then SMS, then the form.
PROVIDER_WEIGHTS = {"twilio": 0.22, "vonage": 0.12, "meta": 0.3, "x": 0.16, "web_form": 0.2}


def resolve_providers(names: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Accept sources (sms, social, web_form, call_center) or providers (twilio, ..., calls)."""
    if not names:
        return PROVIDERS
    out: list[str] = []
    for name in names:
        for item in (p.strip() for p in name.split(",")):
            if not item:
                continue
            found = SOURCE_PROVIDERS.get(item) or ((item,) if item in PROVIDERS else None)
            if found is None:
                raise ValueError(f"unknown source {item!r}: use {', '.join([*SOURCE_PROVIDERS, *PROVIDERS])}")
            out.extend(p for p in found if p not in out)
    return tuple(out)


@dataclass
class TrafficConfig:
    base_url: str = "http://127.0.0.1:8000"
    webhook_base_url: str | None = None  # the webhook server, when it is not base_url
    rate: float = 5.0  # messages per second (deliveries, counting re-deliveries and bad ones)
    duration: float = 60.0  # seconds
    providers: tuple[str, ...] = PROVIDERS
    duplicate_share: float = 0.05
    malformed_share: float = 0.03
    forged_share: float = 0.01
    calls_share: float = 0.1  # calls in the call-log file, relative to the webhook messages
    call_format: str = "jsonl"
    workers: int = 16
    seed: int | None = None
    timeout: float = 10.0
    retry_window: float = 120.0
    max_messages: int = 200_000  # a hard cap whatever rate x duration says


@dataclass
class Record:
    delivery: Delivery
    outcome: Outcome
    scheduled_at: float = 0.0  # time.time() when the schedule said to send it: latency counts from here


@dataclass
class CallDrop:
    key: str
    log: calllogs.CallLogFile


@dataclass
class TrafficResult:
    records: list[Record] = field(default_factory=list)
    calls: list[CallDrop] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # providers switched off (no secret)
    started: float = 0.0
    finished: float = 0.0

    def by_provider(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for rec in self.records:
            row = table[rec.delivery.provider]
            row["sent"] += 1
            row[rec.delivery.kind] += 1
            row["attempts"] += rec.outcome.attempts
            if rec.outcome.accepted:
                row["accepted"] += 1
            elif rec.outcome.status is not None and 400 <= rec.outcome.status < 500:
                row["rejected"] += 1
                row[f"http_{rec.outcome.status}"] += 1
            else:
                row["failed"] += 1
            if rec.delivery.kind != "valid" and rec.outcome.status not in rec.delivery.expect_statuses:
                row["unexpected_answer"] += 1
        for drop in self.calls:
            row = table["calls"]
            row["sent"] += len(drop.log.expected) + len(drop.log.bad_rows) + drop.log.duplicate_rows
            row["valid"] += len(drop.log.expected)
            row["malformed"] += len(drop.log.bad_rows)
            row["duplicate"] += drop.log.duplicate_rows
            row["files"] += 1
        return table

    def accepted_expectations(self) -> list[tuple[Expected, tuple[str, ...], float]]:
        """Every message the system said yes to: (expected, keys, when it was scheduled to be sent)."""
        groups: dict[tuple[str, tuple[str, ...]], list[Record]] = defaultdict(list)
        forms: list[tuple[Expected, tuple[str, ...], float]] = []
        for rec in self.records:
            if rec.delivery.kind != "valid":
                continue
            for exp in rec.delivery.expected:
                if exp.source == "web_form":
                    if rec.outcome.accepted and rec.outcome.reference:
                        forms.append((exp, (rec.outcome.reference,), rec.scheduled_at))
                    continue
                groups[(exp.source, exp.keys)].append(rec)
        out = list(forms)
        for (_, keys), recs in groups.items():
            # A message in several parts counts only when every part was accepted.
            if all(r.outcome.accepted for r in recs):
                exp = next(e for e in recs[0].delivery.expected if e.keys == keys)
                out.append((exp, keys, max(r.scheduled_at for r in recs)))
        for drop in self.calls:
            out.extend((exp, exp.keys, self.started) for exp in drop.log.expected)
        return out

    def forms_without_reference(self) -> int:
        return sum(
            1
            for r in self.records
            if r.delivery.provider == "web_form"
            and r.delivery.kind == "valid"
            and r.outcome.accepted
            and not r.outcome.reference
        )

    def duplicates_accepted(self) -> list[Record]:
        return [r for r in self.records if r.delivery.kind == "duplicate" and r.outcome.accepted]


class TrafficRun:
    def __init__(self, config: TrafficConfig, secrets: ProviderSecrets) -> None:
        self.config = config
        self.secrets = secrets
        self.rng = random.Random(config.seed)
        self.gen = TextGenerator(seed=None if config.seed is None else config.seed + 1)
        self.sender = Sender(
            config.base_url,
            timeout=config.timeout,
            retry_window=config.retry_window,
            seed=config.seed,
            webhook_base_url=config.webhook_base_url,
        )
        self.result = TrafficResult()
        self._lock = threading.Lock()
        self._recent: list[Delivery] = []  # candidates for a provider's re-delivery
        enabled = [p for p in config.providers if secrets.enabled(p)]
        self.result.skipped = [p for p in config.providers if p not in enabled]
        self.webhooks = [p for p in enabled if p in WEBHOOK_PROVIDERS]
        self.streamed = [p for p in enabled if p in PROVIDER_WEIGHTS]
        self.calls = "calls" in enabled

    # -- building ---------------------------------------------------------------------------
    def _new_message(self) -> list[Delivery]:
        provider = self.rng.choices(self.streamed, [PROVIDER_WEIGHTS[p] for p in self.streamed])[0]
        base, s = self.config.webhook_base_url or self.config.base_url, self.secrets
        if provider == "twilio":
            return [
                sms.twilio_message(self.gen.utterance("sms"), self.rng, base_url=base, auth_token=s.twilio_auth_token)
            ]
        if provider == "vonage":
            return sms.vonage_message(
                self.gen.utterance("sms"), self.rng, secret=s.vonage_signature_secret, method=s.vonage_signature_method
            )
        if provider == "meta":
            return [social.meta_message(self.gen, self.rng, app_secret=s.meta_app_secret)]
        if provider == "x":
            return [social.x_message(self.gen, self.rng, consumer_secret=s.x_consumer_secret)]
        return [webform.form_message(self.gen, self.rng)]

    def next_deliveries(self) -> list[Delivery]:
        """What the next slot sends: a new message, or a re-delivery, a malformed or a forged one."""
        cfg, rng = self.config, self.rng
        roll = rng.random()
        bad_pool = [*self.webhooks, *(["web_form"] if "web_form" in self.streamed else [])]
        if roll < cfg.malformed_share and bad_pool:
            provider = rng.choice(bad_pool)
            if provider == "web_form":
                return [webform.malformed_form(rng)]
            return [malformed.malformed(provider, rng, self.secrets, base_url=cfg.webhook_base_url or cfg.base_url)]
        roll -= cfg.malformed_share
        if roll < cfg.forged_share and bad_pool:
            provider = rng.choice(bad_pool)
            if provider == "web_form":
                return [webform.forged_form()]
            return [malformed.forged(provider, rng, self.secrets, base_url=cfg.webhook_base_url or cfg.base_url)]
        roll -= cfg.forged_share
        if roll < cfg.duplicate_share and self._recent:
            return [rng.choice(self._recent).as_redelivery()]
        deliveries = self._new_message()
        for d in deliveries:
            if d.provider in WEBHOOK_PROVIDERS:  # a form re-submit is a new submission, not a re-delivery
                self._recent.append(d)
        del self._recent[:-500]
        return deliveries

    # -- sending ----------------------------------------------------------------------------
    def _send(self, delivery: Delivery, scheduled_at: float) -> None:
        outcome = self.sender.send(delivery)
        with self._lock:
            self.result.records.append(Record(delivery, outcome, scheduled_at))

    def drop_call_log(self, calls: int) -> None:
        from lake import LakeUnavailable

        log = calllogs.build(self.gen, self.rng, calls=calls, fmt=self.config.call_format)
        for attempt in range(10):  # the lake may be briefly unwritable: retry, bounded
            try:
                key = calllogs.drop_in_inbox(log)
            except LakeUnavailable:
                time.sleep(min(2**attempt, 10))
                continue
            self.result.calls.append(CallDrop(key, log))
            return

    def run(self, *, on_progress: Callable[[int, int], None] | None = None) -> TrafficResult:
        cfg = self.config
        slots = min(int(cfg.rate * cfg.duration), cfg.max_messages)
        self.result.started = time.time()
        if self.calls:
            self.drop_call_log(max(5, round(slots * cfg.calls_share)))
        futures = []
        if self.streamed and slots > 0:
            start = time.monotonic()
            hard_stop = start + cfg.duration + 5.0
            with ThreadPoolExecutor(max_workers=cfg.workers, thread_name_prefix="sim") as pool:
                for i in range(slots):
                    due = start + i / cfg.rate
                    now = time.monotonic()
                    if now > hard_stop:
                        break  # the machine could not keep up; never run past the window
                    if due > now:
                        time.sleep(due - now)
                    scheduled_at = time.time()
                    for d in self.next_deliveries():
                        futures.append(pool.submit(self._send, d, scheduled_at))
                    if on_progress and i % max(1, int(cfg.rate * 5)) == 0:
                        on_progress(i, slots)
                _, pending = wait(futures, timeout=cfg.retry_window + 2 * cfg.timeout + 10)
                self.sender.stop()
                for f in pending:
                    f.cancel()
        self.result.finished = time.time()
        return self.result
