#!/usr/bin/env python3
"""The fuzz property of tests/test_fuzz.py, run for longer than the test suite can afford.

    python bench/fuzz.py --examples 20000

Mutated real photos (bit flips, cuts, insertions, duplicated runs, in JPEG, PNG, WebP and TIFF
with EXIF) must each either rebuild and verify, or end in a clear error; anything else is a bug,
printed with the input that caused it.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.test_fuzz import mutated, screen_bytes  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=20000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # Pillow warns about every corrupt EXIF it meets

    @settings(max_examples=args.examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(mutated())
    def fuzz(data: bytes) -> None:
        screen_bytes(data)

    start = time.perf_counter()
    fuzz()
    print(f"{args.examples} mutated photos, no failure, {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
