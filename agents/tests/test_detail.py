"""The detail page, and attachments streamed from the lake through an authorised view."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from agents.tests.conftest import body_of, client_for, create_complaint

pytestmark = pytest.mark.django_db


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(out, format="PNG")
    return out.getvalue()


def test_the_detail_shows_text_customer_channel_categories_and_history(agent) -> None:
    complaint = create_complaint(
        text="First line\nMy parcel 48213 never arrived.",
        customer_handle="@ann",
        customer_name="Ann Customer",
        contact_email="ann@example.com",
        channel="x_mention",
        source="social",
        customer_category="delivery",
        category="billing",
        category_confidence=0.42,
    )
    client_for(agent).post(f"/agents/complaints/{complaint.pk}/note/", {"note": "Checking with the courier"})
    html = client_for(agent).get(f"/agents/complaints/{complaint.pk}/").content.decode()
    assert "First line<br>My parcel 48213 never arrived." in html
    assert "@ann" in html and "Ann Customer" in html and "ann@example.com" in html
    assert "X mention" in html
    assert "<dt>Customer chose</dt><dd>Delivery and orders</dd>" in html
    assert 'Billing and payments <span class="conf conf-low">42%</span>' in html
    assert "The customer and the classifier disagree." in html
    assert "Checking with the courier" in html and "alice" in html


def test_times_are_shown_in_the_internal_time_zone(agent, settings) -> None:
    settings.TIME_ZONE = "America/New_York"
    complaint = create_complaint(
        received_at=datetime(2026, 1, 15, 15, 0, tzinfo=UTC), occurred_at=datetime(2026, 1, 15, 14, 59, tzinfo=UTC)
    )
    html = client_for(agent).get(f"/agents/complaints/{complaint.pk}/").content.decode()
    assert '<dd data-time="received">Thu 15 Jan 2026, 10:00 EST</dd>' in html
    assert '<dd data-time="occurred">Thu 15 Jan 2026, 09:59 EST</dd>' in html


def test_an_attachment_streams_from_the_file_lake_to_an_agent(agent, file_lake) -> None:
    data = png()
    key = "attachments/web_form/2026/11/25/ev1/1.png"
    file_lake.write(key, data)
    complaint = create_complaint(attachments=[{"lake_key": key, "content_type": "image/png", "filename": "shot.png"}])
    html = client_for(agent).get(f"/agents/complaints/{complaint.pk}/").content.decode()
    url = f"/agents/complaints/{complaint.pk}/attachments/0/"
    assert f'<img src="{url}"' in html
    assert "lake" not in url and key not in html  # the lake key never reaches the browser
    response = client_for(agent).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"].startswith("private")
    assert body_of(response) == data


@pytest.mark.s3
def test_an_attachment_streams_from_the_s3_lake(agent, s3_lake) -> None:
    key = "attachments/web_form/2026/11/25/ev2/1.pdf"
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF"
    s3_lake.write(key, body, content_type="application/pdf")
    complaint = create_complaint(
        attachments=[{"lake_key": key, "content_type": "application/pdf", "filename": "bill.pdf"}]
    )
    response = client_for(agent).get(f"/agents/complaints/{complaint.pk}/attachments/0/")
    assert response.status_code == 200
    # Not an image: offered as a download, never rendered in the agents' origin.
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith('attachment; filename="bill.pdf"')
    assert body_of(response) == body


def test_attachment_records_cannot_point_the_view_outside_attachments(agent, file_lake) -> None:
    file_lake.write("raw/sms/2026/11/25/10/secret.form", b"raw body")
    complaint = create_complaint(
        attachments=[
            {"lake_key": "raw/sms/2026/11/25/10/secret.form", "content_type": "image/png"},
            {"lake_key": "attachments/../raw/sms/2026/11/25/10/secret.form", "content_type": "image/png"},
        ]
    )
    client = client_for(agent)
    assert client.get(f"/agents/complaints/{complaint.pk}/attachments/0/").status_code == 404
    assert client.get(f"/agents/complaints/{complaint.pk}/attachments/1/").status_code == 404
    assert client.get(f"/agents/complaints/{complaint.pk}/attachments/7/").status_code == 404


def test_a_missing_lake_object_is_a_404_not_a_crash(agent) -> None:
    complaint = create_complaint(
        attachments=[{"lake_key": "attachments/sms/2026/11/25/x/1.png", "content_type": "image/png"}]
    )
    assert client_for(agent).get(f"/agents/complaints/{complaint.pk}/attachments/0/").status_code == 404


def test_an_agent_cannot_fetch_attachments_of_a_complaint_outside_their_view(agent, other_agent, file_lake) -> None:
    key = "attachments/sms/2026/11/25/y/1.png"
    file_lake.write(key, png())
    complaint = create_complaint(
        status="resolved", assigned_to=other_agent, attachments=[{"lake_key": key, "content_type": "image/png"}]
    )
    assert client_for(agent).get(f"/agents/complaints/{complaint.pk}/attachments/0/").status_code == 404
    assert client_for(other_agent).get(f"/agents/complaints/{complaint.pk}/attachments/0/").status_code == 200


def test_after_a_category_change_the_confidence_stays_with_the_classifiers_own_label(agent) -> None:
    complaint = create_complaint(category="billing", category_confidence=0.91)
    client = client_for(agent)
    client.post(f"/agents/complaints/{complaint.pk}/relabel/", {"category": "delivery", "expected": "billing"})
    html = client.get(f"/agents/complaints/{complaint.pk}/").content.decode()
    assert '<dt>Classifier says</dt><dd>Billing and payments <span class="conf conf-high">91%</span></dd>' in html
    assert '<dd data-category="agent">Delivery and orders <span class="muted">(alice)</span></dd>' in html
    assert 'Delivery and orders <span class="conf' not in html  # the model never said delivery
    assert "Billing and payments → Delivery and orders" in html  # the history names categories too


def test_urgency_reasons_read_as_words(agent) -> None:
    complaint = create_complaint(urgent=True, urgency_reasons=["threat_to_leave", "repeated_contact"])
    client = client_for(agent)
    html = client.get(f"/agents/complaints/{complaint.pk}/").content.decode()
    assert "Urgent because: threat to leave, repeated contact</p>" in html
    assert 'title="threat to leave, repeated contact">urgent</span>' in client.get("/agents/").content.decode()
