"""Publishing is atomic, snapshots are immutable, the last five are kept, rollback works, and a
killed ingest (SIGKILL at any moment) leaves the published snapshot intact and readable."""

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

from dashboard.cli import main
from dashboard.data.store import KEEP, Store, StoreError, new_snapshot_id
from tests.conftest import REPO, tree_digest


@pytest.fixture()
def store(tmp_path) -> Path:
    return tmp_path / "store"


def _ingest(source: Path, store: Path) -> str:
    assert main(["-q", "ingest", "--no-prepare", str(source), "--store", str(store)]) == 0
    return Store(store).current_id()


def test_publish_writes_a_complete_snapshot_readable_only_by_owner_and_group(mini_source, store):
    sid = _ingest(mini_source, store)
    snap = Store(store).open()
    assert snap.id == sid and (store / "CURRENT").read_text().strip() == sid
    for name in ("areas", "area_population", "boundaries", "boundaries_display", "survey_results",
                 "crime_counts", "crime_accounting", "msf", "matrix_supplied", "respondent_profile"):
        assert len(snap.table(name)) > 0, name
    assert snap.manifest["synthetic"] is True
    assert all(len(i["sha256"]) == 64 for i in snap.manifest["inputs"])
    files = [p for p in snap.path.iterdir() if p.is_file()]
    assert files
    assert {p.stat().st_mode & 0o7777 for p in files} == {0o640}
    assert snap.path.stat().st_mode & 0o7777 == 0o750
    assert not (store / "staging").exists() or not any((store / "staging").iterdir())


def test_keeps_the_last_five_and_rolls_back(store, capsys):
    """Pruning and the pointer do not look inside a snapshot: published stubs stand in for
    ingests (a full ingest publishes through the same Store.publish, tested above)."""
    ids = [_publish_stub(store) for _ in range(KEEP + 2)]
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


def _publish_stub(store: Path) -> str:
    """Publish a snapshot holding only a manifest: enough for the pointer and history logic, and fast."""
    s = Store(store)
    staged = s.staging_dir(new_snapshot_id())
    (staged / "manifest.json").write_text(json.dumps({"snapshot_id": staged.name}), encoding="utf-8")
    return s.publish(staged)


def _store_cli(*args: str) -> int:
    return main(["-q", *args])


def test_rollback_returns_to_the_snapshot_live_before_not_the_next_older(store, capsys):
    a, b, c = (_publish_stub(store) for _ in range(3))
    assert _store_cli("rollback", "--store", str(store)) == 0
    assert Store(store).current_id() == b
    assert _store_cli("rollback", "--store", str(store)) == 0
    assert Store(store).current_id() == a
    d = _publish_stub(store)
    assert _store_cli("rollback", "--store", str(store)) == 0
    assert Store(store).current_id() == a  # not c, the snapshot already rolled away from
    assert c in Store(store).snapshot_ids() and d in Store(store).snapshot_ids()
    assert _store_cli("rollback", "--store", str(store)) == 1
    assert "nothing earlier to roll back to" in capsys.readouterr().err


def test_activate_undoes_a_rollback(store, capsys):
    a, b = _publish_stub(store), _publish_stub(store)
    assert _store_cli("rollback", "--store", str(store)) == 0
    assert Store(store).current_id() == a
    assert _store_cli("activate", b, "--store", str(store)) == 0
    assert Store(store).current_id() == b
    assert f"activate {b} (was {a})" in (store / "HISTORY.log").read_text()
    assert _store_cli("rollback", "--store", str(store)) == 0  # back to what was live before the activate
    assert Store(store).current_id() == a


def test_rollback_skips_pruned_snapshots(store, capsys):
    ids = [_publish_stub(store) for _ in range(KEEP + 2)]
    for expected in reversed(ids[-KEEP:-1]):
        assert _store_cli("rollback", "--store", str(store)) == 0
        assert Store(store).current_id() == expected
    assert _store_cli("rollback", "--store", str(store)) == 1  # the two older ones were pruned
    assert Store(store).current_id() == ids[-KEEP]


