"""Findings across the frames of a clip: linked into tracks, and each track hidden over its whole life.

Detectors look at frames one by one and miss a face now and then: it turns, passes behind a lamp,
or falls between two frames the full set of detectors looks at. A track is one thing seen in
several frames; where it is hidden in a frame follows from where it was seen (`Track.at`): in a
frame between two sightings, over both boxes (wherever it moved in between, it was inside them
for steady motion), and for a margin of frames before it was first seen and after it was last seen.
When in doubt, hide more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from .findings import Action, Box, Finding, Kind, contains_center, iou, pad, union_box

LINK_IOU = 0.1  # a finding is the track's when it overlaps its last box this much ...
REACH = 0.5  # ... or its centre lies in the last box grown by this share of its size
LEAD = 0.25  # in the margin before and after a track, its box grown by this share of its size


@dataclass
class Track:
    """One thing (a face, a line of text, a body) seen in some frames of a clip."""

    number: int
    kind: Kind
    seen: dict[int, Finding] = field(default_factory=dict)  # frame index: what was seen there, in order

    @property
    def first(self) -> int:
        return next(iter(self.seen))

    @property
    def last(self) -> int:
        return next(reversed(self.seen))

    @property
    def redacted(self) -> bool:
        """Hidden in every frame of its life when hidden in any: the policy redacted it once."""
        return any(f.action == Action.REDACTED for f in self.seen.values())

    def at(self, frame: int, margin: int) -> Finding | None:
        """Where the track is hidden in `frame`: its box there, over the boxes of the sightings before
        and after, or grown within `margin` frames of its ends; None outside its life."""
        if frame in self.seen:
            return self.seen[frame]
        if self.first - margin <= frame < self.first:
            return grown(self.seen[self.first], LEAD)
        if self.last < frame <= self.last + margin:
            return grown(self.seen[self.last], LEAD)
        if not self.first < frame < self.last:
            return None
        before = max(i for i in self.seen if i < frame)
        after = min(i for i in self.seen if i > frame)
        return replace(self.seen[before], box=union_box(self.seen[before].box, self.seen[after].box))

    def summary(self) -> Finding:
        """The track as one finding for the report and the verdict: its largest sighting (a redacted
        one if any), with the track's number and frames."""
        pool = [f for f in self.seen.values() if f.action == Action.REDACTED] or list(self.seen.values())
        largest = max(pool, key=lambda f: f.box[2] * f.box[3])
        score = max(f.score for f in self.seen.values())
        return replace(largest, score=score, track=self.number, frames=(self.first, self.last))


def grown(f: Finding, by: float) -> Finding:
    return replace(f, box=pad(f.box, by * max(f.box[2], f.box[3])))


def follows(track: Track, f: Finding) -> float:
    """How well `f` continues `track` (0: not at all)."""
    last = track.seen[track.last].box
    reach: Box = pad(last, REACH * max(last[2], last[3]))
    overlap = iou(last, f.box)
    return overlap if overlap >= LINK_IOU else (LINK_IOU / 2 if contains_center(reach, f.box) else 0.0)


def link(frames: Iterable[tuple[int, list[Finding]]], gap: int) -> list[Track]:
    """Tracks of the findings of each frame (frame index, findings), in order of frames: a finding
    continues the track of its kind it follows best that was seen at most `gap` frames before, or
    starts a new one."""
    tracks: list[Track] = []
    for frame, findings in frames:
        taken: set[int] = set()
        for f in sorted(findings, key=lambda f: -f.score):
            open_tracks = [t for t in tracks if t.kind == f.kind and t.number not in taken and frame - t.last <= gap]
            best = max(open_tracks, key=lambda t: follows(t, f), default=None)
            if best is None or not follows(best, f):
                best = Track(len(tracks) + 1, f.kind)
                tracks.append(best)
            best.seen[frame] = f
            taken.add(best.number)
    return tracks
