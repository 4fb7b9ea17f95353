"""The traffic mix the 1M-row seeders share (bench/queue_seed.py, bench/reporting_seed.py): which
sources and channels complaints come from, and how the categories are spread, by weight."""

SOURCES = [  # (source, provider, channels, weight)
    ("sms", "twilio", ["sms", "whatsapp"], 30),
    (
        "social",
        "meta",
        ["facebook_dm", "facebook_comment", "instagram_dm", "instagram_comment", "x_dm", "x_mention"],
        35,
    ),
    ("web_form", "web_form", ["web_form"], 20),
    ("call_center", "call_log", ["call"], 15),
]
CATEGORIES = [
    ("billing", 24),
    ("service_outage", 18),
    ("delivery", 16),
    ("product_quality", 10),
    ("customer_service", 10),
    ("account_access", 8),
    ("fraud_security", 4),
    ("pricing_refunds", 7),
    ("other", 3),
]
