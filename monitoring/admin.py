"""Admin for what monitoring records. Every row is written by the processes themselves: a row added
or edited by hand would be a lie (a made-up heartbeat makes /readyz report a worker that does not
exist), so nothing here can be added or changed."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from monitoring.models import Heartbeat, JobStatus, VolumeSpike
from warehouse.admin import ReadOnlyAdmin


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    """A machine taken out of service keeps its row (and its age in /metrics): that row may go."""

    list_display = ("component", "instance", "last_seen", "pid")
    list_filter = ("component",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(JobStatus)
class JobStatusAdmin(ReadOnlyAdmin):
    # Not deletable: a new row would restart the "late since" clock and hide a job that never runs.
    list_display = ("task_name", "last_sent_at", "last_succeeded_at", "last_failed_at", "successes", "failures")


@admin.register(VolumeSpike)
class VolumeSpikeAdmin(ReadOnlyAdmin):
    list_display = ("window_end", "scope", "key", "count", "baseline_median", "threshold")
    list_filter = ("scope", "key")
    date_hierarchy = "window_end"
