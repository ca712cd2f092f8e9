"""The drop folder, driven for real: a watcher process, files copied in slowly, moved in,
broken, hidden, and a SIGTERM and restart, with nothing lost and nothing screened twice."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, features

from .conftest import SAMPLES, digest

QUIET, SETTLE = 0.5, 4.0


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


class Watcher:
    """A real `privacyscreen watch` process; policy standard unless `options` say otherwise, so that
    portraits with their face redacted land in ready/ (folder mechanics are what these tests test)."""

    def __init__(self, inbox: Path, out: Path, log: Path, *options: str):
        self.log = log
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "privacyscreen"), "watch", str(inbox), "--out", str(out),
             "--quiet-seconds", str(QUIET), "--settle-seconds", str(SETTLE), "--lang", "en",
             "--policy", "standard", *options],
            stdout=log.open("a"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(lambda: "Watching" in self.output())

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def seen(out: Path) -> dict[str, str]:
    """The originals a watcher has finished with (name: sha256)."""
    return json.loads((out / ".privacyscreen-seen").read_text())


@pytest.fixture
def samples_photos() -> list[Path]:
    return sorted(p for p in SAMPLES.iterdir() if p.suffix in (".png", ".jpg"))


@pytest.fixture
def folders(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    return inbox, out


def test_the_drop_folder(folders, tmp_path, portrait, portrait_jpeg, no_people):
    inbox, out = folders
    watcher = Watcher(inbox, out, tmp_path / "watch.log")
    try:
        # a slow copy in two halves, with a pause longer than the quiet time
        data = portrait.read_bytes()
        with (inbox / "astronaut.png").open("wb") as f:
            f.write(data[: len(data) // 2])
            f.flush()
            time.sleep(2 * QUIET + 1)
            assert not (out / "rejected" / "astronaut.txt").exists()  # half a photo is not rejected
            f.write(data[len(data) // 2 :])
        wait_for(lambda: (out / "ready" / "astronaut.txt").exists())
        assert (out / "ready" / "astronaut.png").is_file()
        assert (out / "originals" / "astronaut.png").read_bytes() == data  # kept byte for byte
        assert "Ready to share" in (out / "ready" / "astronaut.txt").read_text()

        # a move into the folder, as sync tools and "save as" do
        staged = tmp_path / "staged.jpg"
        shutil.copy(portrait_jpeg, staged)
        os.replace(staged, inbox / "hopper.jpg")
        wait_for(lambda: (out / "ready" / "hopper.txt").exists())

        # a broken file is rejected with a note, once it has settled
        (inbox / "kapot.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
        wait_for(lambda: (out / "rejected" / "kapot.txt").exists(), timeout=SETTLE + 30)
        assert "not shared" in (out / "rejected" / "kapot.txt").read_text().lower()
        assert not (out / "ready" / "kapot.jpg").exists()

        # hidden and temporary files are left alone
        for name in (".foto.jpg", "foto.jpg.part", "~$foto.jpg"):
            shutil.copy(no_people, inbox / name)
        time.sleep(SETTLE)
        assert sorted(p.name for p in inbox.iterdir()) == [".foto.jpg", "foto.jpg.part", "~$foto.jpg"]
    finally:
        assert watcher.stop() == 0  # SIGTERM stops it cleanly

    # restart; the same photo dropped again is recognised and not screened twice
    watcher = Watcher(inbox, out, tmp_path / "watch.log")
    try:
        shutil.copy(portrait_jpeg, inbox / "hopper.jpg")
        wait_for(lambda: (out / "originals" / "hopper-2.jpg").exists())
        wait_for(lambda: "already screened" in watcher.output())
    finally:
        assert watcher.stop() == 0
    assert digest(out / "originals" / "hopper-2.jpg") == digest(portrait_jpeg)
    assert sorted(p.name for p in (out / "ready").iterdir()) == [
        "astronaut.png", "astronaut.txt", "hopper.jpg", "hopper.txt",
    ]  # fmt: skip
    assert not [p for p in out.rglob("*.part")]  # nothing half-written anywhere
    assert watcher.output().count("hopper.jpg") == 2  # one screening, one "already screened"


def records(out: Path) -> dict[str, dict]:
    """The drop folder's report: its records by source."""
    data = json.loads((out / "privacyscreen-report.json").read_text())
    assert data["settings"]["ready"] == "ready" and sum(data["summary"].values()) == len(data["images"])
    by_source = {r["source"]: r for r in data["images"]}
    assert len(by_source) == len(data["images"])  # each original once
    return by_source


