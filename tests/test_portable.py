"""Staff use Windows laptops: nothing depends on what only Unix has. Windows itself is not tested
here; its missing pieces are taken away on Linux instead (no fcntl, no SIGALRM, another data folder)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import platformdirs
import pytest

from privacyscreen import consent, write
from privacyscreen.screen import TimeLimit, time_limit

from .conftest import ROOT

WINDOWS_LIKE = """
import os, signal, sys
del signal.SIGALRM, os.O_DIRECTORY  # as on Windows
sys.modules["fcntl"] = None  # `import fcntl` fails, as on Windows
unix_open = os.open

def windows_open(path, flags, *args, **kwargs):  # Windows opens no folder
    if os.path.isdir(path):
        raise PermissionError(13, "Permission denied", path)
    return unix_open(path, flags, *args, **kwargs)

os.open = windows_open
from privacyscreen.cli import main
main()
"""


def run_without_unix(source: Path, out: Path, *options: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """`privacyscreen run SOURCE --out OUT` in a Python without fcntl and SIGALRM; the report's images."""
    done = subprocess.run([sys.executable, "-c", WINDOWS_LIKE, "run", str(source), "--out", str(out), "--jobs", "1",
                           *options], cwd=ROOT, capture_output=True, text=True, timeout=600)  # fmt: skip
    report = out / "privacyscreen-report.json"
    return done, json.loads(report.read_text())["images"] if report.exists() else []


def test_a_run_without_fcntl_and_sigalrm_screens_and_keeps_its_time_limit(tmp_path, no_people, portrait):
    done, images = run_without_unix(no_people, tmp_path / "a")
    assert done.returncode == 0, done.stderr
    assert [image["verdict"] for image in images] == ["no-people"]
    done, images = run_without_unix(portrait, tmp_path / "b", "--time-limit", "0.2")
    assert done.returncode == 1, done.stderr
    assert [image["error"]["code"] for image in images] == ["error-time-limit"]


def busy(seconds: float) -> str:
    """Python code that runs for `seconds` unless interrupted."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return "not interrupted"


def limited(seconds: float, work: float) -> str:
    try:
        with time_limit(seconds):
            return busy(work)
    except TimeLimit:
        return "interrupted"


def test_the_time_limit_holds_without_sigalrm(monkeypatch):
    monkeypatch.delattr(signal, "SIGALRM")
    start = time.monotonic()
    assert limited(0.2, 5) == "interrupted" and time.monotonic() - start < 2
    assert limited(1, 0.1) == "not interrupted"
    busy(1.2)  # a limit that was not reached never fires later


def test_the_time_limit_holds_in_a_thread_other_than_the_main_one():
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(limited(0.2, 5)))
    thread.start()
    thread.join()
    assert outcome == ["interrupted"]


def test_the_output_folder_lock_names_its_holder_and_ends_with_it(tmp_path):
    with write.exclusive(tmp_path):
        with pytest.raises(write.FolderInUse, match=str(os.getpid())):
            with write.exclusive(tmp_path):
                pass
    with write.exclusive(tmp_path):  # released: taken again
        pass


def test_the_register_lives_in_the_users_data_folder_and_an_old_one_is_still_found(tmp_path, monkeypatch):
    monkeypatch.delenv(consent.ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    data = tmp_path / "AppData" / "Local" / "privacyscreen"  # where platformdirs puts it on Windows
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *args, **kwargs: str(data))
    assert consent.default_path() == data / "consent.sqlite"
    old = tmp_path / ".local" / "share" / "privacyscreen" / "consent.sqlite"  # the default before platformdirs
    consent.Register(old).db.close()
    assert consent.default_path() == old
    consent.Register(data / "consent.sqlite").db.close()
    assert consent.default_path() == data / "consent.sqlite"
    monkeypatch.setenv(consent.ENV, str(tmp_path / "chosen.sqlite"))
    assert consent.default_path() == tmp_path / "chosen.sqlite"
