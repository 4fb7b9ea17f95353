"""Imports every adapter module so that each registers itself. Add new providers here."""

from ingestion.adapters import meta, twilio, vonage, web_form, x  # noqa: F401
