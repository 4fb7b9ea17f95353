from django.urls import path

from agents import dashboard

app_name = "dashboard"

urlpatterns = [
    path("", dashboard.dashboard_page, name="index"),
    path("data.json", dashboard.dashboard_data, name="data"),
    path("data/<slug:chart>.csv", dashboard.dashboard_csv, name="csv"),
]
