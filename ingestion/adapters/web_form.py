"""The website form: the multipart body as the browser sent it -> one message."""

from __future__ import annotations

import io
import re
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousMultipartForm
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils.datastructures import MultiValueDict

from ingestion.adapters.base import Attachment, InboundMessage, PayloadError, RawInput, register
from ingestion.sources import Channel, Source
from ingestion.textclean import clean_text

_BOUNDARY = re.compile(rb"^--([^\r\n]{1,200})\r?\n")


def _content_type(raw: RawInput) -> str:
    if raw.content_type.startswith("multipart/form-data"):
        return raw.content_type
    # Replay from the lake alone: the boundary is the body's first line.
    match = _BOUNDARY.match(raw.body)
    if not match:
        raise PayloadError("not a multipart/form-data body")
    return f"multipart/form-data; boundary={match.group(1).decode('latin-1')}"


def form_parse(raw: RawInput) -> tuple[Any, Any]:
    """The submission's fields and uploaded files (QueryDict, MultiValueDict), as Django parsed
    them for the view from the same bytes."""
    if raw.content_type.startswith("application/x-www-form-urlencoded"):
        # A client without the page's enctype (no attachments): the form accepted it, so must we.
        return QueryDict(raw.body, encoding="utf-8"), MultiValueDict()
    meta = {"CONTENT_TYPE": _content_type(raw), "CONTENT_LENGTH": str(len(raw.body))}
    try:
        return MultiPartParser(meta, io.BytesIO(raw.body), [MemoryFileUploadHandler()], encoding="utf-8").parse()
    except (MultiPartParserError, SuspiciousMultipartForm, RequestDataTooBig, ValueError) as exc:
        raise PayloadError(f"multipart body could not be parsed: {exc}") from exc


@register("web_form")
def parse(raw: RawInput) -> list[InboundMessage]:
    post, _files = form_parse(raw)
    text = clean_text(post.get("text", ""))
    if not text:
        raise PayloadError("the submission has no complaint text")
    attachments = [
        Attachment(
            content_type=str(item.get("content_type", "")),
            lake_key=str(item.get("lake_key", "")),
            filename=str(item.get("filename", "")),
            size=int(item["size"]) if item.get("size") is not None else None,
        )
        for item in raw.meta.get("attachments", [])
    ]
    email = post.get("email", "").strip()
    phone = post.get("phone", "").strip()
    return [
        InboundMessage(
            source=Source.WEB_FORM,
            channel=Channel.WEB_FORM,
            provider="web_form",
            # The ledger id is the submission's identity: a replay finds the same message.
            external_id=raw.raw_event_id or str(raw.meta.get("event_id", "")),
            text=text,
            occurred_at=raw.received_at,
            customer_handle=email or phone,
            customer_name=clean_text(post.get("name", ""))[:255],
            contact_email=email,
            contact_phone=phone,
            customer_category=post.get("category", "").strip(),
            attachments=attachments,
            metadata={"reference": raw.meta.get("reference", "")},
        )
    ]
