"""Settings for the webhook benchmark's gunicorn: production settings plus one bare view.

Loaded as DJANGO_SETTINGS_MODULE=webhook_settings with bench/ on the Python path (the driver,
bench/webhook_accept.py, does that); every other value comes from the environment it sets.
"""

from complaintsite.settings.base import *  # noqa: F403

ROOT_URLCONF = "webhook_urls"
