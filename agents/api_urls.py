from django.urls import path, re_path

from agents import api

app_name = "api"

urlpatterns = [
    path("complaints/", api.ComplaintList.as_view(), name="complaints"),
    path("complaints/bulk/assign/", api.BulkAssign.as_view(), name="bulk_assign"),
    path("complaints/bulk/resolve/", api.BulkResolve.as_view(), name="bulk_resolve"),
    path("complaints/<uuid:pk>/", api.ComplaintDetail.as_view(), name="complaint"),
    path("complaints/<uuid:pk>/assign/", api.AssignAction.as_view(), name="assign"),
    path("complaints/<uuid:pk>/note/", api.NoteAction.as_view(), name="note"),
    path("complaints/<uuid:pk>/start/", api.StartAction.as_view(), name="start"),
    path("complaints/<uuid:pk>/resolve/", api.ResolveAction.as_view(), name="resolve"),
    path("complaints/<uuid:pk>/dismiss/", api.DismissAction.as_view(), name="dismiss"),
    path("complaints/<uuid:pk>/relabel/", api.RelabelAction.as_view(), name="relabel"),
    path("messages/filtered/", api.FilteredMessageList.as_view(), name="filtered_messages"),
    path("messages/<uuid:pk>/promote/", api.PromoteMessage.as_view(), name="promote"),
    # Last: every other path under the prefix (a typo, a malformed id, a missing slash).
    re_path(r"^(?P<path>.*)$", api.NotFound.as_view(), name="not_found"),
]
