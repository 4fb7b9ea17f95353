from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="ingestion:complaint_new", permanent=False)),
    path("", include("ingestion.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Monitoring: /healthz, /readyz, /metrics (issue 8).
    path("", include("monitoring.urls")),
    # Agents: the staff UI, the REST API and its OpenAPI schema with a docs page (issue 6).
    path("agents/", include("agents.urls")),
    path("api/v1/", include("agents.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # Dashboards: charts from the reporting rollups, JSON and CSV (issue 7).
    path("dashboard/", include("agents.dashboard_urls")),
]

# A database outage answers 503 + Retry-After instead of 500 (complaintsite/errors.py).
handler500 = "complaintsite.errors.server_error"