def test_rollback_and_activate_refuse_a_locked_store_at_once(store, capsys):
    a, b = _publish_stub(store), _publish_stub(store)
    with Store(store).lock():
        assert _store_cli("rollback", "--store", str(store)) == 3
        assert _store_cli("activate", a, "--store", str(store)) == 3
    assert Store(store).current_id() == b
    err = capsys.readouterr().err
    assert err.count("another ingest or rollback is changing this store") == 2
    assert "rollback" not in (store / "HISTORY.log").read_text()


def test_activate_of_an_unknown_id_lists_the_kept_ones(store, capsys):
    a, b = _publish_stub(store), _publish_stub(store)
    assert _store_cli("activate", "20000101T000000000000Z", "--store", str(store)) == 2
    err = capsys.readouterr().err
    assert err == f"dashboard activate: {store}: no snapshot '20000101T000000000000Z'; kept: {a}, {b}\n"
    assert Store(store).current_id() == b


def test_an_unwritable_store_exits_4_with_one_line_naming_the_path(store, capsys):
    a, b = _publish_stub(store), _publish_stub(store)
    if os.geteuid() == 0:
        # root writes through 0555: put a directory where the new pointer file must go instead.
        (store / "CURRENT.tmp").mkdir()
    else:
        store.chmod(0o555)
    try:
        assert _store_cli("rollback", "--store", str(store)) == 4
        assert _store_cli("activate", a, "--store", str(store)) == 4
    finally:
        store.chmod(0o755)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "Traceback" not in "".join(err)
    assert all(line.startswith(f"dashboard {cmd}: ") and line.endswith(str(store / "CURRENT.tmp"))
               for line, cmd in zip(err, ("rollback", "activate")))
    assert Store(store).current_id() == b


def test_exit_codes_are_in_the_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for line in ("0  done", "1  invalid input", "2  usage error", "3  store busy", "4  store I/O or permission"):
        assert line in out
    helps = {}
    for command in ("ingest", "rollback", "activate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        helps[command] = capsys.readouterr().out
        assert "4  store I/O or permission" in helps[command], command
        assert "files 0640, directories 0750" in helps[command], command
    assert "--accept-drop SURVEY:PERIOD" in helps["ingest"] and "--reason REASON" in helps["ingest"]


def test_open_without_a_snapshot_says_what_to_do(store):
    with pytest.raises(StoreError, match="no snapshot is published yet"):
        Store(store).open()


def test_second_ingest_into_a_locked_store_is_refused(mini_source, store):
    s = Store(store)
    with s.lock(), pytest.raises(StoreError, match="another ingest or rollback"), s.lock():
        pass


def _ingest_cmd(source: Path, store: Path) -> list[str]:
    return [sys.executable, "-m", "dashboard", "-q", "ingest", "--no-prepare", str(source), "--store", str(store)]


@pytest.fixture(scope="module")
def full_ingest_seconds(mini_source, tmp_path_factory) -> float:
    """Wall time of one uninterrupted ingest, to aim the kills across all of it."""
    started = time.monotonic()
    subprocess.run(_ingest_cmd(mini_source, tmp_path_factory.mktemp("timing")), cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def published_once(mini_source, tmp_path_factory) -> Path:
    """A store the mini source was published to once (copied by each kill case)."""
    store = tmp_path_factory.mktemp("published-once") / "store"
    _ingest(mini_source, store)
    return store


# Fractions of a full ingest: early (reading), middle (validating), late (writing and publishing).
@pytest.mark.parametrize("fraction", [0.3, 0.7, 0.9, 0.99])
def test_killed_ingest_leaves_the_published_snapshot_intact(mini_source, tmp_path, fraction, full_ingest_seconds,
                                                           published_once):
    store = tmp_path / "store"
    shutil.copytree(published_once, store)  # a store with one snapshot live, as each case starts
    first = Store(store).current_id()
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
