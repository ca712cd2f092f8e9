"""The drop folder: ambassadors drop photos and clips into INBOX and get a safe copy back.

    INBOX/foto.jpg  ->  OUT/ready/foto.jpg + OUT/ready/foto.txt         (safe to share)
                        OUT/needs-consent/foto.jpg + foto.txt           (someone stays recognisable)
                        OUT/rejected/foto.txt                           (could not be screened)
                        OUT/originals/foto.jpg                          (the original, byte for byte)

A photo is taken only once it is complete: its size and modification time must have been
still for `quiet` seconds (inotify close/move events, or polling on network shares, only wake
the scan early). A photo that does not decode yet may be half-synced: it is rejected only
after `settle` seconds without change. Every original is moved, unchanged, to OUT/originals/;
the content hashes of screened photos (with the names of their originals) are remembered in
OUT/.privacyscreen-seen, so a
restart or a second drop of the same photo does not screen it again. OUT/privacyscreen-report.json
holds a record of every original screened, as `run` writes it (paths relative to OUT), and is
written again after each.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from . import photo, report, video, write
from .messages import say, shown
from .policy import Verdict
from .screen import HELD, Screener, Screening, Settings, hidden, output_names, unique

IGNORED_SUFFIXES = {".part", ".tmp", ".crdownload", ".download", ".partial", ".!sync", ".sb-tmp"}
SEEN = ".privacyscreen-seen"
CLAIM = ".privacyscreen-claimed-"  # a photo being taken: renamed in the inbox, then moved out


def ignored(path: Path) -> bool:
    """Hidden files (see screen.hidden) and sync tools' temporary names; every other file is taken,
    and one that is not a photo is rejected with a note."""
    return hidden(path) or path.suffix.lower() in IGNORED_SUFFIXES


@dataclass
class Pending:
    size: int
    mtime: float
    still_since: float


class Wake(FileSystemEventHandler):
    """Any change in the inbox wakes the scan; the scan decides."""

    def __init__(self, event: threading.Event):
        self.event = event

    def on_any_event(self, event) -> None:
        self.event.set()


class DropFolder:
    def __init__(
        self, inbox: Path, out: Path, settings: Settings = Settings(), lang: str = "nl",
        quiet: float = 3.0, settle: float = 60.0,
    ):  # fmt: skip
        self.inbox, self.out, self.lang = inbox, out, lang
        self.quiet, self.settle = quiet, settle
        self.settings = settings
        self.pending: dict[Path, Pending] = {}
        for folder in ("ready", HELD, "rejected", "originals"):
            (out / folder).mkdir(parents=True, exist_ok=True)
        write.remove_partial(out)  # left by a watcher that was killed mid-photo
        self.release_stale_claims()
        seen_file = out / SEEN
        self.seen: dict[str, str] = json.loads(seen_file.read_text()) if seen_file.exists() else {}  # name: sha256
        self.report_path = out / report.NAME
        self.report = report.build([], settings, out, out / "ready")
        if self.report_path.exists():  # earlier watchers' records
            self.add_records(json.loads(self.report_path.read_text(encoding="utf-8"))["images"])

    def watch(self, stop: threading.Event, poll: bool = False) -> None:
        """Screen photos as they arrive until `stop` is set (SIGTERM, Ctrl-C)."""
        wake = threading.Event()
        observer = (PollingObserver if poll else Observer)()
        observer.schedule(Wake(wake), str(self.inbox), recursive=False)
        observer.start()
        try:
            with Screener(self.settings) as screener:
                self.resume(screener)
                while not stop.is_set():
                    self.scan(screener, stop)
                    wake.wait(timeout=min(self.quiet, 1.0))
                    wake.clear()
        finally:
            observer.stop()
            observer.join()

    def scan(self, screener: Screener, stop: threading.Event) -> None:
        """Take every photo in the inbox that has been still long enough."""
        now = time.monotonic()
        present = set()
        for path in sorted(self.inbox.iterdir()):
            if stop.is_set():
                return
            if ignored(path) or path.is_symlink() or not path.is_file():
                continue
            present.add(path)
            stat = path.stat()
            state = self.pending.get(path)
            if state is None or (state.size, state.mtime) != (stat.st_size, stat.st_mtime):
                self.pending[path] = Pending(stat.st_size, stat.st_mtime, now)
                continue
            if now - state.still_since < self.quiet:
                continue
            decoded = decode(path)
            if decoded is None and now - state.still_since < self.settle:
                continue  # maybe half-synced: wait for the rest, or for `settle` to pass
            self.take(screener, path, decoded)
            del self.pending[path]
        for gone in set(self.pending) - present:
            del self.pending[gone]

    def take(self, screener: Screener, path: Path, decoded: photo.Photo | video.Clip | None) -> None:
        claimed = path.with_name(f"{CLAIM}{os.getpid()}-{path.name}")
        try:
            os.rename(path, claimed)  # atomic: of two watchers on one inbox, one gets the photo
        except FileNotFoundError:
            return
        digest = sha256(claimed)
        kept = self.keep_original(claimed, path.name)
        if digest in self.seen.values():
            self.remember(kept, digest)
            print(f"{say('watch-seen', self.lang)}: {shown(path.name)}", flush=True)
            return
        self.process(screener, kept, digest, decoded if isinstance(decoded, photo.Photo) else None)

    def resume(self, screener: Screener) -> None:
        """Screen originals that a watcher killed mid-photo moved but never finished."""
        for kept in sorted((self.out / "originals").iterdir()):
            if kept.name not in self.seen:
                self.process(screener, kept, sha256(kept))

    def process(self, screener: Screener, kept: Path, digest: str, decoded: photo.Photo | None = None) -> None:
        """Screen a kept original; leave the result and its note; remember its content."""
        result = screener.screen(kept, self.out / "ready" / kept.stem, self.out / HELD / kept.stem, decoded)
        target = result.outputs[0].path if result.outputs else self.out / "rejected" / kept.name
        write.write_atomic(explanation(result, self.lang).encode("utf-8"), target.with_suffix(".txt"))
        self.add_records([report.record(result, self.out)])
        report.save(self.report, self.report_path)
        self.remember(kept, digest)  # after the report: an original screened again after a crash replaces its record
        print(f"{say(result.verdict, self.lang)}: {shown(kept.name)}: {summary(result, self.lang)}", flush=True)

    def add_records(self, records: list[dict]) -> None:
        """Add records to the report, each in place of an earlier one of the same original."""
        new = {r["source"] for r in records}
        images = [r for r in self.report["images"] if r["source"] not in new] + records
        self.report["images"] = images

    def remember(self, kept: Path, digest: str) -> None:
        self.seen[kept.name] = digest
        write.write_atomic(json.dumps(self.seen, indent=0, sort_keys=True).encode("utf-8"), self.out / SEEN)

    def keep_original(self, path: Path, name: str) -> Path:
        """Move the original, byte for byte, to OUT/originals/NAME. Its outputs and notes are named
        after it without its suffix, so NAME is changed (`foto.png` beside `foto.jpg` becomes
        `foto-2.png`) until they are no other original's."""
        taken: set[str] = set()
        for kept in (self.out / "originals").iterdir():
            taken |= output_names(Path(kept.stem))
        stem = unique(Path(Path(name).stem), taken)
        dest = self.out / "originals" / f"{stem}{Path(name).suffix}"
        shutil.move(path, dest)  # a rename on one file system; copy, fsync and remove across
        return dest

    def release_stale_claims(self) -> None:
        """Give back photos claimed by a watcher that died before moving them."""
        for claimed in self.inbox.glob(f"{CLAIM}*"):
            pid, _, name = claimed.name[len(CLAIM) :].partition("-")
            if not (pid.isdigit() and psutil.pid_exists(int(pid))):  # not os.kill(pid, 0): on Windows it kills
                os.rename(claimed, claimed.with_name(name))


def sha256(path: Path) -> str:
    """Of a file's content, read in chunks: a video dropped by mistake may be gigabytes."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def decode(path: Path) -> photo.Photo | video.Clip | None:
    """The photo (or what a clip holds), or None when it does not decode completely: it may be
    half-synced still (a clip's index comes last), or be no photo at all."""
    try:
        return video.load(path) if video.is_clip(path) else photo.load(path)
    except photo.PhotoError:
        return None


def summary(result: Screening, lang: str) -> str:
    return "; ".join(r.text(lang) for r in result.explanation)


def explanation(result: Screening, lang: str) -> str:
    """The short note left next to each result, in the user's language."""
    next_step = {Verdict.ERROR: "watch-next-rejected", Verdict.NEEDS_CONSENT: "watch-next-held"}.get(
        result.verdict, "watch-next-ready"
    )
    return f"{summary(result, lang)}\n{say(next_step, lang)}\n"


def run_until_signalled(folder: DropFolder, poll: bool) -> None:
    """Watch until SIGTERM or Ctrl-C; the photo being screened is finished first."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    folder.watch(stop, poll)
