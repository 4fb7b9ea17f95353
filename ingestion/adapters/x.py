"""X Account Activity API: direct messages and tweets that mention or reply to us -> messages.

`for_user_id` is our own account: its DMs and tweets come back in the same stream and are not
complaints. Ids are read from the string fields (`id_str`; DM ids are strings already): 64-bit
snowflakes do not survive a trip through a JavaScript number. Text arrives HTML-escaped
(&amp; &lt; &gt;) and is unescaped. Retweets carry no new words from the customer and are skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ingestion.adapters._payload import epoch, items, load_object, obj, text
from ingestion.adapters.base import Attachment, InboundMessage, PayloadError, RawInput, register
from ingestion.sources import Channel, Source
from ingestion.textclean import clean_text

PROVIDER = "x"
_MEDIA_TYPES = {"photo": "image/*", "animated_gif": "video/*", "video": "video/*"}


def check_shape(payload: dict[str, Any]) -> None:
    text(payload, "for_user_id", "payload", required=True)
    for key in ("direct_message_events", "tweet_create_events"):
        if key in payload and not isinstance(payload[key], list):
            raise PayloadError(f"payload.{key} must be a list")


def extract(payload: dict[str, Any], received_at: datetime) -> list[InboundMessage]:
    if "user_event" in payload and "for_user_id" not in payload:
        return []  # an app revocation: documented, addressed to the app, not to a user; lake only
    check_shape(payload)
    us = text(payload, "for_user_id", "payload", required=True)
    users: dict[str, Any] = payload["users"] if isinstance(payload.get("users"), dict) else {}
    # true when the author of a mention has blocked us: still their complaint, but we cannot answer it there.
    blocked = payload.get("user_has_blocked") in (True, "true")
    found: list[InboundMessage] = []
    for path, event in items(payload, "direct_message_events", "payload"):
        message = _direct_message(us, users, event, path, received_at)
        if message:
            found.append(message)
    for path, tweet in items(payload, "tweet_create_events", "payload"):
        message = _tweet(us, tweet, path, received_at)
        if message:
            if blocked:
                message.metadata["user_has_blocked"] = True
            found.append(message)
    return found


@register(PROVIDER)
def parse(raw: RawInput) -> list[InboundMessage]:
    return extract(load_object(raw.body), raw.received_at)


def _direct_message(
    us: str, users: dict[str, Any], event: dict[str, Any], path: str, received_at: datetime
) -> InboundMessage | None:
    if text(event, "type", path) != "message_create":
        return None
    event_id = text(event, "id", path, required=True)
    create = obj(event, "message_create", path)
    sender = text(create, "sender_id", f"{path}.message_create", required=True)
    if sender == us:
        return None  # our own reply, echoed to our webhook
    data = obj(create, "message_data", f"{path}.message_create")
    data_path = f"{path}.message_create.message_data"
    body = clean_text(text(data, "text", data_path), unescape_html=True)
    attachment = obj(data, "attachment", data_path, required=False)
    media = obj(attachment, "media", f"{data_path}.attachment", required=False)
    attachments = _media(media, f"{data_path}.attachment.media")
    if not body and not attachments:
        return None
    profile: dict[str, Any] = users[sender] if isinstance(users.get(sender), dict) else {}
    stamp = event.get("created_timestamp")
    recipient = text(obj(create, "target", f"{path}.message_create", required=False), "recipient_id", path)
    metadata = {"user_id": sender, "for_user_id": us, "recipient_id": recipient}
    # The option the customer tapped ("not_resolved") is sharper than its label.
    quick_reply = obj(data, "quick_reply_response", data_path, required=False)
    if quick_reply.get("metadata"):
        metadata["quick_reply"] = text(quick_reply, "metadata", f"{data_path}.quick_reply_response")
    return InboundMessage(
        source=Source.SOCIAL,
        channel=Channel.X_DM,
        provider=PROVIDER,
        external_id=f"{PROVIDER}:{event_id}",
        text=body,
        occurred_at=epoch(stamp, f"{path}.created_timestamp") if stamp is not None else received_at,
        customer_handle=str(profile.get("screen_name") or sender),
        customer_name=clean_text(str(profile.get("name") or ""), unescape_html=True),
        attachments=attachments,
        metadata=metadata,
    )


def _tweet(us: str, tweet: dict[str, Any], path: str, received_at: datetime) -> InboundMessage | None:
    tweet_id = text(tweet, "id_str", path, required=True)
    user = obj(tweet, "user", path)
    user_id = text(user, "id_str", f"{path}.user") or text(user, "id", f"{path}.user", required=True)
    if user_id == us:
        return None  # our own tweet or reply
    if tweet.get("retweeted_status"):  # not `in`: some relays serialise an absent field as null
        return None  # a retweet repeats someone else's words
    extended = obj(tweet, "extended_tweet", path, required=False)
    full = text(extended, "full_text", f"{path}.extended_tweet") or text(tweet, "full_text", path)
    body = clean_text(full or text(tweet, "text", path), unescape_html=True)
    source_path = f"{path}.extended_tweet" if extended.get("extended_entities") else path
    media_source = extended if extended.get("extended_entities") else tweet
    entities_path = f"{source_path}.extended_entities"
    attachments = [
        attachment
        for media_path, m in items(
            obj(media_source, "extended_entities", source_path, required=False), "media", entities_path
        )
        for attachment in _media(m, media_path)
    ]
    if not body and not attachments:
        return None
    metadata: dict[str, Any] = {"user_id": user_id, "for_user_id": us}
    for key in ("in_reply_to_status_id_str", "in_reply_to_user_id_str", "conversation_id_str", "quoted_status_id_str"):
        if tweet.get(key):
            metadata[key.removesuffix("_str")] = str(tweet[key])
    return InboundMessage(
        source=Source.SOCIAL,
        channel=Channel.X_MENTION,
        provider=PROVIDER,
        external_id=f"{PROVIDER}:{tweet_id}",
        text=body,
        occurred_at=_tweet_time(tweet, path, received_at),
        customer_handle=text(user, "screen_name", f"{path}.user") or user_id,
        customer_name=clean_text(text(user, "name", f"{path}.user"), unescape_html=True),
        attachments=attachments,
        metadata=metadata,
    )


def _media(media: dict[str, Any], path: str) -> list[Attachment]:
    """One attachment for a media object; none when it has no URL."""
    kind = text(media, "type", path)
    if kind in ("video", "animated_gif"):
        # media_url_https of a video or GIF is its JPEG thumbnail; the file is the best mp4 variant.
        variants = items(obj(media, "video_info", path, required=False), "variants", f"{path}.video_info")
        mp4 = [v for _, v in variants if v.get("content_type") == "video/mp4" and v.get("url")]
        if mp4:
            best = max(mp4, key=_bitrate)
            return [Attachment(url=str(best["url"]), content_type="video/mp4")]
    url = text(media, "media_url_https", path)
    return [Attachment(url=url, content_type=_MEDIA_TYPES.get(kind, ""))] if url else []


def _bitrate(variant: dict[str, Any]) -> int:
    value = variant.get("bitrate")
    return value if isinstance(value, int) else 0


def _tweet_time(tweet: dict[str, Any], path: str, received_at: datetime) -> datetime:
    if tweet.get("timestamp_ms") is not None:
        return epoch(tweet["timestamp_ms"], f"{path}.timestamp_ms")
    created = tweet.get("created_at")
    if not created:
        return received_at
    try:
        # v1.1's own format: "Wed Oct 10 20:19:24 +0000 2018"
        return datetime.strptime(str(created), "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
    except ValueError as exc:
        raise PayloadError(f"{path}.created_at is not a v1.1 date: {created!r}") from exc
