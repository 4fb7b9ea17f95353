"""Fixtures of the warehouse tests. Reporting (issue 7): the hand-built data set in London time."""

from __future__ import annotations

import pytest

from warehouse.tests.reporting_helpers import H, complaint_make, message_record


@pytest.fixture
def london(settings):  # type: ignore[no-untyped-def]
    settings.TIME_ZONE = "Europe/London"
    settings.REPORTING_ROLLUP_LAG_SECONDS = 0
    return settings


@pytest.fixture
def autumn_data(london):  # type: ignore[no-untyped-def]
    """Six complaints and six messages around the night clocks go back (times in UTC)."""
    data = {
        # 00:30 BST on the 25th, though still the 24th in UTC
        "a": complaint_make(received="2026-10-24T23:30", responded_after=1 * H, resolved_after=10 * H),
        # 01:15 BST, the first 01:00 hour
        "b": complaint_make(received="2026-10-25T00:15", responded_after=2 * H),
        # 01:45 GMT, the second 01:00 hour
        "c": complaint_make(
            received="2026-10-25T01:45",
            source="web_form",
            category="delivery",
            customer_category="delivery",
            classifier_category="delivery",
            responded_after=H / 2,
            resolved_after=4 * H,
        ),
        # 23:30 GMT: the classifier said pricing_refunds, an agent corrected it to billing
        "d": complaint_make(
            received="2026-10-25T23:30",
            source="web_form",
            category="billing",
            customer_category="billing",
            classifier_category="pricing_refunds",
            responded_after=3 * H,
        ),
        "e": complaint_make(received="2026-10-26T00:30"),  # the 26th
        # 23:30 BST on the 24th, dismissed on the 25th
        "f": complaint_make(
            received="2026-10-24T22:30",
            source="call_center",
            channel="call",
            category="delivery",
            dismissed_at="2026-10-25T10:00",
        ),
    }
    message_record(received="2026-10-25T00:30", reason="spam")
    message_record(received="2026-10-25T01:30", reason="spam")
    message_record(received="2026-10-25T23:30", source="social", channel="x_mention", reason="joke")
    message_record(received="2026-10-24T23:15", source="web_form", reason="praise")  # 00:15 BST on the 25th
    message_record(received="2026-10-26T00:10", reason="spam")
    message_record(received="2026-10-25T12:00", status="complaint", predicted_category="billing")  # not filtered
    return data


@pytest.fixture
def categories() -> None:
    """The default taxonomy, whether or not a transactional test has flushed the seeded rows."""
    from classification.models import Category
    from classification.taxonomy import DEFAULT_CATEGORIES

    for position, (slug, name, description) in enumerate(DEFAULT_CATEGORIES, start=1):
        Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position * 10}
        )
