"""Meta (Messenger, Instagram, Page and Instagram comments, WhatsApp) and X webhook deliveries.

Each POST is built the way the provider batches: Meta puts several entries in one POST and
sends the Page's own echoes and WhatsApp delivery statuses down the same pipe; X's Account
Activity API sends our own account's events too. Those extras are kept by the receiver but
never become complaints, so they carry no expectation here.
"""

from __future__ import annotations

import html
import json
import random
import secrets
import string
import time
from datetime import UTC, datetime

from simulator import signing
from simulator.deliveries import Delivery, Expected
from simulator.texts import TextGenerator, Utterance, lexicon

META_PATH = "/webhooks/meta/"
X_PATH = "/webhooks/x/"
PAGE_ID = "104857362819044"
IG_ACCOUNT_ID = "17841400000000001"
WA_BUSINESS_ID = "102290129340398"
WA_PHONE_NUMBER_ID = "106540352242922"
X_OUR_USER_ID = "1234567890123456789"
X_OUR_SCREEN_NAME = "AcmeSupport"

META_CHANNELS = ("facebook_dm", "instagram_dm", "facebook_comment", "instagram_comment", "whatsapp")
X_CHANNELS = ("x_dm", "x_mention")


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(1, 10)) + "".join(rng.choice(string.digits) for _ in range(n - 1))


def _token(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits + "_-") for _ in range(n))


def _now_ms() -> int:
    return int(time.time() * 1000)


# --- Meta -------------------------------------------------------------------------------------
def _messaging_entry(channel: str, utterance: Utterance, rng: random.Random) -> tuple[dict, Expected]:  # type: ignore[type-arg]
    owner = PAGE_ID if channel == "facebook_dm" else IG_ACCOUNT_ID
    mid = ("m_" if channel == "facebook_dm" else "aWdfZAG1faXRlbToxOklH") + _token(rng, 70)
    ts = _now_ms() - rng.randrange(0, 4000)
    message: dict[str, object] = {"mid": mid, "text": utterance.text}
    if rng.random() < 0.05:
        message["attachments"] = [
            {"type": "image", "payload": {"url": f"https://scontent.xx.fbcdn.net/v/{_token(rng, 24)}.jpg"}}
        ]
    entry = {
        "id": owner,
        "time": ts + rng.randrange(50, 900),
        "messaging": [
            {"sender": {"id": _digits(rng, 16)}, "recipient": {"id": owner}, "timestamp": ts, "message": message}
        ],
    }
    return entry, Expected("social", channel, (f"meta:{mid}",), utterance)


def _echo_entry(channel: str, rng: random.Random) -> dict:  # type: ignore[type-arg]
    owner = PAGE_ID if channel == "facebook_dm" else IG_ACCOUNT_ID
    ts = _now_ms()
    return {
        "id": owner,
        "time": ts,
        "messaging": [
            {
                "sender": {"id": owner},
                "recipient": {"id": _digits(rng, 16)},
                "timestamp": ts,
                "message": {
                    "mid": "m_" + _token(rng, 70),
                    "is_echo": True,
                    "app_id": 1517776481860111,
                    "text": rng.choice(
                        (
                            "Sorry to hear that! Could you DM us your order number?",
                            "Thanks for getting in touch, we'll look into it.",
                        )
                    ),
                },
            }
        ],
    }


