"""Drop indexes no query uses: the LIKE-prefix copies of indexed text columns (complaintsite/db_indexes.py)."""

from django.db import migrations

from complaintsite.db_indexes import drop_pattern_ops_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_heartbeats_jobs_spikes"),
    ]

    operations = [
        drop_pattern_ops_indexes("monitoring_jobstatus"),
    ]