def test_the_drop_folder_keeps_a_report_for_the_review_desk(folders, tmp_path, portrait, portrait_jpeg, no_people):
    """OUT/privacyscreen-report.json as `run` writes it, paths relative to OUT: a record for every
    original screened (rejected too, not one recognised as seen), kept over a restart."""
    inbox, out = folders
    watcher = Watcher(inbox, out, tmp_path / "report.log", "--policy", "strict")
    try:
        for photo in (portrait, no_people):
            shutil.copy(photo, inbox / photo.name)
        (inbox / "kapot.jpg").write_bytes(b"not a photo")
        wait_for(lambda: (out / ".privacyscreen-seen").exists() and len(seen(out)) == 3, SETTLE + 60)
        shutil.copy(no_people, inbox / "koffie.png")  # the same photo again
        wait_for(lambda: "already screened" in watcher.output())
    finally:
        assert watcher.stop() == 0
    first = records(out)
    verdicts = {source: r["verdict"] for source, r in first.items()}
    assert verdicts == {"originals/astronaut.png": "needs-consent", "originals/coffee.png": "no-people",
                        "originals/kapot.jpg": "error"}  # fmt: skip
    assert [o["path"] for r in first.values() for o in r["outputs"]] == ["needs-consent/astronaut.png",
                                                                         "ready/coffee.png"]  # fmt: skip
    for r in first.values():
        assert (out / r["source"]).is_file() and all((out / o["path"]).is_file() for o in r["outputs"])
    assert first["originals/kapot.jpg"]["error"]["code"] == "error-not-an-image"

    watcher = Watcher(inbox, out, tmp_path / "report.log", "--policy", "strict")
    try:
        shutil.copy(portrait_jpeg, inbox / portrait_jpeg.name)
        wait_for(lambda: len(seen(out)) == 5)
    finally:
        assert watcher.stop() == 0
    second = records(out)
    assert second.keys() == first.keys() | {"originals/grace_hopper.jpg"}
    assert {k: second[k] for k in first} == first  # the earlier records as they were
    assert [o["path"] for o in second["originals/grace_hopper.jpg"]["outputs"]] == ["needs-consent/grace_hopper.jpg"]


def test_polling_for_network_shares(folders, tmp_path, no_people):
    """--poll: no inotify events (SMB, NFS, some sync clients), the folder is scanned instead."""
    inbox, out = folders
    watcher = Watcher(inbox, out, tmp_path / "poll.log", "--poll")
    try:
        staged = tmp_path / "koffie.png"
        shutil.copy(no_people, staged)
        os.replace(staged, inbox / "koffie.png")
        wait_for(lambda: (out / "ready" / "koffie.txt").exists())
        assert "no person found" in (out / "ready" / "koffie.txt").read_text()
    finally:
        assert watcher.stop() == 0


def test_two_watchers_on_one_inbox_never_screen_a_photo_twice(tmp_path, samples_photos):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    outs = [tmp_path / "out-a", tmp_path / "out-b"]
    watchers = [Watcher(inbox, out, tmp_path / f"{out.name}.log") for out in outs]
    try:
        for photo in samples_photos:
            shutil.copy(photo, inbox / photo.name)
        wait_for(lambda: not any(inbox.iterdir()))
        wait_for(lambda: sum(len(list((o / "ready").glob("*.txt"))) for o in outs) == len(samples_photos))
    finally:
        assert all(w.stop() == 0 for w in watchers)
    notes = [p.name for o in outs for p in (o / "ready").glob("*.txt")]
    assert sorted(notes) == sorted(f"{p.stem}.txt" for p in samples_photos)  # each once, in one of them
    originals = [p for o in outs for p in (o / "originals").iterdir()]
    assert sorted(digest(p) for p in originals) == sorted(digest(p) for p in samples_photos)  # nothing lost


