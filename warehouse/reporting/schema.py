"""The PostgreSQL-only `reporting` schema: applying its SQL, and the private settings its views read.

SQLite has no schemas (nor roles): there the dashboards read the rollup tables directly and the
analysts' schema is simply absent (the migration logs a note).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent / "sql"
SCHEMA = "reporting"
# SHA-256's block size: HMAC pads its key to this length (RFC 2104).
_BLOCK = 64

# Every view in the schema, in the order docs/reporting.md documents them.
VIEWS = (
    "complaints",
    "volume_hourly",
    "volume_daily",
    "daily_flow",
    "backlog_daily",
    "response_times_daily",
    "category_agreement_daily",
    "category_agreement",
    "filtered_messages_daily",
    "weekly_trends",
    "categories",
    "rollup_status",
)


def is_postgresql(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor == "postgresql"


def schema_sql_apply(*, schema_editor: Any, filename: str) -> None:
    """Run one versioned SQL file (a migration's forward step)."""
    sql = (SQL_DIR / filename).read_text(encoding="utf-8")
    with schema_editor.connection.cursor() as cursor:
        # No parameters: the text contains % signs (regular expressions) that must stay as they are.
        cursor.execute(sql)


def hash_key() -> bytes:
    """The 32-byte key of the customer hash, from REPORTING_HASH_KEY or else SECRET_KEY.

    Derived under a label so that the reporting key is never the raw SECRET_KEY itself.
    """
    secret = settings.REPORTING_HASH_KEY or settings.SECRET_KEY
    return hashlib.sha256(b"complaints.reporting.customer_hash\x00" + secret.encode("utf-8")).digest()


def customer_hash(handle: str, *, key: bytes | None = None) -> str | None:
    """What reporting.complaints.customer_hash holds for a handle (for ASCII handles: PostgreSQL's
    lower() follows the database's locale, Python's follows Unicode)."""
    normalised = handle.strip().lower()
    if not normalised:
        return None
    return hmac.new(key or hash_key(), normalised.encode("utf-8"), hashlib.sha256).hexdigest()


def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    padded = key.ljust(_BLOCK, b"\x00")
    return bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)


def reporting_settings_sync(*, using: str = "default", connection: BaseDatabaseWrapper | None = None) -> bool:
    """Write the hash key and TIME_ZONE where the views read them. True when something changed.

    Called by the migration, by every rollup run and by create_analyst_role, so a changed
    setting reaches the views without a migration.
    """
    connection = connection or connections[using]
    if not is_postgresql(connection):
        return False
    inner, outer = _hmac_pads(hash_key())
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('reporting_private.settings') IS NOT NULL")
        if not cursor.fetchone()[0]:
            logger.warning("reporting_private.settings is missing: run migrate")
            return False
        cursor.execute(
            """
            INSERT INTO reporting_private.settings AS s (id, hmac_inner, hmac_outer, time_zone, updated_at)
            VALUES (1, %s, %s, %s, now())
            ON CONFLICT (id) DO UPDATE
                SET hmac_inner = EXCLUDED.hmac_inner, hmac_outer = EXCLUDED.hmac_outer,
                    time_zone = EXCLUDED.time_zone, updated_at = now()
                WHERE (s.hmac_inner, s.hmac_outer, s.time_zone)
                      IS DISTINCT FROM (EXCLUDED.hmac_inner, EXCLUDED.hmac_outer, EXCLUDED.time_zone)
            """,
            [inner, outer, settings.TIME_ZONE],
        )
        return bool(cursor.rowcount)


def reporting_views_present(*, using: str = "default") -> list[str]:
    """The views of the schema that exist in the database (empty on SQLite)."""
    connection = connections[using]
    if not is_postgresql(connection):
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.views WHERE table_schema = %s", [SCHEMA])
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in VIEWS if name in present]
