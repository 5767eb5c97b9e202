"""Publishing is atomic, snapshots are immutable, the last five are kept, rollback works, and a
killed ingest (SIGKILL at any moment) leaves the published snapshot intact and readable."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.data.store import KEEP, Store, StoreError
from tests.conftest import REPO, tree_digest


@pytest.fixture()
def store(tmp_path) -> Path:
    return tmp_path / "store"


def _ingest(source: Path, store: Path) -> str:
    assert main(["-q", "ingest", str(source), "--store", str(store)]) == 0
    return Store(store).current_id()


def test_publish_writes_a_complete_read_only_snapshot(mini_source, store):
    sid = _ingest(mini_source, store)
    snap = Store(store).open()
    assert snap.id == sid and (store / "CURRENT").read_text().strip() == sid
    for name in ("areas", "area_population", "boundaries", "boundaries_display", "survey_results",
                 "crime_counts", "crime_accounting", "msf", "matrix_supplied", "respondents_uss"):
        assert len(snap.table(name)) > 0, name
    assert snap.manifest["synthetic"] is True
    assert all(len(i["sha256"]) == 64 for i in snap.manifest["inputs"])
    files = [p for p in snap.path.iterdir() if p.is_file()]
    assert files
    assert all((p.stat().st_mode & 0o222) == 0 for p in files)
    assert not (store / "staging").exists() or not any((store / "staging").iterdir())


def test_keeps_the_last_five_and_rolls_back(mini_source, store, capsys):
    ids = [_ingest(mini_source, store) for _ in range(KEEP + 2)]
    kept = Store(store).snapshot_ids()
    assert kept == ids[-KEEP:]
    assert main(["rollback", "--store", str(store)]) == 0
    assert Store(store).current_id() == ids[-2]
    assert main(["rollback", "--store", str(store)]) == 0
    assert Store(store).current_id() == ids[-3]
    assert "rollback" in (store / "HISTORY.log").read_text()


def test_rollback_with_nothing_earlier_fails_clearly(mini_source, store, capsys):
    _ingest(mini_source, store)
    assert main(["rollback", "--store", str(store)]) == 1
    assert "nothing earlier to roll back to" in capsys.readouterr().err


def test_open_without_a_snapshot_says_what_to_do(store):
    with pytest.raises(StoreError, match="no snapshot is published yet"):
        Store(store).open()


def test_second_ingest_into_a_locked_store_is_refused(mini_source, store):
    s = Store(store)
    with s.lock():
        with pytest.raises(StoreError, match="another ingest or rollback"):
            with s.lock():
                pass


def _ingest_cmd(source: Path, store: Path) -> list[str]:
    return [sys.executable, "-m", "dashboard", "-q", "ingest", str(source), "--store", str(store)]


@pytest.fixture(scope="module")
def full_ingest_seconds(mini_source, tmp_path_factory) -> float:
    """Wall time of one uninterrupted ingest, to aim the kills across all of it."""
    started = time.monotonic()
    subprocess.run(_ingest_cmd(mini_source, tmp_path_factory.mktemp("timing")), cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


# Fractions of a full ingest: early (reading), middle (validating), late (writing and publishing).
@pytest.mark.parametrize("fraction", [0.3, 0.7, 0.9, 0.96, 0.99])
def test_killed_ingest_leaves_the_published_snapshot_intact(mini_source, tmp_path, fraction, full_ingest_seconds):
    store = tmp_path / "store"
    first = _ingest(mini_source, store)
    before = tree_digest(store / "snapshots" / first)
    proc = subprocess.Popen(_ingest_cmd(mini_source, store), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(full_ingest_seconds * fraction)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    live = Store(store).current_id()
    assert live in Store(store).snapshot_ids()
    snap = Store(store).open()
    assert len(snap.table("survey_results")) > 0  # whatever is live is complete and readable
    assert tree_digest(store / "snapshots" / first) == before  # the earlier snapshot is untouched
    # The next ingest clears any half-built staging directory and publishes normally.
    assert _ingest(mini_source, store) not in (first, live)
    assert not any((store / "staging").iterdir())
