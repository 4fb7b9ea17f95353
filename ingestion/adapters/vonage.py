"""Vonage SMS API: an inbound SMS (JSON or form-encoded) -> one message.

A concatenated SMS arrives as one webhook per part; each part is recorded by
`ingestion.sms_concat` and the message appears once the last part is in, whatever the order.
This is the one adapter that reads and writes the database: reassembly needs the other parts,
which arrived as other raw events. It stays replay-safe: the parts are keyed by Vonage's
per-part messageId and the whole message by part 1's messageId.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import parse_qs

from ingestion.adapters.base import InboundMessage, PayloadError, RawInput, register
from ingestion.sms_concat import PartIn, sms_concat_part_record
from ingestion.sources import Channel, Source
from ingestion.textclean import clean_text
from ingestion.timeparse import TimeParseError, from_epoch, parse_iso

PROVIDER = "vonage"
MAX_PARTS = 255  # concat-total is one byte in the user data header


def parse_params(body: bytes, content_type: str) -> dict[str, object]:
    """The webhook's parameters from a JSON object or a form body (told apart by Content-Type,
    or by the first byte when replaying without one)."""
    stripped = body.lstrip()
    if "json" in content_type.lower() or (not content_type and stripped.startswith(b"{")):
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PayloadError(f"the body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise PayloadError("the JSON body is not an object")
        return data
    try:
        pairs = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"the body is not a UTF-8 form: {exc}") from exc
    return {key: values[-1] for key, values in pairs.items()}


def _text_field(params: dict[str, object], name: str) -> str:
    value = params.get(name)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise PayloadError(f"{name} must be a string")
    return str(value)


def _int_field(params: dict[str, object], name: str) -> int:
    value = _text_field(params, name).strip()
    if not value.isdigit():
        raise PayloadError(f"{name} must be a whole number, not {value!r}")
    return int(value)


def is_concat(params: dict[str, object]) -> bool:
    return _text_field(params, "concat").lower() == "true"


def check_shape(params: dict[str, object]) -> None:
    """What an inbound SMS must have; the edge answers 400 with this reason."""
    if "message_uuid" in params and "messageId" not in params:
        # A Messages API webhook posted here: its fields (message_uuid, from, ...) are another
        # format, so name the mistake instead of answering "messageId is missing".
        raise PayloadError(
            "a Vonage Messages API payload (message_uuid); this endpoint takes the SMS API inbound webhook"
        )
    for name in ("messageId", "msisdn", "to"):
        if not _text_field(params, name).strip():
            raise PayloadError(f"{name} is missing")
    kind = _text_field(params, "type") or "text"
    if kind in ("text", "unicode") and "text" not in params:
        raise PayloadError("text is missing")
    if is_concat(params):
        if not _text_field(params, "concat-ref").strip():
            raise PayloadError("concat-ref is missing")
        total = _int_field(params, "concat-total")
        number = _int_field(params, "concat-part")
        if not 2 <= total <= MAX_PARTS:
            raise PayloadError(f"concat-total must be from 2 to {MAX_PARTS}, not {total}")
        if not 1 <= number <= total:
            raise PayloadError(f"concat-part {number} is outside 1..{total}")


def _occurred_at(params: dict[str, object], received_at: datetime) -> datetime:
    """message-timestamp is UTC "YYYY-MM-DD HH:MM:SS"; timestamp is its epoch form (signed webhooks)."""
    stamp = _text_field(params, "message-timestamp").strip()
    try:
        if stamp:
            return parse_iso(stamp, default_zone="UTC")
        epoch = _text_field(params, "timestamp").strip()
        if epoch:
            return from_epoch(epoch)
    except TimeParseError as exc:
        raise PayloadError(f"bad message time: {exc}") from exc
    return received_at


def _phone(number: str) -> str:
    """Vonage gives E.164 without the plus; store it with one, as Twilio does. Sender names stay."""
    number = number.strip()
    return f"+{number}" if number.isdigit() else number


@register(PROVIDER)
def parse(raw: RawInput) -> list[InboundMessage]:
    params = parse_params(raw.body, raw.content_type)
    check_shape(params)
    if (_text_field(params, "type") or "text") == "binary":
        return []  # binary SMS (WAP push, ringtones) carry no customer text; kept in the lake
    sender = _phone(_text_field(params, "msisdn"))
    recipient = _phone(_text_field(params, "to"))
    occurred_at = _occurred_at(params, raw.received_at)
    message_id = _text_field(params, "messageId").strip()
    metadata: dict[str, object] = {"to": recipient, "type": _text_field(params, "type") or "text"}
    for name in ("keyword", "api-key"):
        if params.get(name):
            metadata[name.replace("-", "_")] = _text_field(params, name)

    text = _text_field(params, "text")
    if is_concat(params):
        assembled = sms_concat_part_record(
            part=PartIn(
                provider=PROVIDER,
                part_id=message_id,
                sender=sender,
                recipient=recipient,
                ref=_text_field(params, "concat-ref").strip(),
                total=_int_field(params, "concat-total"),
                number=_int_field(params, "concat-part"),
                text=text,
                occurred_at=occurred_at,
                received_at=raw.received_at,
                raw_event_id=raw.raw_event_id,
            )
        )
        if assembled is None:
            return []  # more parts to come; this one is recorded
        text = assembled.text
        message_id = assembled.first_part_id
        occurred_at = assembled.occurred_at
        metadata["concat"] = {"ref": _text_field(params, "concat-ref"), "parts": assembled.parts}

    message = sms_message(message_id=message_id, sender=sender, text=text, occurred_at=occurred_at, metadata=metadata)
    return [message] if message is not None else []


def sms_message(
    *, message_id: str, sender: str, text: str, occurred_at: datetime, metadata: dict[str, object]
) -> InboundMessage | None:
    """One inbound SMS as a message (also used for long SMS flushed with parts missing)."""
    text = clean_text(text)
    if not text:
        return None
    return InboundMessage(
        source=Source.SMS,
        channel=Channel.SMS,
        provider=PROVIDER,
        external_id=f"{PROVIDER}:{message_id}",
        text=text,
        occurred_at=occurred_at,
        customer_handle=sender,
        contact_phone=sender if sender.startswith("+") else "",
        metadata=metadata,
    )
