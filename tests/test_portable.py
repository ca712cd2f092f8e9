"""Staff use Windows laptops: nothing depends on what only Unix has. Windows itself is not tested
here; its missing pieces are taken away on Linux instead (no fcntl, no SIGALRM, another data folder)."""

from __future__ import annotations

import os

import platformdirs
import pytest

from privacyscreen import consent, write


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
