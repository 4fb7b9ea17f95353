from django.urls import path

from ingestion.views import form, webhooks

app_name = "ingestion"

urlpatterns = [
    path("complaints/new/", form.complaint_new, name="complaint_new"),
    path("complaints/submitted/", form.complaint_submitted, name="complaint_submitted"),
    # Provider webhooks: the paths are configured at the providers, never rename one.
    path("webhooks/twilio/sms/", webhooks.twilio_sms, name="webhook_twilio_sms"),
    path("webhooks/vonage/inbound-sms/", webhooks.vonage_inbound_sms, name="webhook_vonage_inbound_sms"),
    path("webhooks/meta/", webhooks.meta_webhook, name="webhook_meta"),
    path("webhooks/x/", webhooks.x_webhook, name="webhook_x"),
]
