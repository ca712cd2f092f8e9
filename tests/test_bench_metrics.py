"""The benchmark's scoring rules (bench/metrics.py) on hand-made reports: fast, needs no photo cache."""

import subprocess
import sys
from pathlib import Path

METRICS = Path(__file__).resolve().parents[1] / "bench" / "metrics.py"


def test_metrics_selfcheck():
    done = subprocess.run([sys.executable, str(METRICS), "--selfcheck"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "self-check: OK" in done.stdout


def test_the_independent_sets_are_scored_by_the_leadership_rule(monkeypatch):
    """A face counts as found at IoU 0.3 or 60 % covered; bands by height; a plate at 80 % covered."""
    monkeypatch.syspath_prepend(str(METRICS.parent))
    import independent

    truth = [{"file": "a.jpg", "faces": [[0, 0, 50, 50], [100, 0, 12, 12], [200, 0, 25, 25]],
              "labels": ["with_mask", "without_mask", "with_mask"]}]  # fmt: skip
    found = {"a.jpg": {"faces": [[0, 0, 40, 40], [100, 0, 12, 3], [400, 400, 10, 10]], "all": [], "error": None}}
    scores = independent.score_faces(truth, found)
    assert scores["recall"]["40 px high or more"] == [1, 1]  # IoU 0.64
    assert scores["recall"]["10 to 19 px"] == [0, 1]  # a quarter covered, IoU 0.25
    assert scores["recall"]["20 to 39 px"] == [0, 1]
    assert scores["false_per_photo"] == 1.0
    plates = [{"file": "a.jpg", "plates": [[0, 0, 100, 20]]}, {"file": "b.jpg", "plates": [[0, 0, 100, 20]]}]
    boxes = {"a.jpg": {"all": [[0, 0, 50, 20], [50, 0, 31, 20]], "error": None},
             "b.jpg": {"all": [[0, 0, 79, 20]], "error": None}}  # fmt: skip
    assert independent.score_plates(plates, boxes)["redacted"] == [1, 2]
