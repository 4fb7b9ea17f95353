"""The website form, end to end: browser-shaped POSTs through CSRF, the lake, the ledger, the warehouse."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from ingestion.models import Message, RawEvent
from warehouse.models import Complaint

pytestmark = pytest.mark.django_db


def png_bytes(*, with_gps: bool = False, size: tuple[int, int] = (40, 30)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if with_gps:
        exif = Image.Exif()
        exif[0x010F] = "SecretCam"  # Make
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS IFD
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/png") -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


def valid_post(**extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "category": "delivery",
        "text": "My parcel 48213 was marked delivered on Monday but never arrived. Please redeliver.",
        "name": "Ann Customer",
        "email": "ann@example.com",
        "phone": "",
    }
    data.update(extra)
    return data


def test_the_form_offers_the_admin_editable_categories(client: Client) -> None:
    response = client.get("/complaints/new/")
    assert response.status_code == 200
    assert b"Delivery and orders" in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_a_valid_submission_gives_a_reference_and_lands_in_warehouse_and_lake(
    client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/complaints/new/", valid_post(attachments=[upload("shot.png", png_bytes())]))
    assert response.status_code == 302
    page = client.get(response["Location"])
    reference = page.context["reference"]
    assert reference.startswith("CMP-") and len(reference) == len("CMP-20261125-8F3K2")

    event = RawEvent.objects.get()
    assert event.status == RawEvent.Status.PROCESSED
    assert event.lake_key.startswith("raw/web_form/")
    raw = file_lake.read(event.lake_key)
    assert b"My parcel 48213" in raw and raw.startswith(b"--")  # the multipart body as received

    complaint = Complaint.objects.get()
    assert complaint.reference == reference
    assert complaint.status == Complaint.Status.PENDING
    assert complaint.customer_category == "delivery"
    assert complaint.contact_email == "ann@example.com"
    assert complaint.source == "web_form" and complaint.external_id == str(event.id)
    assert complaint.received_at == event.received_at
    assert len(complaint.attachments) == 1
    assert file_lake.read(complaint.attachments[0]["lake_key"]).startswith(b"\x89PNG")
    assert Message.objects.get().status == Message.Status.COMPLAINT


def test_images_are_re_encoded_without_exif_or_gps(
    client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    original = png_bytes(with_gps=True)
    assert b"SecretCam" in original
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/complaints/new/", valid_post(attachments=[upload("photo.jpg", original, "image/jpeg")]))
    stored = file_lake.read(Complaint.objects.get().attachments[0]["lake_key"])
    assert stored.startswith(b"\xff\xd8\xff")
    assert b"SecretCam" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()


def test_a_post_without_csrf_token_is_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/complaints/new/", valid_post())
    assert response.status_code == 403
    assert RawEvent.objects.count() == 0


def test_an_executable_renamed_png_is_a_form_error_and_nothing_is_stored(client: Client, file_lake) -> None:
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
    response = client.post("/complaints/new/", valid_post(attachments=[upload("cat.png", exe)]))
    assert response.status_code == 400
    assert "is not a PNG, JPEG, WebP or PDF file" in response.content.decode()
    assert RawEvent.objects.count() == 0 and Complaint.objects.count() == 0
    kept = [k for k in file_lake.list("quarantine/web_form") if k.endswith(".reason.json")]
    assert len(kept) == 1


@pytest.mark.parametrize(
    ("name", "data", "stored_name", "magic"),
    [
        ("cat.jpg", png_bytes(), "cat.png", b"\x89PNG"),  # a screenshot renamed
        ("photo.jfif", png_bytes(with_gps=True), "photo.jpg", b"\xff\xd8\xff"),  # Windows' name for a JPEG
        ("IMG_0042.JPEG", png_bytes(with_gps=True), "IMG_0042.JPEG", b"\xff\xd8\xff"),
        ("scan", png_bytes(), "scan.png", b"\x89PNG"),
        (".png", png_bytes(), "attachment.png", b"\x89PNG"),
    ],
)
def test_an_image_is_taken_for_what_it_is_whatever_its_name(
    client: Client,
    file_lake,
    django_capture_on_commit_callbacks,
    name: str,
    data: bytes,
    stored_name: str,
    magic: bytes,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/complaints/new/", valid_post(attachments=[upload(name, data)]))
    assert response.status_code == 302
    (attachment,) = Complaint.objects.get().attachments
    assert attachment["filename"] == stored_name
    assert file_lake.read(attachment["lake_key"]).startswith(magic)


def test_more_than_three_attachments_is_a_form_error(client: Client) -> None:
    files = [upload(f"s{i}.png", png_bytes()) for i in range(4)]
    response = client.post("/complaints/new/", valid_post(attachments=files))
    assert response.status_code == 400
    assert "Attach at most 3 files" in response.content.decode()
    assert RawEvent.objects.count() == 0


def test_an_attachment_over_5_mb_is_a_form_error(client: Client, settings) -> None:
    big = png_bytes() + b"\x00" * (5 * 1024 * 1024)
    response = client.post("/complaints/new/", valid_post(attachments=[upload("big.png", big)]))
    assert response.status_code == 400
    assert "the limit is 5 MB" in response.content.decode()
    assert RawEvent.objects.count() == 0


def test_text_too_short_and_missing_contact_are_explained(client: Client) -> None:
    response = client.post("/complaints/new/", valid_post(text="bad", email=""))
    body = response.content.decode()
    assert response.status_code == 400
    assert "at least 10 characters" in body
    assert "e-mail address or a phone number" in body


def test_a_body_over_the_limit_is_413(client: Client, settings) -> None:
    response = client.generic(
        "POST",
        "/complaints/new/",
        b"x",
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.FORM_MAX_BODY_BYTES + 1),
    )
    assert response.status_code == 413
    assert RawEvent.objects.count() == 0


def test_an_unwritable_lake_answers_503_and_records_nothing(client: Client, settings, tmp_path) -> None:
    from lake import reset_lake_cache

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the lake's folder should be")
    settings.LAKE_URL = blocked.as_uri()
    reset_lake_cache()
    response = client.post("/complaints/new/", valid_post())
    assert response.status_code == 503
    assert RawEvent.objects.count() == 0 and Complaint.objects.count() == 0