def test_a_run_into_a_folder_a_watcher_writes_to_is_refused(folders, tmp_path, portrait):
    inbox, out = folders
    watcher = Watcher(inbox, out, tmp_path / "watch.log")
    try:
        result = subprocess.run([str(Path(sys.executable).parent / "privacyscreen"), "run", str(portrait),
                                 "--out", str(out), "--lang", "en"], capture_output=True, text=True)  # fmt: skip
        assert result.returncode == 1
        assert f"in use by another privacyscreen (process {watcher.proc.pid})" in result.stderr
        assert not (out / "astronaut.png").exists()
    finally:
        assert watcher.stop() == 0


def test_killing_the_watcher_mid_photo_loses_nothing(folders, tmp_path, samples_photos):
    """SIGKILL at random moments while photos arrive: afterwards every photo is either still in
    the inbox or in originals/, ready/ holds only complete outputs, and a restart finishes."""
    import random

    from privacyscreen import write

    inbox, out = folders
    rng = random.Random(7)
    for round_ in range(3):
        watcher = Watcher(inbox, out, tmp_path / "kill.log")
        for photo in samples_photos:
            shutil.copy(photo, inbox / f"{round_}-{photo.name}")
        time.sleep(rng.uniform(1.0, 3.0))
        watcher.proc.send_signal(signal.SIGKILL)
        watcher.proc.wait()
        for path in (out / "ready").glob("*"):
            if path.suffix != ".txt" and not path.name.startswith("."):
                assert write.sealed_release(path.read_bytes()) == "not-applicable", path
    watcher = Watcher(inbox, out, tmp_path / "kill.log")
    try:
        wait_for(lambda: not any(p for p in inbox.iterdir()), timeout=120)
        wait_for(lambda: len(list((out / "ready").glob("*.txt"))) == len(samples_photos), timeout=120)
        time.sleep(2 * QUIET)
    finally:
        assert watcher.stop() == 0
    kept = sorted(digest(p) for p in (out / "originals").iterdir())
    assert kept == sorted(digest(p) for p in samples_photos for _ in range(3))  # every original, once
    # every content screened once (the same photo dropped again is recognised), none left half-done
    assert len(list((out / "ready").glob("*.txt"))) == len(samples_photos)
    seen = json.loads((out / ".privacyscreen-seen").read_text())
    assert len(seen) == 3 * len(samples_photos) and len(set(seen.values())) == len(samples_photos)
    # the report has one record per content too: a photo screened again after a kill replaced its record
    assert sorted(r["sha256"] for r in records(out).values()) == sorted(digest(p) for p in samples_photos)


def test_under_the_default_policy_a_portrait_waits_for_consent(folders, tmp_path, portrait):
    """Strict (the default): the face is hidden but the body is recognisable, so the photo goes to
    needs-consent/ with a note saying what to do, never to ready/."""
    inbox, out = folders
    watcher = Watcher(inbox, out, tmp_path / "strict.log", "--policy", "strict", "--compose")
    try:
        shutil.copy(portrait, inbox / "portret.png")
        wait_for(lambda: (out / "needs-consent" / "portret.txt").exists())
    finally:
        assert watcher.stop() == 0
    note = (out / "needs-consent" / "portret.txt").read_text()
    assert "still recognisable by body" in note and "Not shared yet" in note
    assert "no composition possible: no hands or feet were found" in note
    assert (out / "needs-consent" / "portret.png").is_file() and not list((out / "ready").iterdir())