def _facebook_comment_entry(utterance: Utterance, rng: random.Random) -> tuple[dict, Expected]:  # type: ignore[type-arg]
    now = int(time.time())
    post_id = f"{PAGE_ID}_{_digits(rng, 18)}"
    comment_id = f"{post_id.split('_')[1]}_{_digits(rng, 16)}"
    first, last = lexicon.person(rng)
    value = {
        "from": {"id": _digits(rng, 16), "name": f"{first} {last}"},
        "post": {
            "status_type": "added_photos",
            "is_published": True,
            "id": post_id,
            "updated_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        },
        "message": utterance.text,
        "post_id": post_id,
        "comment_id": comment_id,
        "created_time": now,
        "item": "comment",
        "parent_id": post_id,
        "verb": "add",
    }
    entry = {"id": PAGE_ID, "time": now, "changes": [{"value": value, "field": "feed"}]}
    return entry, Expected("social", "facebook_comment", (f"meta:{comment_id}",), utterance)


def _instagram_comment_entry(utterance: Utterance, rng: random.Random) -> tuple[dict, Expected]:  # type: ignore[type-arg]
    comment_id = _digits(rng, 17)
    value = {
        "from": {
            "id": _digits(rng, 17),
            "username": f"{rng.choice(lexicon.FIRST_NAMES).lower()}_{_token(rng, 4).lower()}",
        },
        "media": {"id": _digits(rng, 17), "media_product_type": "FEED"},
        "id": comment_id,
        "text": utterance.text,
    }
    entry = {"id": IG_ACCOUNT_ID, "time": int(time.time()), "changes": [{"field": "comments", "value": value}]}
    return entry, Expected("social", "instagram_comment", (f"meta:{comment_id}",), utterance)


def _whatsapp_entry(utterance: Utterance, rng: random.Random) -> tuple[dict, Expected]:  # type: ignore[type-arg]
    wa_id = "44" + _digits(rng, 10)
    wamid = "wamid.HBgM" + _token(rng, 48) + "="
    first, last = lexicon.person(rng)
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": WA_PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": f"{first} {last}"}, "wa_id": wa_id}],
        # WhatsApp sends the time as epoch seconds in a string.
        "messages": [
            {
                "from": wa_id,
                "id": wamid,
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": utterance.text},
            }
        ],
    }
    entry = {"id": WA_BUSINESS_ID, "changes": [{"value": value, "field": "messages"}]}
    return entry, Expected("social", "whatsapp", (f"meta:{wamid}",), utterance)


def _whatsapp_status_entry(rng: random.Random) -> dict:  # type: ignore[type-arg]
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": WA_PHONE_NUMBER_ID},
        "statuses": [
            {
                "id": "wamid.HBgM" + _token(rng, 48) + "=",
                "status": rng.choice(("sent", "delivered", "read")),
                "timestamp": str(int(time.time())),
                "recipient_id": "44" + _digits(rng, 10),
            }
        ],
    }
    return {"id": WA_BUSINESS_ID, "changes": [{"value": value, "field": "messages"}]}


def _page_reply_entry(rng: random.Random) -> dict:  # type: ignore[type-arg]
    """The Page answering a comment under its own post: kept, never a complaint."""
    entry, _ = _facebook_comment_entry(Utterance("Hi, sorry about this - we've sent you a DM.", False), rng)
    entry["changes"][0]["value"]["from"] = {"id": PAGE_ID, "name": "Acme Retail UK"}
    return entry


def meta_body(channel: str, utterances: list[Utterance], rng: random.Random) -> tuple[bytes, tuple[Expected, ...]]:
    """One POST for one channel: 1..n entries, now and then an echo or a delivery status among them."""
    entries: list[dict] = []  # type: ignore[type-arg]
    expected: list[Expected] = []
    for utterance in utterances:
        if channel in ("facebook_dm", "instagram_dm"):
            entry, exp = _messaging_entry(channel, utterance, rng)
        elif channel == "facebook_comment":
            entry, exp = _facebook_comment_entry(utterance, rng)
        elif channel == "instagram_comment":
            entry, exp = _instagram_comment_entry(utterance, rng)
        else:
            entry, exp = _whatsapp_entry(utterance, rng)
        entries.append(entry)
        expected.append(exp)
    if rng.random() < 0.15:
        if channel == "whatsapp":
            entries.append(_whatsapp_status_entry(rng))
        elif channel in ("facebook_dm", "instagram_dm"):
            entries.append(_echo_entry(channel, rng))
        elif channel == "facebook_comment":
            entries.append(_page_reply_entry(rng))
    obj = {"whatsapp": "whatsapp_business_account", "instagram_dm": "instagram", "instagram_comment": "instagram"}
    payload = {"object": obj.get(channel, "page"), "entry": entries}
    return json.dumps(payload, separators=(",", ":")).encode(), tuple(expected)


def meta_delivery(
    body: bytes, *, app_secret: str, kind: str = "valid", expected: tuple[Expected, ...] = ()
) -> Delivery:
    headers = {"Content-Type": "application/json", **signing.meta_headers(body=body, app_secret=app_secret)}
    return Delivery("meta", "POST", META_PATH, body, headers, expected, kind)


def meta_message(gen: TextGenerator, rng: random.Random, *, app_secret: str) -> Delivery:
    channel = rng.choice(META_CHANNELS)
    utterances = [gen.utterance(channel) for _ in range(rng.choices((1, 2, 3), (0.75, 0.18, 0.07))[0])]
    body, expected = meta_body(channel, utterances, rng)
    return meta_delivery(body, app_secret=app_secret, expected=expected)


