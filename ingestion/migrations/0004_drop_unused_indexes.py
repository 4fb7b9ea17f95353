"""Drop indexes no query uses: the LIKE-prefix copies of indexed text columns, the status-only index of messages (message_status_received leads with status) and the foreign-key indexes that a wider index or constraint leads with (complaintsite/db_indexes.py)."""

import django.db.models.deletion
from django.db import migrations, models

from complaintsite.db_indexes import drop_pattern_ops_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("ingestion", "0003_call_log_schedule"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="status",
            field=models.CharField(
                choices=[
                    ("new", "New"),
                    ("complaint", "Complaint (in the warehouse)"),
                    ("filtered", "Filtered (not a complaint)"),
                ],
                default="new",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="smsconcatgroup",
            name="slot",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="groups",
                to="ingestion.smsconcatslot",
            ),
        ),
        migrations.AlterField(
            model_name="smsconcatpart",
            name="group",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="parts",
                to="ingestion.smsconcatgroup",
            ),
        ),
        drop_pattern_ops_indexes("ingestion_rawevent"),
    ]
