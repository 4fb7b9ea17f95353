"""Source adapters: one module per provider, each turning raw bytes into InboundMessages."""

from ingestion.adapters.base import (
    Adapter,
    Attachment,
    InboundMessage,
    PayloadError,
    get_adapter,
    register,
)

__all__ = ["Adapter", "Attachment", "InboundMessage", "PayloadError", "get_adapter", "register"]
