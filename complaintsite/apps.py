from django.apps import AppConfig


class ComplaintsiteConfig(AppConfig):
    name = "complaintsite"

    def ready(self) -> None:
        from complaintsite import checks  # noqa: F401  (registers the system checks)
