from django.urls import path

from ingestion.views import form

app_name = "ingestion"

urlpatterns = [
    path("complaints/new/", form.complaint_new, name="complaint_new"),
    path("complaints/submitted/", form.complaint_submitted, name="complaint_submitted"),
]
