"""Imports every adapter module so that each registers itself. Add new providers here."""

from ingestion.adapters import web_form  # noqa: F401
