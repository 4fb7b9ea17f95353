"""Twilio Programmable Messaging: an inbound SMS or MMS, form-encoded -> one message.

Twilio's webhook carries no event time, so the message's time is our receipt time.
MMS media stay at Twilio: MediaUrlN / MediaContentTypeN become attachments with the URL as
given; nothing is fetched here (an adapter never touches the network).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from ingestion.adapters.base import Attachment, InboundMessage, PayloadError, RawInput, register
from ingestion.sources import Channel, Source
from ingestion.textclean import clean_text

PROVIDER = "twilio"
# Twilio accepts at most 10 media per MMS; anything above is not Twilio's format.
MAX_MEDIA = 10
_METADATA_FIELDS = {
    "To": "to",
    "AccountSid": "account_sid",
    "MessagingServiceSid": "messaging_service_sid",
    "NumSegments": "num_segments",
    "NumMedia": "num_media",
    "FromCountry": "from_country",
    "FromCity": "from_city",
    "SmsStatus": "sms_status",
    "ApiVersion": "api_version",
    # Advanced Opt-Out says "STOP"/"START"/"HELP" was a keyword Twilio acted on: kept so a "STOP" is
    # not read downstream as an ordinary one-word message.
    "OptOutType": "opt_out_type",
    # WhatsApp senders: the WhatsApp id and the kind of message ("location", "button", ...).
    "WaId": "wa_id",
    "MessageType": "message_type",
}


def parse_form(body: bytes) -> dict[str, str]:
    """The form body as a dict (Twilio never repeats a key); raises PayloadError when it is not a form."""
    return {key: values[-1] for key, values in parse_form_values(body).items()}


def parse_form_values(body: bytes) -> dict[str, list[str]]:
    """Every value of every key, in order, as the signature covers them; PayloadError when the
    body is not a UTF-8 form. The edge and the worker read a body the same way."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError("the form body is not UTF-8") from exc
    try:
        return parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=1000)
    except ValueError as exc:
        raise PayloadError(f"the body is not form-encoded: {exc}") from exc


def check_shape(params: dict[str, str]) -> None:
    """What an inbound message must have; the edge answers 400 with this reason."""
    if not (params.get("MessageSid") or params.get("SmsMessageSid") or params.get("SmsSid")):
        raise PayloadError("MessageSid is missing")
    if not params.get("From"):
        raise PayloadError("From is missing")
    if "Body" not in params and not params.get("NumMedia"):
        raise PayloadError("neither Body nor NumMedia is present")
    num_media = params.get("NumMedia", "0") or "0"
    if not num_media.isdigit() or int(num_media) > MAX_MEDIA:
        raise PayloadError(f"NumMedia must be a number from 0 to {MAX_MEDIA}, not {num_media!r}")


def _attachments(params: dict[str, str]) -> list[Attachment]:
    found = []
    for index in range(int(params.get("NumMedia", "0") or "0")):
        url = params.get(f"MediaUrl{index}", "")
        if url:
            found.append(Attachment(url=url, content_type=params.get(f"MediaContentType{index}", "")))
    return found


def _address(value: str) -> tuple[str, str]:
    """("whatsapp", "+4477...") for "whatsapp:+4477..."; ("sms", value) for a plain number."""
    scheme, sep, rest = value.partition(":")
    if sep and scheme.isalpha():
        return scheme.lower(), rest
    return "sms", value


@register(PROVIDER)
def parse(raw: RawInput) -> list[InboundMessage]:
    params = parse_form(raw.body)
    check_shape(params)
    sid = params.get("MessageSid") or params.get("SmsMessageSid") or params["SmsSid"]
    text = clean_text(params.get("Body", ""))
    attachments = _attachments(params)
    if not text and not attachments:
        return []  # an empty SMS says nothing; its bytes stay in the lake
    scheme, sender = _address(params["From"])
    metadata = {name: params[field] for field, name in _METADATA_FIELDS.items() if params.get(field)}
    token = raw.headers.get("I-Twilio-Idempotency-Token")
    if token:
        metadata["idempotency_token"] = token
    return [
        InboundMessage(
            source=Source.SMS,
            # The same webhook carries Twilio's WhatsApp sender ("whatsapp:+44..."); say so.
            channel=Channel.WHATSAPP if scheme == "whatsapp" else Channel.SMS,
            provider=PROVIDER,
            external_id=f"{PROVIDER}:{sid}",
            text=text,
            occurred_at=raw.received_at,
            customer_handle=sender,
            customer_name=clean_text(params.get("ProfileName", ""))[:255],  # WhatsApp senders' profile name
            contact_phone=sender if sender.startswith("+") else "",
            attachments=attachments,
            metadata=metadata,
        )
    ]
