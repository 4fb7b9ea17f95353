"""Every index on the project's tables serves a query no other index of the table serves."""

from __future__ import annotations

import pytest
from django.db import connection

from complaintsite.db_indexes import redundant_indexes

pytestmark = pytest.mark.django_db


def test_the_migrated_schema_has_no_redundant_index() -> None:
    with connection.cursor() as cursor:
        assert redundant_indexes(cursor) == []


def test_a_like_prefix_index_and_a_leading_copy_are_found() -> None:
    # A table shaped the way Django would make it with db_index=True on a text column, plus a
    # composite index that leads with the same column: both single-column indexes are redundant.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE warehouse_probe (code varchar(20), at timestamptz, total int)")
        cursor.execute("CREATE INDEX warehouse_probe_code ON warehouse_probe (code)")
        cursor.execute("CREATE INDEX warehouse_probe_code_like ON warehouse_probe (code varchar_pattern_ops)")
        cursor.execute("CREATE INDEX warehouse_probe_code_at ON warehouse_probe (code, at)")
        cursor.execute("CREATE UNIQUE INDEX warehouse_probe_at_uniq ON warehouse_probe (at)")
        cursor.execute("CREATE INDEX warehouse_probe_open ON warehouse_probe (total) WHERE total > 0")
        found = redundant_indexes(cursor, ("warehouse_probe",))
    assert sorted(found) == [
        "warehouse_probe.warehouse_probe_code: its columns lead warehouse_probe_code_at",
        "warehouse_probe.warehouse_probe_code_like: LIKE-prefix index",
    ]
