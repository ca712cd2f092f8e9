"""The benchmark's scoring rules (bench/metrics.py) on hand-made reports: fast, needs no photo cache."""

import subprocess
import sys
from pathlib import Path

METRICS = Path(__file__).resolve().parents[1] / "bench" / "metrics.py"


def test_metrics_selfcheck():
    done = subprocess.run([sys.executable, str(METRICS), "--selfcheck"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "self-check: OK" in done.stdout
