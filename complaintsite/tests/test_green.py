"""complaintsite/green.py: in a gevent worker, psycopg2's waits go through the event loop, so a
request waiting on PostgreSQL does not stop the others of its process (run in a child process:
monkey-patching is for good)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings as django_settings

ROOT = Path(__file__).resolve().parents[2]

GEVENT_WORKER = textwrap.dedent(
    """
    from gevent import monkey
    monkey.patch_all()
    import sys, gevent, psycopg2
    from complaintsite.green import install

    install()
    ticks = []
    def ticker():
        while True:
            ticks.append(1)
            gevent.sleep(0.01)
    other = gevent.spawn(ticker)
    gevent.sleep(0)
    conn = psycopg2.connect(sys.argv[1])
    with conn.cursor() as cursor:
        before = len(ticks)
        cursor.execute("SELECT pg_sleep(0.3)")
        during = len(ticks) - before
    conn.close()
    other.kill()
    print(during)
    """
)


@pytest.mark.django_db
def test_a_query_waiting_on_postgresql_lets_the_other_greenlets_run() -> None:
    pytest.importorskip("gevent")
    db = django_settings.DATABASES["default"]
    dsn = f"dbname={db['NAME']} user={db['USER']} host={db['HOST']} port={db['PORT']}"
    out = subprocess.run(
        [sys.executable, "-c", GEVENT_WORKER, dsn], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    # A 0.3 s query: the ticker (every 10 ms) ran throughout it. Blocking libpq would give 0.
    assert int(out.stdout.strip()) >= 10
