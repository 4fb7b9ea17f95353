from django.urls import path

from agents.views import complaint, files, messages, queue

app_name = "agents"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("counts/", queue.queue_counts, name="counts"),
    path("complaints/bulk/", queue.bulk, name="bulk"),
    path("complaints/<uuid:pk>/", complaint.complaint_detail, name="complaint"),
    path("complaints/<uuid:pk>/attachments/<int:index>/", files.attachment, name="attachment"),
    path("complaints/<uuid:pk>/raw/", files.raw_event, name="raw_event"),
    path("complaints/<uuid:pk>/<slug:action>/", complaint.complaint_action, name="action"),
    path("messages/filtered/", messages.filtered_list, name="filtered"),
    path("messages/<uuid:pk>/promote/", messages.promote, name="promote"),
]
