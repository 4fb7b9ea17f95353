"""Volume spikes: the last window against the same weekday and time in earlier weeks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core import mail

from ingestion.models import Message, RawEvent
from monitoring.alerts import alerts_flush
from monitoring.models import VolumeSpike
from monitoring.selectors import active_spikes
from monitoring.spikes import baseline_windows, spikes_detect, verdict
from monitoring.throttle import epoch_now
from warehouse.models import Complaint

pytestmark = pytest.mark.django_db

# A Monday, mid-morning (UTC; TIME_ZONE is UTC in the tests unless a test says otherwise).
MONDAY = datetime(2026, 3, 2, 10, 7, tzinfo=UTC)
WINDOW_END = datetime(2026, 3, 2, 10, 5, tzinfo=UTC)  # the last complete 15-minute window, on a 5-minute step


class History:
    """Messages (and complaints) placed at chosen times, in bulk."""

    def __init__(self) -> None:
        now = MONDAY - timedelta(weeks=10)
        self.event = RawEvent.objects.create(
            source="sms",
            provider="twilio",
            lake_key=f"raw/sms/{uuid.uuid4()}.form",
            sha256="0" * 64,
            size=1,
            received_at=now,
            status=RawEvent.Status.PROCESSED,
        )
        self.messages: list[Message] = []
        self.complaints: list[Complaint] = []

    def add(self, *, start: datetime, count: int, source: str = "sms", category: str = "", minutes: int = 15) -> None:
        for i in range(count):
            at = start + timedelta(seconds=(i + 0.5) * minutes * 60 / count)
            message = Message(
                raw_event=self.event,
                source=source,
                channel=source if source != "social" else "x_dm",
                provider="t",
                external_id=uuid.uuid4().hex,
                text="t",
                occurred_at=at,
                received_at=at,
            )
            self.messages.append(message)
            if category:
                self.complaints.append(
                    Complaint(
                        reference=f"T-{uuid.uuid4().hex[:12]}",
                        source=source,
                        channel=message.channel,
                        external_id=message.external_id,
                        message_id=message.id,
                        text="t",
                        category=category,
                        occurred_at=at,
                        received_at=at,
                    )
                )

    def save(self) -> None:
        Message.objects.bulk_create(self.messages, batch_size=2000)
        Complaint.objects.bulk_create(self.complaints, batch_size=2000)
        self.messages, self.complaints = [], []


def usual_mondays(history: History, *, per_window: int, source: str = "sms", category: str = "") -> None:
    """Four earlier Mondays with `per_window` messages in each 15 minutes around 10:00."""
    for week in range(1, 5):
        base = WINDOW_END - timedelta(weeks=week)
        for shift in (-3, -2, -1, 0, 1):
            history.add(start=base + shift * timedelta(minutes=15), count=per_window, source=source, category=category)


def test_a_synthetic_spike_is_detected_once_e_mailed_and_shown(settings) -> None:
    history = History()
    usual_mondays(history, per_window=5)
    usual_mondays(history, per_window=4, source="web_form")
    history.add(start=WINDOW_END - timedelta(minutes=15), count=45)  # sms: nine times the usual
    history.add(start=WINDOW_END - timedelta(minutes=15), count=6, source="web_form")  # web form: ordinary
    history.save()

    found = spikes_detect(now=MONDAY)
    assert [(s.scope, s.key, s.count) for s in found] == [("source", "sms", 45)]
    spike = found[0]
    assert spike.baseline_median == 5 and spike.baseline_samples == 12
    assert spike.window_start == WINDOW_END - timedelta(minutes=15) and spike.window_end == WINDOW_END
    assert spikes_detect(now=MONDAY + timedelta(minutes=2)) == []  # the same window again: nothing new

    alerts_flush(now=epoch_now() + settings.ALERT_GATHER_SECONDS + 1)
    assert len(mail.outbox) == 1
    assert "Complaint volume spike: source sms (45 in 15 min)" in mail.outbox[0].subject
    assert "usual for this weekday and time of day is about 5" in mail.outbox[0].body

    shown = active_spikes(now=MONDAY)
    assert [(s.scope, s.key) for s in shown] == [("source", "sms")]
    assert active_spikes(now=MONDAY + timedelta(hours=2)) == []  # over: off the dashboard


def test_a_spike_in_one_category_is_detected(settings) -> None:
    history = History()
    usual_mondays(history, per_window=2, category="delivery")
    usual_mondays(history, per_window=3, category="billing")
    history.add(start=WINDOW_END - timedelta(minutes=15), count=30, category="delivery")
    history.add(start=WINDOW_END - timedelta(minutes=15), count=3, category="billing")
    history.save()
    found = {(s.scope, s.key) for s in spikes_detect(now=MONDAY)}
    assert ("category", "delivery") in found and ("category", "billing") not in found


def test_a_busy_hour_that_is_always_busy_is_not_a_spike() -> None:
    history = History()
    usual_mondays(history, per_window=60)  # Monday mornings are busy
    # ... and quiet nights the rest of the week, which a plain average would compare against.
    for day in range(1, 7):
        history.add(start=WINDOW_END - timedelta(days=day, hours=8), count=3)
    history.add(start=WINDOW_END - timedelta(minutes=15), count=72)
    history.save()
    assert spikes_detect(now=MONDAY) == []


def test_an_ordinary_day_raises_no_spike_in_any_window(settings) -> None:
    """A whole Monday, window after window, drawn from the same daily rhythm as the weeks before."""
    settings.SPIKE_STEP_MINUTES = 15
    rng = np.random.default_rng(20260302)
    day = datetime(2026, 3, 2, tzinfo=UTC)
    # Quiet at night, a morning peak, a lunchtime dip, an evening tail (per 15 minutes).
    profile = [2] * 28 + [8, 14, 22, 30, 36, 40, 40, 38] + [34] * 12 + [26] * 4 + [32] * 16 + [18] * 12 + [6] * 16
    assert len(profile) == 96
    history = History()
    for week in range(0, 5):
        for slot, mean in enumerate(profile):
            start = day - timedelta(weeks=week) + timedelta(minutes=15 * slot)
            history.add(start=start, count=int(rng.poisson(mean)))
            history.add(start=start, count=int(rng.poisson(mean / 4)), source="web_form", category="billing")
    history.save()
    for slot in range(1, 97):
        assert spikes_detect(now=day + timedelta(minutes=15 * slot)) == [], f"false spike at slot {slot}"
    assert VolumeSpike.objects.count() == 0
    assert mail.outbox == []


def test_without_enough_history_nothing_is_called_a_spike() -> None:
    history = History()
    history.add(start=WINDOW_END - timedelta(weeks=1, minutes=15), count=2)  # one week of history only
    history.add(start=WINDOW_END - timedelta(minutes=15), count=200)
    history.save()
    assert spikes_detect(now=MONDAY) == []


def test_the_baseline_follows_local_time_across_a_clock_change() -> None:
    london = ZoneInfo("Europe/London")
    # Monday 30 March 2026, 09:00 in London (BST, UTC+1), the day after the clocks went forward.
    end = datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    windows = baseline_windows(window=(end - timedelta(minutes=15), end), weeks=2, neighbours=0, zone=london)
    assert [w[1] for w in windows] == [
        datetime(2026, 3, 23, 9, 0, tzinfo=UTC),  # 09:00 GMT the Monday before
        datetime(2026, 3, 16, 9, 0, tzinfo=UTC),
    ]
    assert all(w[1] - w[0] == timedelta(minutes=15) for w in windows)


def test_thresholds_come_from_settings(settings) -> None:
    baseline = [5] * 12
    assert verdict(count=20, baseline=baseline).is_spike
    settings.SPIKE_MIN_COUNT = 25
    assert not verdict(count=20, baseline=baseline).is_spike
    settings.SPIKE_MIN_COUNT = 10
    settings.SPIKE_MAD_THRESHOLD = 8.0  # 5 + 8 * sqrt(5) = 22.9
    assert not verdict(count=20, baseline=baseline).is_spike
    # One past incident in the baseline does not raise the bar (median and MAD, not mean and SD).
    settings.SPIKE_MAD_THRESHOLD = 4.0
    assert verdict(count=20, baseline=[5] * 11 + [400]).is_spike
