"""Meta webhooks: Messenger, Instagram messaging, Page feed comments, Instagram comments, WhatsApp.

One POST carries several entries, each with `messaging` events (DMs) or `changes` (feed,
comments, WhatsApp). What becomes a message: a customer's DM, comment or visitor post, a
WhatsApp message. What stays in the lake only: the Page's or account's own echoes and replies,
delivery/read receipts, reactions, WhatsApp statuses, and fields we do not subscribe to.

Timestamps: Messenger/Instagram `timestamp` and `entry.time` are epoch ms (Instagram comment
entries use seconds), feed `created_time` is seconds, WhatsApp `timestamp` is seconds as a
string; `from_epoch` tells seconds from milliseconds by magnitude.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ingestion.adapters._payload import epoch, items, load_object, obj, text
from ingestion.adapters.base import Attachment, InboundMessage, PayloadError, RawInput, register
from ingestion.sources import Channel, Source
from ingestion.textclean import clean_text
from ingestion.timeparse import TimeParseError, parse_iso

PROVIDER = "meta"
OBJECTS = {"page", "instagram", "whatsapp_business_account"}
# Feed items a visitor can add to a Page; the Page's own ones are skipped by author.
FEED_ITEMS = {"comment", "post", "status", "photo", "video", "share"}
# Meta's attachment types, as a coarse content type (the URL is the provider's, never fetched here).
_KIND_TYPES = {"image": "image/*", "video": "video/*", "audio": "audio/*", "file": "application/octet-stream"}


def check_shape(payload: dict[str, Any]) -> None:
    if not isinstance(payload.get("object"), str) or not payload["object"]:
        raise PayloadError("object is missing")
    if not isinstance(payload.get("entry"), list):
        raise PayloadError("entry must be a list")


def extract(payload: dict[str, Any], received_at: datetime) -> list[InboundMessage]:
    """Every customer message in the payload; PayloadError names the first malformed field."""
    check_shape(payload)
    kind = payload["object"]
    found: list[InboundMessage] = []
    for path, entry in items(payload, "entry", "payload"):
        owner = text(entry, "id", path, required=kind in OBJECTS)
        entry_time = epoch(entry["time"], f"{path}.time") if entry.get("time") is not None else received_at
        if kind in ("page", "instagram"):
            for key in ("messaging", "standby"):  # standby: messages while another app owns the thread
                for event_path, event in items(entry, key, path):
                    message = _direct_message(kind, owner, event, event_path, entry_time)
                    if message:
                        found.append(message)
        changes = items(entry, "changes", path)
        if not changes and isinstance(entry.get("field"), str) and isinstance(entry.get("value"), dict):
            changes = [(path, entry)]  # one documented Instagram example puts field/value on the entry
        for change_path, change in changes:
            field = text(change, "field", change_path, required=True)
            value = obj(change, "value", change_path)
            value_path = f"{change_path}.value"
            if kind == "page" and field == "feed":
                message = _feed_item(owner, value, value_path, entry_time)
                found.extend([message] if message else [])
            elif kind == "instagram" and field in ("comments", "live_comments"):
                message = _instagram_comment(owner, value, value_path, entry_time)
                found.extend([message] if message else [])
            elif kind == "whatsapp_business_account" and field == "messages":
                found.extend(_whatsapp(owner, value, value_path))
    return found


@register(PROVIDER)
def parse(raw: RawInput) -> list[InboundMessage]:
    return extract(load_object(raw.body), raw.received_at)


# --- Messenger and Instagram direct messages ----------------------------------------------


def _direct_message(
    kind: str, owner: str, event: dict[str, Any], path: str, entry_time: datetime
) -> InboundMessage | None:
    if "message" not in event:
        return None  # delivery, read, reaction, postback, referral, optin: not a customer's words
    message = obj(event, "message", path)
    sender_obj = obj(event, "sender", path)
    # Chat Plugin guests have no PSID yet: Meta sends sender.user_ref instead of sender.id.
    user_ref = "" if sender_obj.get("id") else text(sender_obj, "user_ref", f"{path}.sender")
    sender = user_ref or text(sender_obj, "id", f"{path}.sender", required=True)
    mid = text(message, "mid", f"{path}.message", required=True)
    if message.get("is_echo") or sender == owner:
        return None  # the Page's / account's own message, echoed back
    if message.get("is_deleted") or message.get("is_unsupported"):
        return None
    body = clean_text(text(message, "text", f"{path}.message"))
    attachments = []
    for att_path, attachment in items(message, "attachments", f"{path}.message"):
        payload = obj(attachment, "payload", att_path, required=False)
        url = text(payload, "url", f"{att_path}.payload")
        if url:
            kind_name = text(attachment, "type", att_path)
            attachments.append(Attachment(url=url, content_type=_KIND_TYPES.get(kind_name, "")))
    if not body and not attachments:
        return None
    occurred = epoch(event["timestamp"], f"{path}.timestamp") if event.get("timestamp") is not None else entry_time
    metadata: dict[str, Any] = {"account_id": owner}
    reply_to = obj(message, "reply_to", f"{path}.message", required=False)
    if reply_to.get("mid"):
        metadata["reply_to"] = reply_to["mid"]
    # An Instagram story reply ("is this back in stock?") means little without the story it answers.
    story = obj(reply_to, "story", f"{path}.message.reply_to", required=False)
    if story:
        metadata["reply_to_story"] = text(story, "id", f"{path}.message.reply_to.story")
        metadata["reply_to_story_url"] = text(story, "url", f"{path}.message.reply_to.story")
    if user_ref:
        metadata["user_ref"] = user_ref
    return InboundMessage(
        source=Source.SOCIAL,
        channel=Channel.INSTAGRAM_DM if kind == "instagram" else Channel.FACEBOOK_DM,
        provider=PROVIDER,
        external_id=f"{PROVIDER}:{mid}",
        text=body,
        occurred_at=occurred,
        customer_handle=sender,
        attachments=attachments,
        metadata=metadata,
    )


# --- Facebook Page feed -------------------------------------------------------------------


def _feed_item(owner: str, value: dict[str, Any], path: str, entry_time: datetime) -> InboundMessage | None:
    item = text(value, "item", path)
    if item not in FEED_ITEMS or text(value, "verb", path) != "add":
        return None  # edits, removals, likes, reactions
    author = obj(value, "from", path, required=False)
    author_id = text(author, "id", f"{path}.from")
    if author_id and author_id == owner:
        return None  # the Page commenting or posting itself (its replies to customers)
    key = "comment_id" if item == "comment" else "post_id"
    item_id = text(value, key, path, required=True)
    body = clean_text(text(value, "message", path))
    urls = [(text(value, "photo", path), "image/*"), (text(value, "video", path), "video/*")]
    # A multi-photo visitor post lists every photo in `photos` (its first one may also be in `photo`).
    photos = value.get("photos")
    if photos is not None and not isinstance(photos, list):
        raise PayloadError(f"{path}.photos must be a list")
    for index, photo in enumerate(photos or []):
        if not isinstance(photo, str):
            raise PayloadError(f"{path}.photos[{index}] must be a string")
        urls.append((photo, "image/*"))
    seen: set[str] = set()
    attachments = []
    for url, ctype in urls:
        if url and url not in seen:
            seen.add(url)
            attachments.append(Attachment(url=url, content_type=ctype))
    if not body and not attachments:
        return None
    created = value.get("created_time")
    metadata: dict[str, Any] = {"page_id": owner, "item": item, "post_id": text(value, "post_id", path)}
    parent = text(value, "parent_id", path)
    if item == "comment" and parent:
        # parent_id == post_id: a top-level comment; otherwise a reply to another comment.
        metadata["parent_id"] = parent
        metadata["is_reply"] = parent != metadata["post_id"]
    post = obj(value, "post", path, required=False)
    if post.get("permalink_url"):
        metadata["permalink_url"] = post["permalink_url"]
    return InboundMessage(
        source=Source.SOCIAL,
        channel=Channel.FACEBOOK_COMMENT,
        provider=PROVIDER,
        external_id=f"{PROVIDER}:{item_id}",
        text=body,
        occurred_at=_created_time(created, path, entry_time),
        customer_handle=author_id,
        customer_name=text(author, "name", f"{path}.from"),
        attachments=attachments,
        metadata=metadata,
    )


def _created_time(value: object, path: str, default: datetime) -> datetime:
    if value is None:
        return default
    if isinstance(value, str) and not value.strip().isdigit():
        try:
            return parse_iso(value)  # older feed payloads: "2025-10-25T16:02:11+0000"
        except TimeParseError as exc:
            raise PayloadError(f"{path}.created_time: {exc}") from exc
    return epoch(value, f"{path}.created_time")


# --- Instagram comments -------------------------------------------------------------------


def _instagram_comment(owner: str, value: dict[str, Any], path: str, entry_time: datetime) -> InboundMessage | None:
    comment_id = text(value, "id", path, required=True)
    author = obj(value, "from", path, required=False)
    author_id = text(author, "id", f"{path}.from")
    if author_id and author_id == owner:
        return None  # the account replying under its own media
    body = clean_text(text(value, "text", path))
    if not body:
        return None
    media = obj(value, "media", path, required=False)
    metadata: dict[str, Any] = {"account_id": owner, "media_id": text(media, "id", f"{path}.media")}
    if media.get("media_product_type"):
        metadata["media_product_type"] = media["media_product_type"]
    if value.get("parent_id"):
        metadata["parent_id"] = text(value, "parent_id", path)
    username = text(author, "username", f"{path}.from")
    occurred = epoch(value["timestamp"], f"{path}.timestamp") if value.get("timestamp") is not None else entry_time
    return InboundMessage(
        source=Source.SOCIAL,
        channel=Channel.INSTAGRAM_COMMENT,
        provider=PROVIDER,
        external_id=f"{PROVIDER}:{comment_id}",
        text=body,
        occurred_at=occurred,
        customer_handle=username or author_id,
        customer_name=username,
        metadata={**metadata, "instagram_scoped_id": author_id},
    )


# --- WhatsApp Cloud API -------------------------------------------------------------------

_MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")


def _whatsapp(owner: str, value: dict[str, Any], path: str) -> list[InboundMessage]:
    # value.statuses (sent / delivered / read / failed) are about our messages: lake only.
    meta = obj(value, "metadata", path, required=False)
    names: dict[str, str] = {}
    for contact_path, contact in items(value, "contacts", path):
        name = text(obj(contact, "profile", contact_path, required=False), "name", f"{contact_path}.profile")
        for key in ("wa_id", "user_id"):
            if contact.get(key):
                names[text(contact, key, contact_path)] = name
    found = []
    for message_path, message in items(value, "messages", path):
        item = _whatsapp_message(message, message_path)
        if item is None:
            continue
        body, attachments, extra = item
        if not body and not attachments:
            continue
        wamid = text(message, "id", message_path, required=True)
        phone = text(message, "from", message_path)
        user_id = text(message, "from_user_id", message_path)
        if not phone and not user_id:
            raise PayloadError(f"{message_path}.from is missing")
        found.append(
            InboundMessage(
                source=Source.SOCIAL,
                channel=Channel.WHATSAPP,
                provider=PROVIDER,
                external_id=f"{PROVIDER}:{wamid}",
                text=body,
                occurred_at=epoch(message.get("timestamp"), f"{message_path}.timestamp"),
                # The phone number when WhatsApp shares it; the business-scoped user id otherwise.
                customer_handle=f"+{phone}" if phone.isdigit() else (phone or user_id),
                customer_name=names.get(phone) or names.get(user_id, ""),
                contact_phone=f"+{phone}" if phone.isdigit() else "",
                attachments=attachments,
                metadata={
                    "business_account_id": owner,
                    "phone_number_id": text(meta, "phone_number_id", f"{path}.metadata"),
                    "display_phone_number": text(meta, "display_phone_number", f"{path}.metadata"),
                    "type": text(message, "type", message_path),
                    **({"user_id": user_id} if user_id else {}),
                    **extra,
                },
            )
        )
    return found


def _whatsapp_message(message: dict[str, Any], path: str) -> tuple[str, list[Attachment], dict[str, Any]] | None:
    kind = text(message, "type", path, required=True)
    extra: dict[str, Any] = {}
    context = obj(message, "context", path, required=False)
    if context.get("id"):
        extra["context_id"] = context["id"]
    if kind == "text":
        return clean_text(text(obj(message, "text", path), "body", f"{path}.text")), [], extra
    if kind in _MEDIA_TYPES:
        media = obj(message, kind, path)
        media_id = text(media, "id", f"{path}.{kind}", required=True)
        # WhatsApp gives a media id, not a URL: the Graph API resolves it (with a token) later.
        attachment = Attachment(
            url=f"https://graph.facebook.com/{media_id}",
            content_type=text(media, "mime_type", f"{path}.{kind}"),
            filename=text(media, "filename", f"{path}.{kind}"),
        )
        extra["media_id"] = media_id
        return clean_text(text(media, "caption", f"{path}.{kind}")), [attachment], extra
    if kind == "location":
        place = obj(message, "location", path)
        parts = [text(place, key, f"{path}.location") for key in ("name", "address")]
        latitude, longitude = place.get("latitude"), place.get("longitude")
        # bool is an int to Python, but `true` is no coordinate.
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (latitude, longitude)):
            raise PayloadError(f"{path}.location needs a numeric latitude and longitude")
        extra["location"] = {"latitude": latitude, "longitude": longitude}
        return clean_text(" ".join(p for p in [*parts, f"({latitude}, {longitude})"] if p)), [], extra
    if kind == "button":
        return clean_text(text(obj(message, "button", path), "text", f"{path}.button")), [], extra
    if kind == "interactive":
        interactive = obj(message, "interactive", path)
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        if not isinstance(reply, dict):
            raise PayloadError(f"{path}.interactive reply must be an object")
        return clean_text(text(reply, "title", f"{path}.interactive")), [], extra
    # reaction, order, system, contacts, unsupported: nothing a customer wrote to us.
    return None
