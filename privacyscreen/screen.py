"""The flow: load -> detect -> decide -> render -> write, one photo or clip at a time, and a batch run.

`Screener.screen()` never raises for a bad photo: every input ends with exactly one
verdict, and only a photo with a safe verdict gets an output file.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from multiprocessing import util
from pathlib import Path

import cv2
import numpy as np

from . import compose, consent, detectors, engines, models, mp4, photo, policy, redact, tracks, video, write
from .compose import ASPECTS
from .detectors._pixels import resized
from .engines import Engine
from .findings import Action, Box, Finding, Kind, Shape, Style, TextLabel, doubtful, merge
from .messages import os_problem
from .policy import Reason, Sound, Verdict

SYSTEM_FILES = {"thumbs.db", "desktop.ini"}  # Windows' own hidden files in photo folders
KEYFRAME_SECONDS = 0.5  # in a clip, every detector sees one frame each half second; the quick look sees the rest
CLIP_TIME = 20  # a clip may take this many times a photo's time limit
STILLS = 4  # frames of a clip shown on the contact sheet
SEVERITY = (Verdict.NO_PEOPLE, Verdict.ANONYMIZED, Verdict.CONSENTED, Verdict.NEEDS_CONSENT)  # a clip's: its worst


@dataclass
class Output:
    path: Path
    kind: str  # "redacted": the full photo, redacted and rebuilt; "composition": a safe crop of it
    sha256: str
    composition: str | None = None  # "hands", "feet" or "table"
    crop: Box | None = None  # where the composition lies in the photo
    size: tuple[int, int] | None = None  # a composition's width and height as written
    posting_size: bool | None = None  # whether that is the platform's size for its aspect ratio


@dataclass
class Screening:
    """Everything known about one input photo or clip: the record that reports are made of."""

    source: Path
    verdict: Verdict = Verdict.ERROR
    sha256: str | None = None
    size: tuple[int, int] | None = None
    findings: list[Finding] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    error: Reason | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    frames: int | None = None  # of a clip
    duration: float | None = None  # of a clip, in seconds
    audio: Sound | None = None  # what happened to a clip's sound (None: it had none)
    stills: dict[int, list[Box]] = field(default_factory=dict)  # a few frames of a clip: the boxes hidden there

    @property
    def explanation(self) -> list[Reason]:
        """What the user is told: the error, or the reasons for the verdict."""
        return [self.error] if self.error else self.reasons


@dataclass
class Followed:
    """What following a clip found: its decision, the tracks hidden over their lives, and its sound."""

    decision: policy.Decision
    hidden: list[tracks.Track]
    every: int  # frames from one keyframe to the next: the margin a track is hidden for before and after
    frames: int  # decoded
    sound: Sound | None  # what happens to its sound (None: it has none)

    def hidden_in(self, frame: int) -> list[Finding]:
        """What is hidden in `frame`: each hidden track where it is there."""
        return [f for t in self.hidden if (f := t.at(frame, self.every)) is not None]


@dataclass(frozen=True)
class Settings:
    style: Style = Style.BLUR
    shape: Shape = Shape.ELLIPSE
    detectors: tuple[str, ...] = detectors.DEFAULT
    threads: int = 0  # inference threads per process; 0: as many as there are cores
    keep: frozenset[Kind] = frozenset()  # finding kinds kept visible (consent needed), e.g. {Kind.FACE}
    consents: tuple[str, ...] = ()  # consent form IDs named by the user for the people kept
    channel: str | None = None  # where the photo will be published
    register: Path | None = None  # the consent register
    policy: policy.Policy = policy.Policy()  # what is redacted and which verdict follows
    compose: bool = False  # also write crops that show hands, feet or the table and nobody's identity
    aspects: tuple[str, ...] = tuple(ASPECTS)  # aspect ratios compositions may have
    time_limit: float | None = 300.0  # seconds one photo may take; None: no limit
    progress: bool = False  # a progress bar per clip, on a terminal


class Screener:
    """Loads the detectors once; screens any number of photos. Use as a context manager."""

    def __init__(self, settings: Settings = Settings()):
        models.check()  # a changed or missing model file is one clear error, before any model loads
        self.settings = settings
        names = settings.detectors + tuple(
            n for n in compose.DETECTORS if settings.compose and n not in settings.detectors
        )
        if settings.threads:
            cv2.setNumThreads(settings.threads)  # OpenCV's own pool too: --jobs N workers use N cores, not N x N
        self.detectors = detectors.create(names, settings.threads, settings.policy)
        self.register = consent.Register(settings.register) if settings.consents and settings.register else None

    def __enter__(self) -> Screener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for d in self.detectors:
            d.close()
        if self.register:
            self.register.db.close()

    def find(self, pixels, clock: Clock | None = None, crop: bool = False, frame: bool = False) -> list[Finding]:
        """Everything every detector finds in upright RGB pixels (a composition's `crop` of a photo
        screened whole, or a clip's `frame`, which gets no compositions), merged; in a photo where
        nothing else is human, a doubtful face only when the detector that found it confirms it on a
        closer look."""
        clock = clock or Clock({})
        composing = self.settings.compose and not frame
        found: list[Finding] = []
        for d in self.detectors:
            if d.name not in self.settings.detectors and not composing:
                continue  # there for compositions only (the things on a table)
            if d.only_to_find_people and not composing:
                if someone(found):
                    continue
            with clock(d.name):
                found += d.detect_crop(pixels) if crop else d.detect(pixels)
                d.release()
        found = merge(found)
        if someone(found):
            return found
        return [f for f in found if not self.unsure(pixels, f)]

    def unsure(self, pixels: np.ndarray, f: Finding) -> bool:
        """Whether `f` is a doubtful face in which the detector that found it sees no face on a closer look."""
        if not doubtful(f):
            return False
        found_by = next(d for d in self.detectors if d.name == f.detector)
        return not found_by.confirms(pixels, f)

    def consent_problems(self) -> list[Reason] | None:
        """Why the named forms do not cover the channel today; None when no form was named."""
        if not self.settings.consents:
            return None
        if self.register is None or self.settings.channel is None:
            return [Reason("consent-none")]
        return self.register.check(self.settings.consents, self.settings.channel, date.today())

    def screen(
        self, source: Path, dest: Path, held: Path | None = None, decoded: photo.Photo | None = None
    ) -> Screening:
        """Screen `source`, a photo or a clip; write its safe copy to `dest` plus the suffix of the
        output format (`.mp4` for a clip), or, when it still needs consent, to `held` plus that
        suffix (no copy when `held` is None). `decoded` is the photo already decoded, when the
        caller has it."""
        result = Screening(source)
        clip = video.is_clip(source)
        limit = self.settings.time_limit and self.settings.time_limit * (CLIP_TIME if clip else 1)
        try:
            with time_limit(limit):
                (self._screen_clip if clip else self._screen)(result, dest, held, decoded)
        except TimeLimit:
            result.error = Reason("error-time-limit", detail=f"{limit:g}")
        except photo.PhotoError as e:
            result.error = Reason(f"error-{e.code}", detail=e.detail)
        except write.VerifyError as e:
            result.error = Reason("error-verify", detail=str(e))
        except OSError as e:
            result.error = Reason("error-write", items=(os_problem(e),), detail=e.strerror or str(e))
        except Exception as e:  # noqa: BLE001 - fail closed: one bad photo never stops the run
            result.error = Reason("error-internal", detail=f"{type(e).__name__}: {e}")
        if result.error:
            for output in result.outputs:  # written before the error: never leave a copy the report does not list
                output.path.unlink(missing_ok=True)
            result.verdict, result.findings, result.outputs, result.audio = Verdict.ERROR, [], [], None
            result.stills = {}
        return result

    def follow(self, clip: video.Clip, clock: Clock | None = None) -> Followed:
        """Every detector on a keyframe each KEYFRAME_SECONDS, the quick look (`Detector.detect_frame`)
        on every frame between, the findings of each frame decided, then linked into tracks; one
        decision for the clip, whose verdict is the worst of its frames'."""
        clock, settings = clock or Clock({}), self.settings
        every = max(1, round(clip.rate * KEYFRAME_SECONDS))
        consent = self.consent_problems()
        seen, verdicts = [], {Verdict.NO_PEOPLE}
        for n, pixels in self.counted(video.frames(clip), clip):
            if n % every == 0:
                found = self.find(pixels, clock, frame=True)
            else:
                with clock("quick look"):
                    found = merge([f for d in self.detectors for f in d.detect_frame(pixels)])
            decision = policy.decide(found, (), clip.height, settings.policy, settings.keep, consent,
                                     settings.channel or "")  # fmt: skip
            seen.append((n, decision.findings))
            verdicts.add(decision.verdict)
        followed = tracks.link(seen, gap=2 * every)
        decision = policy.decide([t.summary() for t in followed], clip.metadata, clip.height, settings.policy,
                                 settings.keep, consent, settings.channel or "")  # fmt: skip
        hidden = [t for t in followed if t.redacted]
        numbers = {t.number for t in hidden}
        decision.findings = [f.with_action(Action.REDACTED) if f.track in numbers else f for f in decision.findings]
        decision.verdict = max(verdicts | {decision.verdict}, key=SEVERITY.index)
        sound = settings.policy.audio if clip.audio else None
        if sound:
            decision.reasons.append(Reason(f"reason-audio-{sound}", detail=settings.policy.name))
        return Followed(decision, hidden, every, len(seen), sound)

    def counted(self, frames: Iterator[tuple[int, np.ndarray]], clip: video.Clip) -> Iterator[tuple[int, np.ndarray]]:
        """The frames, shown on a progress bar when the settings ask for one (on a terminal only)."""
        if not self.settings.progress:
            return frames
        from tqdm import tqdm

        return iter(tqdm(frames, total=clip.frames, unit="frame", desc=clip.path.name, disable=None, leave=False,
                         position=1))  # fmt: skip

    def _screen_clip(self, result: Screening, dest: Path, held: Path | None, decoded: photo.Photo | None) -> None:
        """The steps of `screen` for a clip: follow it, then rebuild it with every hidden track
        redacted in every frame of its life."""
        clock, settings = Clock(result.seconds), self.settings
        with clock("decode"):
            clip = video.load(result.source)
        result.sha256, result.size = clip.sha256, (clip.width, clip.height)
        result.frames, result.duration = clip.frames, round(clip.seconds, 3)
        followed = self.follow(clip, clock)
        result.verdict, result.findings = followed.decision.verdict, followed.decision.findings
        result.reasons, result.audio = followed.decision.reasons, followed.sound
        copy = held if result.verdict == Verdict.NEEDS_CONSENT else dest
        if copy is None:
            return
        stills = {round(i * (followed.frames - 1) / (STILLS - 1)) for i in range(STILLS)}

        def render(n: int, pixels: np.ndarray) -> np.ndarray:
            shown = [f.with_action(Action.REDACTED) for f in followed.hidden_in(n)]
            if n in stills:
                result.stills[n] = [f.box for f in shown]
            return redact.apply(pixels, shown, settings.style, settings.shape)

        release, keep = policy.RELEASE[result.verdict], followed.sound == Sound.KEEP
        target = output_path(copy, ".mp4", result.source)
        with clock("encode"):  # into the writer's temporary file: a long clip is never all in memory
            digest = write.write_atomic(partial(mp4.rebuild, clip, render, keep, release), target,
                                        partial(mp4.verify, clip=clip, frames=followed.frames, audio=keep,
                                                release=release))  # fmt: skip
        result.outputs.append(Output(target, "redacted", digest))
        self.record_use(result)

    def record_use(self, result: Screening) -> None:
        """Record in the consent register, for every form named, that its safe copy was written under it."""
        if result.verdict != Verdict.CONSENTED or not self.register or not result.sha256:
            return
        copy = result.outputs[0]
        for form_id in self.settings.consents:
            channel = self.settings.channel or ""  # set: the forms were checked for it
            self.register.record_use(form_id, result.sha256, str(copy.path.resolve()), copy.sha256, channel)

    def _screen(self, result: Screening, dest: Path, held: Path | None, decoded: photo.Photo | None) -> None:
        """The steps of `screen`, filling in `result`; raises on any problem."""
        clock, source = Clock(result.seconds), result.source
        with clock("decode"):
            if source.suffix.lower() in video.SUFFIXES:  # named as a clip, yet no clip: the user expects a video
                if not photo.read(source):
                    raise photo.PhotoError("empty")
                raise photo.PhotoError("video-not-a-video", source.suffix)
            pic = decoded or photo.load(source)
        result.sha256, result.size = pic.sha256, (pic.width, pic.height)
        decision = policy.decide(
            self.find(pic.pixels, clock),
            pic.metadata,
            pic.height,
            self.settings.policy,
            self.settings.keep,
            self.consent_problems(),
            self.settings.channel or "",
        )
        result.findings, result.reasons = decision.findings, decision.reasons
        release = policy.RELEASE[decision.verdict]
        copy = held if decision.verdict == Verdict.NEEDS_CONSENT else dest
        with clock("redact"):
            pixels = redact.apply(pic.pixels, decision.findings, self.settings.style, self.settings.shape)
        result.verdict = decision.verdict
        if copy is None:
            return
        target, digest = self.write(pixels, pic, release, copy, source, clock)
        result.outputs.append(Output(target, "redacted", digest))
        self.record_use(result)
        people = any(f.kind in policy.PEOPLE for f in decision.findings)  # without: a laid table, if one fits
        if self.settings.compose and (people or compose.propose(decision.findings, pic.width, pic.height,
                                                                self.settings.aspects)):  # fmt: skip
            with clock("compose"):
                result.reasons += self.compositions(result, pic, pixels, decision.findings, dest)

    @staticmethod
    def write(
        pixels: np.ndarray, pic: photo.Photo, release: str, name: Path, source: Path, clock: Clock | None = None
    ) -> tuple[Path, str]:
        """Rebuild `pixels` into a fresh file, read it back, and write it atomically at `name` plus
        the suffix of the output format, never over the original. A JPEG that smeared the colours
        of a small graphic beyond the check is encoded again at full colour resolution (4:4:4).
        Returns (path, sha256)."""
        clock = clock or Clock({})
        with clock("encode"):
            data, suffix = write.encode(pixels, pic, release)
        with clock("verify"):
            try:
                write.verify(data, pixels, pic, release)
            except write.Smeared:
                pic = replace(pic, jpeg_subsampling=0)
                data, suffix = write.encode(pixels, pic, release)
                write.verify(data, pixels, pic, release)
        with clock("write"):
            target = output_path(name, suffix, source)
            return target, write.write_atomic(data, target)

    def compositions(
        self, result: Screening, pic: photo.Photo, pixels: np.ndarray, findings: list[Finding], dest: Path
    ) -> list[Reason]:
        """Write the safe crops of the redacted `pixels` next to `dest`, each added to `result.outputs`
        as soon as it is written. Crops clear of every face come first; then crops that hold a
        doubtful face in which a closer look sees no face (a paving stone, a poker chip), redacted in
        `pixels` like every face. Returns what the user is told about them."""
        made: list[Output] = []
        failed = 0
        unsure = {f for f in findings if f.action == Action.REDACTED and self.unsure(pic.pixels, f)}
        clear = compose.propose(findings, pic.width, pic.height, self.settings.aspects)
        near = compose.propose([f for f in findings if f not in unsure], pic.width, pic.height,
                               self.settings.aspects) if unsure else {}  # fmt: skip
        proposals = {s: clear.get(s, []) + [c for c in near.get(s, []) if c not in clear.get(s, [])]
                     for s in compose.CONTEXT if s in clear or s in near}  # fmt: skip
        for subject, candidates in proposals.items():
            for c in candidates:
                if any(compose.repeats(c.crop, m.crop) for m in made if m.crop):
                    continue  # mostly a crop already made (the table that is the hands crop): one post each
                written = self.composition(pic, pixels, c, dest, result.source)
                if written is None:
                    failed += 1
                    continue
                made.append(written)
                result.outputs.append(written)
                break
        why = []
        if made:
            why.append(Reason("compose-made", count=len(made), items=tuple(f"compose-{o.composition}" for o in made)))
        if failed:
            why.append(Reason("compose-rejected", count=failed))
        if not proposals:
            subjects = compose.subjects(findings)
            why.append(Reason("compose-no-room" if subjects else "compose-no-subject"))
        return why

    def composition(
        self, pic: photo.Photo, pixels: np.ndarray, c: compose.Composition, dest: Path, source: Path
    ) -> Output | None:
        """Screen the crop `c` of the redacted `pixels` again as a photo of its own and write it
        next to `dest` when its verdict is safe and nothing in it would be redacted but a doubtful
        face no closer look confirms or small text no one could read (a label, a texture), which
        are redacted in it; None when it still shows something identifying."""
        x, y, w, h = c.crop
        crop = np.ascontiguousarray(pixels[y : y + h, x : x + w])
        again = policy.decide(self.find(crop, crop=True), (), h, self.settings.policy)
        redacted = [f for f in again.findings if f.action == Action.REDACTED]
        if again.verdict not in policy.SAFE or any(
            f.label != TextLabel.UNREADABLE and not self.unsure(crop, f) for f in redacted
        ):
            return None
        size = compose.posting_size(c)
        crop = resized(redact.apply(crop, again.findings, self.settings.style, self.settings.shape), size=size)
        named = dest.with_name(f"{dest.name}.{c.subject}")
        target, digest = self.write(crop, pic, policy.RELEASE[Verdict.NO_PEOPLE], named, source)
        return Output(target, "composition", digest, c.subject, c.crop, size, size == compose.POSTING_SIZES[c.aspect])


def output_path(name: Path, suffix: str, source: Path) -> Path:
    """Where an output called `name` (without suffix) is written: never over the original."""
    target = name.with_name(name.name + suffix)
    if target.resolve() == source.resolve():
        raise OSError("the safe copy would overwrite the original")
    return target


class TimeLimit(Exception):
    """A photo took longer than the time limit."""


def someone(findings: list[Finding]) -> bool:
    """Whether more than a doubtful face says a person is in the photo: a body, figure, head, hand,
    feet, or a sure face."""
    return any(f.kind in policy.PEOPLE and not doubtful(f) for f in findings)


def time_limit(seconds: float | None) -> AbstractContextManager[None]:
    """Raise TimeLimit in this thread once `seconds` have passed (no limit when None). Python code
    is interrupted at once; native code (a model) when it returns."""
    if not seconds:
        return nullcontext()
    if hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread():
        return alarm(seconds)
    return watchdog(seconds)  # Windows has no SIGALRM, and a signal reaches only the main thread


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """Raise TimeLimit after `seconds`, from a timer signal (SIGALRM) to the main thread."""

    def expire(signum: int, frame: object) -> None:
        raise TimeLimit

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Raise TimeLimit in this thread after `seconds`, from a timer thread (CPython's
    PyThreadState_SetAsyncExc). It never fires once the block is done: an exception set but not
    yet raised when the block ends is taken back and raised here instead."""
    target, lock = ctypes.c_ulong(threading.get_ident()), threading.Lock()
    done, expired = threading.Event(), threading.Event()

    def expire() -> None:
        with lock:
            if not done.is_set():
                expired.set()
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(TimeLimit))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            done.set()
            if expired.is_set():
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)
        timer.cancel()
    if expired.is_set():
        raise TimeLimit


class Clock:
    """Adds the wall time of each `with clock(stage):` block to a dict of seconds (blocks may nest)."""

    def __init__(self, seconds: dict[str, float]):
        self.seconds = seconds

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start


def hidden(path: Path) -> bool:
    """A file the user does not see as one of theirs: a name starting with a dot, an office lock
    file (~$), Windows' thumbnails and folder settings."""
    name = path.name.lower()
    return name.startswith((".", "~$")) or name in SYSTEM_FILES


def collect(inputs: Iterable[Path], out_dir: Path) -> Iterator[tuple[Path, Path]]:
    """(source, path relative to the output folder) for every file to screen. Folders are walked
    recursively without following links; hidden files and the output folder are skipped, every
    other file is screened, whatever its name (one that is not a photo gets its error). Files
    named explicitly are always screened."""
    out_dir = out_dir.resolve()
    for item in inputs:
        if not item.is_dir() or item.is_symlink():
            yield item, Path(item.name)
            continue
        for root, dirs, files in os.walk(item):
            root_path = Path(root)
            dirs[:] = sorted(d for d in dirs if not hidden(root_path / d) and (root_path / d).resolve() != out_dir)
            for name in sorted(files):
                path = root_path / name
                if not hidden(path):
                    yield path, path.relative_to(item)


HELD = "needs-consent"  # subfolder of the output folder for photos that still need consent


def plan(inputs: Iterable[Path], out_dir: Path) -> list[tuple[Path, Path, Path]]:
    """(source, destination, destination if it needs consent) for every file to screen, each
    destination without the suffix of the output format: no two files share an output."""
    taken: set[str] = set()
    jobs = []
    for source, relative in collect(inputs, out_dir):
        name = unique(relative.with_suffix(""), taken)
        jobs.append((source, out_dir / name, out_dir / HELD / name))
    return jobs


def run(
    jobs: list[tuple[Path, Path, Path]],
    settings: Settings = Settings(),
    progress: Callable[[Screening], None] | None = None,
    workers: int = 1,
    engine: Engine = Engine.PROCESSES,
    scheduler: str | None = None,
) -> list[Screening]:
    """Screen every job of a plan on `workers` cores. With several, photos are screened in parallel
    processes that each load the models once and, by default, use one inference thread; with fewer
    photos than workers, each process uses the cores left over. With the engine `dask`, on a Dask
    cluster instead: a local one of `workers` processes, or the one at the `scheduler`'s address
    (see `engines.on_dask`). Results keep plan order; `progress` is called for each, in that order."""
    if engine == Engine.DASK:
        return engines.on_dask(jobs, settings, progress, workers, scheduler)
    if scheduler is not None:
        raise ValueError("a scheduler's address goes with the engine dask")
    cores, workers = max(1, workers), max(1, min(workers, len(jobs)))
    settings = replace(settings, threads=settings.threads or max(1, cores // workers))
    results: list[Screening] = []
    if workers == 1:
        with Screener(settings) as screener:
            for job in jobs:
                results.append(screener.screen(*job))
                if progress:
                    progress(results[-1])
        return results
    models.check()  # here, not in the workers, where it would only break the pool
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, context, initializer=_start_worker, initargs=(settings,)) as pool:
        for result in pool.map(_screen_in_worker, jobs):
            results.append(result)
            if progress:
                progress(result)
    return results


_worker: Screener | None = None  # the Screener of a worker process
_closing: util.Finalize | None = None  # closes it, once: before interpreter exit, or when settings change
_screening = threading.Lock()  # a worker's Screener screens one photo at a time, whatever its threads


def _start_worker(settings: Settings) -> None:
    global _worker, _closing
    if _closing is not None:
        _closing()
    _worker = Screener(settings)
    _closing = util.Finalize(_worker, _worker.close, exitpriority=10)  # close native models before interpreter exit


def _screen_in_worker(job: tuple[Path, Path, Path]) -> Screening:
    assert _worker is not None
    return _worker.screen(*job)


def screen_in_process(job: tuple[Path, Path, Path], settings: Settings) -> Screening:
    """Screen one job of a plan with this process's Screener, made for `settings` at its first photo
    (and again only for other settings): what a Dask worker runs for each photo."""
    with _screening:
        if _worker is None or _worker.settings != settings:
            _start_worker(settings)
        return _screen_in_worker(job)


def output_names(name: Path) -> set[str]:
    """Every output a photo called `name` (relative to the output folder, without suffix) may get:
    its copy, its held copy and its compositions, in lower case (one file on Windows)."""
    compositions = [name.with_name(f"{name.name}.{subject}") for subject in compose.CONTEXT]
    return {str(path).casefold() for path in (name, HELD / name, *compositions)}


def unique(name: Path, taken: set[str]) -> Path:
    """`name`, or `name-2`, `name-3`..., the first whose outputs no other photo has taken; takes
    them. The name is kept whole: `IMG_1.edited` is not `IMG_1`."""
    candidate, n = name, 1
    while output_names(candidate) & taken:
        n += 1
        candidate = name.with_name(f"{name.name}-{n}")
    taken |= output_names(candidate)
    return candidate
