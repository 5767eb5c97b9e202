"""The store as a police network needs it (issue #11, items 4 and 5): files 0640 and directories
0750 read through the store's group, no respondent-level table in anything the web process
reads, a killed ingest's staging removed under the lock, one-line exit 4 on a store that cannot
be written, and control totals that stop a file cut short at a line end."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from dashboard.cli import main
from dashboard.config import load_config
from dashboard.data.store import RESPONDENT_LEVEL_COLUMNS, Snapshot, Store, StoreError, new_snapshot_id
from tests.conftest import tree_digest

WEB = (65534, 65534)     # nobody:nogroup, the web process's user in the store's group
OUTSIDER = (1, 1)        # daemon:daemon, in neither the owner's nor the store's group
ROOT = os.geteuid() == 0
CUT = 27_465 / 45_777    # the survey file, cut at a line end


@contextmanager
def acting_as(uid_gid):
    """Run the block with this effective user and group and no supplementary groups (root only)."""
    uid, gid = uid_gid
    groups = os.getgroups()
    os.setgroups([])
    os.setegid(gid)
    os.seteuid(uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
        os.setgroups(groups)


def _financial_year(dates: pd.Series) -> pd.Series:
    year = pd.to_datetime(dates).dt.to_period("Q-MAR").dt.qyear
    return (year - 1).astype(str) + "/" + (year % 100).astype(str).str.zfill(2)


@pytest.fixture(scope="module")
def base(mini_source):
    """A directory every user may traverse (pytest's own are 0700), holding a source with two
    crime months (the mini source's month and the one before it) and a store set up as the
    docs say: setgid, owned by the store's group."""
    path = Path(tempfile.mkdtemp(prefix="store-hardening-"))
    path.chmod(0o755)
    source = path / "source"
    shutil.copytree(mini_source, source)
    toml = source / "force.toml"  # with the panel's variant again, so that its folder is checked too
    toml.write_text("".join(line for line in toml.read_text(encoding="utf-8").splitlines(keepends=True)
                            if not line.startswith("panel_suppression_threshold")), encoding="utf-8")
    for d in (source, *source.rglob("*")):
        d.chmod(0o755 if d.is_dir() else 0o644)  # the web user must get as far as the store
    (latest,) = sorted((source / "crime").glob("*.csv"))
    lines = latest.read_text(encoding="utf-8").splitlines(keepends=True)
    earlier = [lines[0]]
    for line in lines[1:]:
        crime_id, month, rest = line.split(",", 2)
        earlier.append(f"{crime_id[::-1]},{'2009-02' if month == '2009-03' else month},{rest}")
    (source / "crime" / "2009-02-synthetic-street.csv").write_text("".join(earlier), encoding="utf-8")
    store = path / "store"
    store.mkdir()
    if ROOT:
        os.chown(store, -1, WEB[1])
    store.chmod(0o2750)
    assert main(["-q", "ingest", "--no-prepare", str(source), "--store", str(store)]) == 0
    yield path
    shutil.rmtree(path)


@pytest.fixture()
def store_copy(base, tmp_path) -> Path:
    """A private copy of the module's store, for a test that publishes into it."""
    dest = tmp_path / "store"
    shutil.copytree(base / "store", dest)
    return dest


def _live(store: Path) -> str:
    return tree_digest(store / "snapshots") + (store / "CURRENT").read_text()


# --- permissions -------------------------------------------------------------------------------

def test_every_file_is_0640_and_every_directory_0750_in_the_stores_group(base):
    store = base / "store"
    below = list(store.rglob("*"))
    assert len(below) > 25
    assert any(p.name == "panel" and p.is_dir() for p in below)
    owner_only = [p for p in below if "owner-only" in p.parts]
    assert {p.name for p in owner_only} >= {"owner-only", "survey_results.parquet"}
    for p in below:
        mode = p.stat().st_mode
        if p in owner_only:  # the unsuppressed cells: the store's owner only (dashboard/data/store.py)
            assert stat.S_IMODE(mode) == (0o700 if p.is_dir() else 0o600), p
            continue
        assert stat.S_IMODE(mode) == (0o2750 if p.is_dir() else 0o640), p
        if ROOT:
            assert p.stat().st_gid == WEB[1], p  # inherited through the setgid store directory


def test_the_web_user_reads_through_the_group_and_nobody_else_reads_at_all(base):
    if not ROOT:
        pytest.skip("switching users needs root")
    store = base / "store"
    sid = (store / "CURRENT").read_text().strip()
    with acting_as(WEB):
        assert Store(store).current_id() == sid
        assert len(Snapshot(store / "snapshots" / sid).table("estimates")) > 0
        with pytest.raises(PermissionError):  # the unsuppressed cells are the owner's alone
            (store / "snapshots" / sid / "owner-only" / "survey_results.parquet").read_bytes()
    with acting_as(OUTSIDER):
        for path in (store / "CURRENT", store / "snapshots" / sid / "estimates.parquet"):
            with pytest.raises(PermissionError):
                path.read_bytes()


@contextmanager
def _read_only(store: Path):
    """The store as the web user sees it (root), or made read-only (anyone else)."""
    if ROOT:
        with acting_as(WEB):
            yield
    else:
        store.chmod(0o555)
        try:
            yield
        finally:
            store.chmod(0o2750)


def test_a_store_that_cannot_be_written_exits_4_with_one_line_and_changes_nothing(base, capsys):
    store, source = base / "store", base / "source"
    before = _live(store)
    sid = (store / "CURRENT").read_text().strip()
    capsys.readouterr()
    with _read_only(store):
        codes = [main(["-q", "ingest", "--no-prepare", str(source), "--store", str(store)]),
                 main(["-q", "rollback", "--store", str(store)]),
                 main(["-q", "activate", sid, "--store", str(store)])]
    assert codes == [4, 4, 4]
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and "Traceback" not in "\n".join(err)
    for line, command in zip(err, ("ingest", "rollback", "activate")):
        assert line.startswith(f"dashboard {command}: ") and str(store) in line, line
    assert _live(store) == before


def test_a_publish_that_cannot_write_the_pointer_exits_4_and_the_live_snapshot_stays(base, store_copy, capsys):
    live = Store(store_copy).current_id()
    before, history = tree_digest(store_copy / "snapshots" / live), (store_copy / "HISTORY.log").read_text()
    (store_copy / "CURRENT.tmp").mkdir()  # even root cannot write a file where a directory is
    assert main(["-q", "ingest", "--no-prepare", str(base / "source"), "--store", str(store_copy)]) == 4
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == f"dashboard ingest: Is a directory: {store_copy / 'CURRENT.tmp'}"
    assert "Traceback" not in "\n".join(err)
    assert Store(store_copy).current_id() == live and Store(store_copy).open().id == live
    assert tree_digest(store_copy / "snapshots" / live) == before
    assert (store_copy / "HISTORY.log").read_text() == history


# --- no respondent-level table where the web process reads ----------------------------------------

def test_no_published_table_is_respondent_level(base):
    config = load_config(base / "source" / "force.toml")
    forbidden = set(RESPONDENT_LEVEL_COLUMNS) | set(config.questions) | {"weight", "source_row"}
    store = base / "store"
    tables = list(store.rglob("*.parquet"))
    assert {p.stem for p in tables} >= {"estimates", "survey_results", "respondent_profile"}
    for path in tables:
        assert not path.stem.startswith("respondents"), path
        names = set(pq.read_schema(path).names)
        assert not names & forbidden, (path.name, names & forbidden)
    assert not (store / "staging").exists() or not any((store / "staging").rglob("*"))


def test_the_store_refuses_to_publish_or_read_respondent_rows(base, tmp_path):
    rows = pd.read_csv(base / "source" / "surveys" / "uss-synthetic.csv", dtype=str)
    store = Store(tmp_path / "store")
    for name in ("respondents_uss", "answers"):  # by its name, or by its respondent_id column
        staged = store.staging_dir(new_snapshot_id())
        rows.to_parquet(staged / f"{name}.parquet")
        (staged / "manifest.json").write_text("{}", encoding="utf-8")
        with pytest.raises(StoreError, match="respondent-level rows, which are never published"):
            store.publish(staged)
    assert store.current_id() is None and store.snapshot_ids() == []
    with pytest.raises(StoreError, match="'respondents_local' would be respondent-level"):
        Store(base / "store").open().table("respondents_local")


def test_a_lock_taken_by_this_version_purges_respondent_tables_of_older_snapshots(tmp_path, capsys):
    """An older version published respondents_*.parquet, 0444 in 0755 directories."""
    store = tmp_path / "store"
    s = Store(store)
    ids = []
    for _ in range(2):
        staged = s.staging_dir(new_snapshot_id())
        (staged / "manifest.json").write_text("{}", encoding="utf-8")
        ids.append(s.publish(staged))
    old = store / "snapshots" / ids[0]
    pd.DataFrame({"respondent_id": ["USS2005-00001"], "q_whole": [1]}).to_parquet(old / "respondents_uss.parquet")
    for p in (old / "respondents_uss.parquet", old / "manifest.json"):
        p.chmod(0o444)
    old.chmod(0o755)
    assert main(["-q", "activate", ids[0], "--store", str(store)]) == 0
    assert sorted(p.name for p in old.iterdir()) == ["manifest.json"]
    assert stat.S_IMODE(old.stat().st_mode) == 0o750 and stat.S_IMODE((old / "manifest.json").stat().st_mode) == 0o640
    assert f"purge {ids[0]}: respondents_uss.parquet" in (store / "HISTORY.log").read_text()


# --- staging of a killed ingest ------------------------------------------------------------------

def _leave_staging(store: Path) -> Path:
    """What an ingest killed while writing leaves: a staging directory with tables and a part file."""
    staged = Store(store).staging_dir(new_snapshot_id())
    shutil.copy(next((store / "snapshots").glob("*/estimates.parquet")), staged / "estimates.parquet")
    (staged / "survey_results.parquet").write_bytes(b"PAR1 half written")
    return staged


def test_a_killed_ingests_staging_is_removed_by_the_next_store_command_holding_the_lock(store_copy, capsys):
    sid = Store(store_copy).current_id()
    staged = _leave_staging(store_copy)
    with Store(store_copy).lock():  # an ingest is running: its staging must survive another command
        running = _leave_staging(store_copy)
        assert main(["-q", "activate", sid, "--store", str(store_copy)]) == 3
        assert running.is_dir() and len(list(running.iterdir())) == 2
    assert main(["-q", "activate", sid, "--store", str(store_copy)]) == 0
    assert not staged.exists() and not running.exists()
    assert Store(store_copy).current_id() == sid


# --- control totals ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cut_source(base):
    """The source with its local survey file cut at a line end, as the issue found one (the same
    share of its rows), and each crime month cut to half its rows."""
    source = base / "cut-source"
    shutil.copytree(base / "source", source)
    for path, keep in [(source / "surveys" / "local-synthetic.csv", CUT),
                       *((p, 0.5) for p in (source / "crime").glob("*.csv"))]:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(lines[: 1 + round((len(lines) - 1) * keep)]), encoding="utf-8")
    return source


def _local_counts(source: Path) -> dict[str, int]:
    rows = pd.read_csv(source / "surveys" / "local-synthetic.csv", dtype=str)
    return _financial_year(rows["fieldwork_date"]).value_counts().to_dict()


def test_a_survey_file_cut_at_a_line_end_is_rejected_and_the_live_snapshot_serves_unchanged(
        base, cut_source, capsys):
    store = base / "store"
    before, reports = _live(store), set((store / "reports").glob("*")) if (store / "reports").exists() else set()
    full, cut = _local_counts(base / "source"), _local_counts(cut_source)
    assert 0.59 < sum(cut.values()) / sum(full.values()) < 0.61
    assert main(["-q", "ingest", "--no-prepare", str(cut_source), "--store", str(store)]) == 1
    err = capsys.readouterr().err
    errors = sorted(line for line in err.splitlines() if line.startswith("error: "))
    local_file = cut_source / "surveys" / "local-synthetic.csv"
    crime_feb = cut_source / "crime" / "2009-02-synthetic-street.csv"
    fall = (full["2007/08"] - cut["2007/08"]) / full["2007/08"]
    assert len(errors) == 2  # not 2008/09 (gone, but the live snapshot's latest) nor 2009-03 (the latest month)
    crime_error, local_error = sorted(errors, key=lambda e: str(local_file) in e)
    assert local_error.startswith(
        f"error: {local_file}, column 'period': LOCAL 2007/08: {cut['2007/08']:,} respondents, {fall:.1%} fewer "
        f"than the {full['2007/08']:,} in the live snapshot {Store(store).current_id()}, where 2007/08 was complete")
    assert local_error.endswith("--accept-drop LOCAL:2007/08 --reason TEXT (value '2007/08') [control_total]")
    assert crime_error.startswith(f"error: {crime_feb}, column 'period': crime 2009-02: ")
    assert "2 error(s): nothing was published" in err
    assert _live(store) == before  # byte-identical, still live
    new_reports = set((store / "reports").glob("*")) - reports
    assert any(p.name.endswith("-rejected.txt") and "LOCAL 2007/08" in p.read_text() for p in new_reports)
    assert {stat.S_IMODE(p.stat().st_mode) for p in new_reports} == {0o640}


def test_an_accepted_fall_publishes_and_the_manifest_records_it(base, cut_source, store_copy, capsys):
    live = Store(store_copy).current_id()
    full, cut = _local_counts(base / "source"), _local_counts(cut_source)
    reason = "local survey fieldwork stopped in October 2007; police.uk republished February 2009"
    assert main(["-q", "ingest", "--no-prepare", str(cut_source), "--store", str(store_copy),
                 "--accept-drop", "LOCAL:2007/08", "--accept-drop", "crime", "--reason", reason]) == 0
    manifest = Store(store_copy).open().manifest
    assert manifest["snapshot_id"] != live
    accepted = {a["what"]: a for a in manifest["accepted_drops"]}
    assert set(accepted) == {"LOCAL:2007/08", "crime:2009-02"}
    local = accepted["LOCAL:2007/08"]
    assert (local["live_count"], local["new_count"], local["live_snapshot"]) == (full["2007/08"], cut["2007/08"], live)
    assert local["files"] == [str(cut_source / "surveys" / "local-synthetic.csv")]
    assert local["reason"] == reason and local["accepted_as"] == "LOCAL:2007/08" and local["accepted_by"]
    taken = dt.datetime.fromisoformat(manifest["created"]) - dt.datetime.fromisoformat(local["accepted_at"])
    assert dt.timedelta(0) <= taken < dt.timedelta(minutes=5)
    assert accepted["crime:2009-02"]["accepted_as"] == "crime"
    assert manifest["control_totals"]["respondents"]["LOCAL"] == cut  # what the next ingest compares with
    report = (Store(store_copy).open().path / "ingest-report.txt").read_text()
    assert f"accepted (--accept-drop LOCAL:2007/08): {reason}" in report


def test_accept_drop_without_a_reason_is_a_usage_error(base, cut_source, capsys):
    before = _live(base / "store")
    assert main(["-q", "ingest", str(cut_source), "--store", str(base / "store"), "--accept-drop", "LOCAL"]) == 2
    assert capsys.readouterr().err == "dashboard ingest: --accept-drop needs --reason: say why the counts fell\n"
    assert _live(base / "store") == before


def test_the_manifest_counts_every_respondent_and_crime_row(base):
    totals = Store(base / "store").open().manifest["control_totals"]
    assert totals["respondents"]["LOCAL"] == _local_counts(base / "source")
    crime = {p.name[:7]: len(p.read_text(encoding="utf-8").splitlines()) - 1
             for p in (base / "source" / "crime").glob("*.csv")}
    assert totals["crime_rows"] == {"crime": crime}
