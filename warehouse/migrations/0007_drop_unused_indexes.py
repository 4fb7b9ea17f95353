"""Drop indexes no query uses: the LIKE-prefix copies of indexed text columns (complaintsite/db_indexes.py)."""

from django.db import migrations

from complaintsite.db_indexes import drop_pattern_ops_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0006_reporting_open_complaints_index"),
    ]

    operations = [
        drop_pattern_ops_indexes("warehouse_complaint", "warehouse_complaintreference", "warehouse_rollup_state"),
    ]
