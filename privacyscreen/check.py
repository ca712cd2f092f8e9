"""`privacyscreen check FILE...`: a read-only gate for publishing, shaped like a pre-commit hook.

It never changes a file. It prints one `path: reason` line per photo that may not be published
as it is and returns 0 when every photo is safe, 1 when any is not, 2 on usage errors. A photo
that privacyscreen itself wrote and nobody changed since (its seal matches, see write.py)
passes without detecting faces again on blurred pixels.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import photo, write
from .messages import LANGUAGES, default_language, shown
from .policy import Reason
from .screen import Screener

# Metadata that alone makes a photo unfit to publish (names, places, devices, hidden copies).
IDENTIFYING_METADATA = (
    "gps", "owner-name", "camera-serial", "description", "exif-thumbnail",
    "xmp-face-regions", "xmp-person-names", "iptc", "comment", "extra-frames",
)  # fmt: skip


def problems(path: Path, screener: Screener) -> list[Reason]:
    """Why `path` may not be published as it is; [] when it may."""
    try:
        data = photo.read(path)
        if write.sealed_release(data) == "not-applicable":
            return []
        pic = photo.decode(data)
    except photo.PhotoError as e:
        return [Reason(f"error-{e.code}", detail=e.detail)]
    found = []
    faces = sum(f.kind == "face" for f in screener.find(pic.pixels))
    if faces:
        found.append(Reason("check-faces", count=faces))
    metadata = tuple(m for m in pic.metadata if m in IDENTIFYING_METADATA)
    if metadata:
        found.append(Reason("check-metadata", items=metadata))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="privacyscreen check", description=__doc__.splitlines()[0])
    parser.add_argument("filenames", nargs="*", type=Path, help="photos to check")
    parser.add_argument("--lang", choices=LANGUAGES, default=default_language(), help="language of messages")
    args = parser.parse_args(argv)
    failed = 0
    if not args.filenames:
        return 0
    with Screener() as screener:
        for path in args.filenames:
            reasons = problems(path, screener)
            for reason in reasons:
                print(f"{shown(path)}: {reason.text(args.lang)}")
            failed += bool(reasons)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
