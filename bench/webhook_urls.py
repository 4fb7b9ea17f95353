"""The project's URLs plus a Django view that answers 200 and does nothing else, at two paths.

/bench/bare/ runs behind the site's middleware (the baseline the aim is stated against);
/webhooks/bench-bare/ behind the webhooks' shorter stack (complaintsite/webhook_wsgi.py), the
same as /webhooks/twilio/sms/. Both in the same gunicorn as the webhook, so the difference is the
accept path itself (signature, lake, ledger, enqueue), with or without the middleware saving.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from complaintsite.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), path("webhooks/bench-bare/", bare), *project_urlpatterns]
