"""The complaint form in a real browser, as a customer on a phone uses it.

What only a browser shows: the page's width with a long file name in an error, where focus goes
after a refusal, the reference on one line, and the back button's "Send" again. Screenshots go
to artifacts/ (kept by CI, ignored by git).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import screenshot
from ingestion.models import RawEvent
from warehouse.models import Complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(open_page: Callable[..., Any]) -> Any:
    return open_page(viewport=PHONE, is_mobile=True, has_touch=True)


def page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def fill_in(page: Any, text: str = "My parcel 48213 was marked delivered on Monday but never arrived.") -> None:
    page.select_option("#id_category", "delivery")
    page.fill("#id_text", text)
    page.fill("#id_email", "ann@example.co.uk")


def test_a_refusal_on_a_phone_keeps_the_page_narrow_and_puts_focus_on_the_error_list(
    phone: Any, live_server: Any, tmp_path: Path
) -> None:
    renamed = tmp_path / ("Screenshot_2026-11-26_at_09.41.12_" + "x" * 120 + ".png")
    renamed.write_bytes(b"MZ" + b"\x00" * 100)  # not an image, whatever its name
    phone.goto(f"{live_server.url}/complaints/new/")
    assert page_width(phone) == PHONE["width"]
    fill_in(phone, text="Broken")
    phone.set_input_files("#id_attachments", [str(renamed)])
    phone.click("button[type=submit]")
    phone.wait_for_selector("#error-summary")
    screenshot(phone, "form-phone-refused")

    assert page_width(phone) == PHONE["width"]  # the long name wraps instead of widening the page
    assert phone.evaluate("document.activeElement.id") == "error-summary"
    assert phone.input_value("#id_text") == "Broken"  # what was typed is still there
    phone.click("#error-summary a[href='#id_text']")
    assert phone.evaluate("document.activeElement.id") == "id_text"
    assert RawEvent.objects.count() == 0


def test_the_reference_fits_on_one_line_and_the_back_button_does_not_make_a_second_complaint(
    phone: Any, live_server: Any
) -> None:
    phone.goto(f"{live_server.url}/complaints/new/")
    fill_in(phone)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/complaints/submitted/")
    screenshot(phone, "form-phone-submitted")
    reference = phone.locator("#reference").inner_text()
    box = phone.locator("#reference").bounding_box()
    line_height = phone.evaluate("parseFloat(getComputedStyle(document.querySelector('#reference')).lineHeight)")
    assert box["height"] < 1.5 * line_height  # one line: "CMP-20261126-" and "F6H9M" apart read as two codes
    assert page_width(phone) == PHONE["width"]

    phone.go_back()
    assert phone.input_value("#id_text").startswith("My parcel 48213")  # the browser filled it in again
    phone.click("button[type=submit]")
    phone.wait_for_url("**/complaints/submitted/")
    assert phone.locator("#reference").inner_text() == reference
    assert RawEvent.objects.count() == 1
    assert Complaint.objects.count() <= 1  # the worker may not have run yet; never two
