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


def test_an_unwritable_lake_answers_503_and_records_nothing(client: Client, settings, tmp_path) -> None:
    from lake import reset_lake_cache

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the lake's folder should be")
    settings.LAKE_URL = blocked.as_uri()
    reset_lake_cache()
    response = client.post("/complaints/new/", valid_post())
    assert response.status_code == 503
    assert RawEvent.objects.count() == 0 and Complaint.objects.count() == 0


# --- what a customer meets: found walking the form in a browser (test_form_browser.py) ---------
def test_line_breaks_count_once_so_a_text_that_fits_the_page_is_taken(client: Client) -> None:
    # Browsers send each line break as CRLF; counted twice, 4,999 characters became 5,048.
    text = "\r\n".join(["x" * 99] * 50)[:5049]
    assert len(text.replace("\r\n", "\n")) == 4999
    response = client.post("/complaints/new/", valid_post(text=text))
    assert response.status_code == 302


def test_too_long_a_text_is_kept_and_the_limit_is_shown_before_and_after(client: Client) -> None:
    page = client.get("/complaints/new/").content.decode()
    assert "10 to 5,000 characters" in page
    assert "maxlength" not in page.split('name="text"')[0].rsplit("<textarea", 1)[-1]  # no silent cut on paste
    response = client.post("/complaints/new/", valid_post(text="y" * 6000))
    body = response.content.decode()
    assert response.status_code == 400
    assert "Please shorten your complaint to 5,000 characters (it has 6000)" in body
    assert response.context["form"]["text"].value() == "y" * 6000


def test_a_short_text_gets_plain_words_not_djangos_validator_message(client: Client) -> None:
    body = client.post("/complaints/new/", valid_post(text="bad")).content.decode()
    assert "Please tell us a little more (at least 10 characters)." in body
    assert "Ensure this value" not in body


def test_errors_are_listed_first_linked_to_their_fields_and_described_by_ids_that_exist(client: Client) -> None:
    import re

    body = client.post("/complaints/new/", valid_post(text="bad", email="")).content.decode()
    summary = body.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "autofocus" in body.split('id="error-summary"', 1)[0].rsplit("<div", 1)[1] + summary.split(">", 1)[0]
    assert '<a href="#id_text">Please tell us a little more' in summary
    # The contact rule is on the e-mail field, so that it is tied to an input.
    assert '<a href="#id_email">Give us an e-mail address or a phone number' in summary
    ids = set(re.findall(r'\bid="([^"]+)"', body))
    described = [i for attr in re.findall(r'aria-describedby="([^"]+)"', body) for i in attr.split()]
    assert "id_text_error" in described and "id_email_error" in described
    assert [i for i in described if i not in ids] == []


def test_the_contact_fields_say_what_is_needed_and_suit_a_phone_keyboard(client: Client) -> None:
    body = client.get("/complaints/new/").content.decode()
    assert "We need an e-mail address or a phone number to reply" in body
    assert 'type="tel"' in body and 'autocomplete="tel"' in body and 'autocomplete="email"' in body


@pytest.mark.parametrize(
    "phone", ["+44 (0)20 7946 0958", "0044 20 7946 0958", "07700 900123", "+49 30/1234567", "+33 1.23.45.67.89"]
)
def test_uk_and_european_phone_numbers_are_taken(client: Client, phone: str) -> None:
    response = client.post("/complaints/new/", valid_post(email="", phone=phone))
    assert response.status_code == 302


def test_chosen_files_must_be_attached_again_after_a_refusal_and_the_page_says_so(client: Client) -> None:
    response = client.post("/complaints/new/", valid_post(text="bad", attachments=[upload("s.png", png_bytes())]))
    assert "please attach them again" in response.content.decode()
    assert "please attach them again" not in client.post("/complaints/new/", valid_post(text="bad")).content.decode()


def test_an_iphone_heic_photo_is_refused_with_what_to_do_instead(client: Client) -> None:
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    response = client.post("/complaints/new/", valid_post(attachments=[upload("IMG_0042.HEIC", heic, "image/heic")]))
    assert response.status_code == 400
    assert "“IMG_0042.HEIC” is an iPhone-style HEIC photo" in response.content.decode()
    assert "screenshot" in response.content.decode()


def test_an_image_of_too_many_pixels_is_refused_in_words_a_customer_can_act_on(client: Client) -> None:
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # 81 megapixels in a few kilobytes
    response = client.post("/complaints/new/", valid_post(attachments=[upload("huge.png", out.getvalue())]))
    assert response.status_code == 400
    assert "“huge.png” is too large an image for us to open. Please attach a screenshot" in response.content.decode()


def test_the_same_form_sent_twice_is_one_complaint_with_one_reference(
    client: Client, file_lake, django_capture_on_commit_callbacks
) -> None:
    # A double click, a refresh of the POST or the back button and "Send" again.
    post = valid_post(attachments=[upload("shot.png", png_bytes())])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/complaints/new/", post)
    reference = client.get(first["Location"]).context["reference"]
    post["attachments"][0].seek(0)  # type: ignore[index]
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/complaints/new/", post)
    assert again.status_code == 302
    assert client.get(again["Location"]).context["reference"] == reference
    assert RawEvent.objects.count() == 1 and Complaint.objects.count() == 1
    reasons = [k for k in file_lake.list("quarantine/web_form") if k.endswith(".reason.json")]
    assert len(reasons) == 1  # the second sending's bytes are kept, not dropped
    assert b"form sent again" in file_lake.read(reasons[0])

    # A different complaint from the same person is a new one.
    with django_capture_on_commit_callbacks(execute=True):
        other = client.post("/complaints/new/", valid_post(text="And the replacement was damaged too."))
    assert client.get(other["Location"]).context["reference"] != reference
    assert Complaint.objects.count() == 2


def test_a_form_refused_by_a_lake_outage_can_be_sent_again(client: Client, settings, tmp_path) -> None:
    from lake import reset_lake_cache

    good_lake = settings.LAKE_URL
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the lake's folder should be")
    settings.LAKE_URL = blocked.as_uri()
    reset_lake_cache()
    assert client.post("/complaints/new/", valid_post()).status_code == 503
    settings.LAKE_URL = good_lake
    reset_lake_cache()
    assert client.post("/complaints/new/", valid_post()).status_code == 302
    assert RawEvent.objects.count() == 1


def test_a_body_over_the_limit_is_413_with_a_page_not_json(client: Client, settings) -> None:
    response = client.generic(
        "POST",
        "/complaints/new/",
        b"x",
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.FORM_MAX_BODY_BYTES + 1),
    )
    assert response.status_code == 413
    assert RawEvent.objects.count() == 0
    # A customer whose files are too big together reads what to do, not body_limit's JSON.
    assert response["Content-Type"].startswith("text/html")
    assert "Your files are too big to send" in response.content.decode()


def test_a_stale_or_cookieless_form_gets_a_page_that_says_what_to_do() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/complaints/new/", valid_post())
    body = response.content.decode()
    assert response.status_code == 403
    assert "We could not accept this form" in body and "CSRF verification failed" not in body
    assert RawEvent.objects.count() == 0