# --- X ----------------------------------------------------------------------------------------
def _screen_name(rng: random.Random, first: str, last: str) -> str:
    joiner = rng.choice(("", "_", "."))
    return f"{first.lower()}{joiner}{last.lower().replace(chr(39), '')}{rng.randrange(1, 99)}"[:15]


def _x_user(rng: random.Random) -> dict[str, object]:
    first, last = lexicon.person(rng)
    uid = _digits(rng, 19)
    return {
        "id": uid,
        "id_str": uid,
        "name": f"{first} {last}",
        "screen_name": _screen_name(rng, first, last),
        "protected": False,
        "verified": False,
        "followers_count": rng.randrange(0, 5000),
    }


def x_dm_body(utterance: Utterance, rng: random.Random, *, own: bool = False) -> tuple[bytes, tuple[Expected, ...]]:
    user = _x_user(rng)
    event_id = _digits(rng, 19)
    sender, recipient = (X_OUR_USER_ID, user["id"]) if own else (user["id"], X_OUR_USER_ID)
    text = "Thanks, we've passed this on to the team." if own else utterance.text
    payload = {
        "for_user_id": X_OUR_USER_ID,
        "direct_message_events": [
            {
                "type": "message_create",
                "id": event_id,
                "created_timestamp": str(_now_ms()),
                "message_create": {
                    "target": {"recipient_id": recipient},
                    "sender_id": sender,
                    # X escapes &, < and > in message text.
                    "message_data": {
                        "text": html.escape(text, quote=False),
                        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
                    },
                },
            }
        ],
        "users": {
            str(user["id"]): user,
            X_OUR_USER_ID: {"id": X_OUR_USER_ID, "name": "Acme Support", "screen_name": X_OUR_SCREEN_NAME},
        },
    }
    expected = () if own else (Expected("social", "x_dm", (f"x:{event_id}",), utterance),)
    return json.dumps(payload, separators=(",", ":")).encode(), expected


def x_mention_body(
    utterance: Utterance, rng: random.Random, *, own: bool = False
) -> tuple[bytes, tuple[Expected, ...]]:
    user = (
        {"id": int(X_OUR_USER_ID), "id_str": X_OUR_USER_ID, "name": "Acme Support", "screen_name": X_OUR_SCREEN_NAME}
        if own
        else _x_user(rng)
    )
    tweet_id = _digits(rng, 19)
    text = utterance.text if not own else f"@{_x_user(rng)['screen_name']} Sorry about this, please DM us."
    if not own and "@" not in text:
        text = f"@{X_OUR_SCREEN_NAME} {text}"
    tweet = {
        "created_at": datetime.now(UTC).strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "id": int(tweet_id),
        "id_str": tweet_id,
        "text": html.escape(text, quote=False),
        "truncated": False,
        "in_reply_to_status_id_str": _digits(rng, 19) if rng.random() < 0.3 else None,
        "user": user,
        "entities": {
            "hashtags": [],
            "urls": [],
            "user_mentions": [
                {
                    "screen_name": X_OUR_SCREEN_NAME,
                    "name": "Acme Support",
                    "id": int(X_OUR_USER_ID),
                    "id_str": X_OUR_USER_ID,
                }
            ],
        },
        "lang": "en",
    }
    payload = {"for_user_id": X_OUR_USER_ID, "tweet_create_events": [tweet]}
    expected = () if own else (Expected("social", "x_mention", (f"x:{tweet_id}",), utterance),)
    return json.dumps(payload, separators=(",", ":")).encode(), expected


def x_delivery(
    body: bytes, *, consumer_secret: str, kind: str = "valid", expected: tuple[Expected, ...] = ()
) -> Delivery:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "x-twitter-webhooks-signature": signing.x(data=body, consumer_secret=consumer_secret),
    }
    return Delivery("x", "POST", X_PATH, body, headers, expected, kind)


def x_message(gen: TextGenerator, rng: random.Random, *, consumer_secret: str) -> Delivery:
    channel = rng.choice(X_CHANNELS)
    own = rng.random() < 0.05  # our own replies come down the same webhook
    build = x_dm_body if channel == "x_dm" else x_mention_body
    body, expected = build(gen.utterance(channel), rng, own=own)
    return x_delivery(body, consumer_secret=consumer_secret, expected=expected)


def x_crc_expected(*, crc_token: str, consumer_secret: str) -> str:
    return signing.x(data=crc_token.encode(), consumer_secret=consumer_secret)


def new_crc_token() -> str:
    return secrets.token_urlsafe(24)
