"""Staff use Windows laptops: nothing depends on what only Unix has. Windows itself is not tested
here; its missing pieces are taken away on Linux instead (no fcntl, no SIGALRM, another data folder)."""

from __future__ import annotations

import os

import pytest

from privacyscreen import write


def test_the_output_folder_lock_names_its_holder_and_ends_with_it(tmp_path):
    with write.exclusive(tmp_path):
        with pytest.raises(write.FolderInUse, match=str(os.getpid())):
            with write.exclusive(tmp_path):
                pass
    with write.exclusive(tmp_path):  # released: taken again
        pass