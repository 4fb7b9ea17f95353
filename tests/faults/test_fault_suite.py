"""The fault-injection suite's short variant, in `make test` (marked slow: about three minutes).

The whole suite (`make faults`, about five minutes) is too long for CI's budget; the short one
injects every fault (Redis stopped, the worker SIGKILLed mid-task, PostgreSQL restarted, the
lake read-only) with shorter outages and less traffic, and fails the same way: any accepted
message not stored exactly once.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_the_short_fault_suite_loses_nothing_and_stores_nothing_twice() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "faults", "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    for fault in ("SIGKILL worker", "Redis stopped", "PostgreSQL stopped", "lake unwritable"):
        assert fault in out, f"the suite did not inject: {fault}"
    assert re.search(r"(?m)^lost\s+0$", out), out[-3000:]
    assert re.search(r"(?m)^stored twice\s+0$", out)
    assert int(re.search(r"(?m)^accepted messages\s+(\d+)$", out).group(1)) > 100  # type: ignore[union-attr]
