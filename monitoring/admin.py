from django.contrib import admin

from monitoring.models import Heartbeat, JobStatus, VolumeSpike


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("component", "instance", "last_seen", "pid")
    list_filter = ("component",)
    readonly_fields = [f.name for f in Heartbeat._meta.fields]


@admin.register(JobStatus)
class JobStatusAdmin(admin.ModelAdmin):
    list_display = ("task_name", "last_sent_at", "last_succeeded_at", "last_failed_at", "successes", "failures")
    readonly_fields = [f.name for f in JobStatus._meta.fields]


@admin.register(VolumeSpike)
class VolumeSpikeAdmin(admin.ModelAdmin):
    list_display = ("window_end", "scope", "key", "count", "baseline_median", "threshold")
    list_filter = ("scope", "key")
    date_hierarchy = "window_end"
    readonly_fields = [f.name for f in VolumeSpike._meta.fields]