def test_photos_whose_names_clash_each_get_their_own_outputs_and_note(folders, tmp_path, no_people):
    """Outputs and notes are named after the original without its suffix: `koffie.png` beside
    `koffie.jpg`, or `koffie.edited.jpg`, must not take `koffie.jpg` or `koffie.txt` of another."""
    inbox, out = folders
    coffee = Image.open(no_people).convert("RGB")
    dropped = {"koffie.jpg": coffee, "koffie.png": coffee.rotate(180), "koffie.tif": coffee.rotate(90, expand=True),
               "koffie.edited.jpg": coffee.crop((0, 0, 400, 400)), "Koffie.webp": coffee}  # fmt: skip
    staged = tmp_path / "staged"
    staged.mkdir()
    for name, image in dropped.items():
        image.save(staged / name)
    digests = [digest(staged / name) for name in dropped]
    watcher = Watcher(inbox, out, tmp_path / "clash.log")
    try:
        for name in dropped:
            os.replace(staged / name, inbox / name)
        wait_for(lambda: (out / ".privacyscreen-seen").exists() and len(seen(out)) == len(dropped))
    finally:
        assert watcher.stop() == 0
    ready = sorted(p.name.casefold() for p in (out / "ready").iterdir())
    assert len(set(ready)) == len(ready) == 2 * len(dropped)  # a copy and a note each, none overwritten
    copies, notes = [{Path(p).stem for p in ready if p.endswith(".txt") == note} for note in (False, True)]
    assert copies == notes  # each note beside its own copy
    originals = list((out / "originals").iterdir())
    assert len({p.stem.casefold() for p in originals}) == len(dropped)  # koffie.jpg, koffie-2.png...
    assert sorted(map(digest, originals)) == sorted(digests)  # each kept byte for byte


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow was built without AVIF")
def test_every_file_dropped_gets_a_note_but_hidden_ones(folders, tmp_path):
    """The same files as a folder given to `run` (tests/test_formats.py): GIF, AVIF and a stereo
    JPEG are screened, a file that is no photo is rejected with a note, hidden ones stay."""
    from .test_formats import odd_files

    inbox, out = folders
    expected = odd_files(tmp_path / "staged")
    watcher = Watcher(inbox, out, tmp_path / "odd.log")
    try:
        for path in (tmp_path / "staged").iterdir():
            os.replace(path, inbox / path.name)
        wait_for(lambda: (out / ".privacyscreen-seen").exists() and len(seen(out)) == len(expected), SETTLE + 60)
    finally:
        assert watcher.stop() == 0
    for name, error in expected.items():
        folder = "rejected" if error else "ready"
        assert (out / folder / Path(name).with_suffix(".txt").name).is_file(), name
    assert sorted(p.name for p in inbox.iterdir()) == [".hidden.jpg", "Thumbs.db", "desktop.ini", "~$verslag.docx"]


def test_a_claim_is_given_back_only_when_the_watcher_that_made_it_is_gone(folders):
    """A watcher renames a photo to claim it; one killed before moving it leaves the claim behind.
    A new watcher gives back claims of processes that no longer run, never one of a running process
    (asked through psutil: os.kill(pid, 0) would terminate the process on Windows)."""
    from privacyscreen.watch import CLAIM, DropFolder

    inbox, out = folders
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (inbox / f"{CLAIM}{gone.pid}-left.jpg").write_bytes(b"left")
    (inbox / f"{CLAIM}{os.getpid()}-taken.jpg").write_bytes(b"taken")
    DropFolder(inbox, out)
    assert sorted(p.name for p in inbox.iterdir()) == [f"{CLAIM}{os.getpid()}-taken.jpg", "left.jpg"]


def test_a_clip_dropped_in_the_inbox_comes_back_as_a_safe_mp4(folders, tmp_path):
    """A phone clip synced in slowly: its index (the `moov` box) comes last, so a half copy is no clip yet."""
    from . import clips

    inbox, out = folders
    source = clips.build(tmp_path / "IMG_0007.mov", [f for f, _ in clips.pan(12)], tags=clips.PHONE_TAGS, tone=True)
    watcher = Watcher(inbox, out, tmp_path / "watch.log")
    try:
        data = source.read_bytes()
        with (inbox / source.name).open("wb") as f:
            f.write(data[: len(data) // 2])
            f.flush()
            time.sleep(2 * QUIET + 1)
            assert not (out / "rejected" / "IMG_0007.txt").exists()
            f.write(data[len(data) // 2 :])
        wait_for(lambda: (out / "ready" / "IMG_0007.txt").exists(), timeout=120)
    finally:
        assert watcher.stop() == 0
    note = (out / "ready" / "IMG_0007.txt").read_text()
    assert "sound kept" in note and "video container tags" in note
    assert b"iPhone" not in (out / "ready" / "IMG_0007.mp4").read_bytes()
    assert (out / "originals" / "IMG_0007.mov").read_bytes() == data
