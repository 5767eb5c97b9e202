"""The answer cache's folder (dashboard.cache.private_folder): answers are kept pickled, so a
folder another account can write in, or one it made first under /tmp, is refused at start-up."""

from __future__ import annotations

import os
import stat

import pytest

from dashboard.cache import CacheFolderError, cache_config, private_folder


def test_a_missing_folder_is_made_for_this_user_alone(tmp_path):
    folder = tmp_path / "answers"
    config = cache_config({"DASHBOARD_CACHE_DIR": str(folder)})
    assert config["CACHE_DIR"] == str(folder) and config["CACHE_TYPE"] == "FileSystemCache"
    assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0


def test_a_folder_others_may_write_in_is_refused(tmp_path):
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(0o777)
    with pytest.raises(CacheFolderError, match="written by others"):
        cache_config({"DASHBOARD_CACHE_DIR": str(folder)})


def test_a_link_is_refused(tmp_path):
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(CacheFolderError, match="not a plain directory"):
        private_folder(str(tmp_path / "link"))


def test_a_folder_another_account_made_first_is_refused(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only root can make a folder that belongs to another account")
    folder = tmp_path / "planted"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    with pytest.raises(CacheFolderError, match="belongs to another user"):
        private_folder(str(folder))
