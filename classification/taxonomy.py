"""The default taxonomy; a data migration seeds it and admins extend it."""

from __future__ import annotations

DEFAULT_CATEGORIES: list[tuple[str, str, str]] = [
    ("billing", "Billing and payments", "Wrong or double charges, direct debits, failed payments"),
    ("service_outage", "Service outage and technical fault", "No service, app or website down, bugs"),
    ("delivery", "Delivery and orders", "Late, missing or wrong orders, couriers, tracking"),
    ("product_quality", "Product quality", "Broken, faulty or not as described"),
    ("customer_service", "Customer-service conduct", "Rude staff, long waits, no call back"),
    ("account_access", "Account and access", "Locked out, passwords, codes, profile"),
    ("fraud_security", "Fraud and security", "Unrecognised transactions, hacked accounts, scams"),
    ("pricing_refunds", "Pricing and refunds", "Price rises, fees, refunds, vouchers"),
    ("other", "Other", "Anything else"),
]

NOT_COMPLAINT_REASONS = ("spam", "joke", "praise", "question", "other")
