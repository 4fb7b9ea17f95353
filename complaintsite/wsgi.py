import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "complaintsite.settings.base")
site_application = get_wsgi_application()

from complaintsite.webhook_wsgi import route_webhooks  # noqa: E402  (Django is set up above)

# /webhooks/ on a shorter middleware stack (complaintsite/webhook_wsgi.py); the rest unchanged.
application = route_webhooks(site_application)
