"""The public complaint form as a browser fills it in (the CSRF token is the sender's business)."""

from __future__ import annotations

import io
import random

from simulator.deliveries import Delivery, Expected
from simulator.texts import TextGenerator, lexicon

FORM_PATH = "/complaints/new/"
CATEGORIES = (
    "billing",
    "service_outage",
    "delivery",
    "product_quality",
    "customer_service",
    "account_access",
    "fraud_security",
    "pricing_refunds",
    "other",
)


def png(rng: random.Random) -> bytes:
    from PIL import Image

    image = Image.new(
        "RGB", (rng.randrange(40, 320), rng.randrange(30, 240)), tuple(rng.randrange(256) for _ in range(3))
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def form_message(gen: TextGenerator, rng: random.Random) -> Delivery:
    utterance = gen.utterance("web_form")
    first, last = lexicon.person(rng)
    # Customers mostly pick the right category; some pick "other" or a near miss.
    if utterance.is_complaint and rng.random() < 0.8:
        category = utterance.category
    else:
        category = rng.choice(CATEGORIES)
    fields = {
        "category": category,
        "text": utterance.text,
        "name": f"{first} {last}" if rng.random() < 0.8 else "",
        "email": f"{first.lower()}.{last.lower().replace(chr(39), '')}{rng.randrange(1, 999)}@example.com"
        if rng.random() < 0.8
        else "",
        "phone": "",
    }
    if not fields["email"]:
        fields["phone"] = rng.choice(("07700 900", "+44 7700 900")) + f"{rng.randrange(0, 1000):03d}"
    files: tuple[tuple[str, bytes, str], ...] = ()
    if rng.random() < 0.08:
        files = (("screenshot.png", png(rng), "image/png"),)
    # The key is the reference the form hands back; the sender fills it in.
    expected = (Expected("web_form", "web_form", (), utterance),)
    return Delivery("web_form", "POST", FORM_PATH, expected=expected, form=fields, files=files)


def malformed_form(rng: random.Random) -> Delivery:
    """A submission the form must refuse with 400 and keep in quarantine."""
    broken = rng.choice(("short", "no_contact", "bad_category", "fake_png"))
    fields = {
        "category": "delivery",
        "text": "My parcel never arrived and nobody answers the phone.",
        "name": "Test Person",
        "email": "someone@example.com",
        "phone": "",
    }
    files: tuple[tuple[str, bytes, str], ...] = ()
    if broken == "short":
        fields["text"] = "bad"
    elif broken == "no_contact":
        fields["email"] = ""
    elif broken == "bad_category":
        fields["category"] = "not-a-category"
    else:
        files = (("cat.png", b"MZ\x90\x00\x03" + bytes(rng.randrange(256) for _ in range(200)), "image/png"),)
    return Delivery("web_form", "POST", FORM_PATH, kind="malformed", form=fields, files=files, note=broken)


def forged_form() -> Delivery:
    """A cross-site POST: no CSRF cookie, no token. The form must answer 403 and store nothing."""
    fields = {"category": "billing", "text": "Cross-site submission without a token.", "email": "x@example.com"}
    return Delivery("web_form", "POST", FORM_PATH, kind="forged", form=fields, note="no csrf")
