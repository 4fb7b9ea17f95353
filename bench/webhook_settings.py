"""Settings for the webhook benchmark's gunicorn: production settings plus one bare view.

Loaded as DJANGO_SETTINGS_MODULE=webhook_settings with bench/ on the Python path (the driver,
bench/webhook_accept.py, does that); every other value comes from the environment it sets.
"""

import os

from complaintsite.settings.base import *  # noqa: F403

ROOT_URLCONF = "webhook_urls"

# For A/B runs only: LEDGER_GROUP_COMMIT=false in the environment switches the ledger's group commit
# off (ingestion/group_commit.py); the documented runs leave it on, as production does.
LEDGER_GROUP_COMMIT = os.environ.get("LEDGER_GROUP_COMMIT", "true").lower() != "false"
