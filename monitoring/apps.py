from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Celery signal receivers (task failures, retries, heartbeats, beat's publications) and
        # the configuration checks; both are wiring, so they are connected once, here.
        from monitoring import celery_hooks, checks  # noqa: F401
