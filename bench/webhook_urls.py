"""The project's URLs plus /bench/bare/: a Django view that answers 200 and does nothing else.

It runs in the same gunicorn, behind the same middleware, as /webhooks/twilio/sms/, so the
difference between the two is the accept path itself (signature, lake, ledger, enqueue).
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from complaintsite.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
