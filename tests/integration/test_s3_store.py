"""The store in a real S3 server (SeaweedFS on loopback, tests/weed.py): published, served, switched
and tidied with the guarantees of a store directory (dashboard/data/store_s3.py)."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
from flask import g

from dashboard.app import create_app
from dashboard.data.store import (
    OPEN_SNAPSHOTS,
    Store,
    StoreBusy,
    StoreError,
    UnknownSnapshot,
    open_snapshot_keys,
    snapshot_at,
)
from dashboard.ingest import run_ingest
from tests.protocol import page_request


@pytest.fixture(scope="module")
def published(s3_server, demo_store):
    """(uri, id): an S3 store in a new bucket holding the demo's snapshot, copied through the store
    API (the second test publishes the next one with a real ingest)."""
    from dashboard.cli import main

    uri = s3_server.store_uri()
    assert main(["copy-snapshot", "--from", str(demo_store), "--store", uri]) == 0
    return uri, Store(uri).current_id()


def _page_snapshot(client) -> set[str]:
    r = client.post("/_dash-update-component", json=page_request("/"))
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return set(re.findall(r"Snapshot (\d{8}T\d+Z)", r.get_data(as_text=True)))


def test_a_copied_snapshot_reads_back_exactly(published, demo_store):
    uri, first = published
    store = Store(uri)
    assert type(store).__name__ == "ObjectStore" and store.current_id() == first
    assert store.snapshot_ids() == [first]
    local, remote = Store(demo_store).open(), store.open()
    assert remote.key.startswith("s3://") and remote.path is None and remote.id == first
    for name in ("estimates", "areas", "boundaries_display"):
        pd.testing.assert_frame_equal(remote.table(name), local.table(name))
    assert remote.read_text("force.toml") == local.read_text("force.toml")
    assert remote.manifest["copied_from"] == local.id
    # The panel's view reads its own tables, and the shared ones once, from the snapshot.
    panel = store.open(variant="panel")
    assert panel.table("areas") is remote.table("areas")
    pd.testing.assert_frame_equal(panel.table("estimates"), Store(demo_store).open(variant="panel").table("estimates"))
    assert store.read_text("HISTORY.log").split()[1:] == ["publish", first, "(was", "none)"]


def test_served_then_switched_while_a_request_is_pinned(published, mini_source):
    uri, first = published
    app = create_app(uri)
    client = app.server.test_client()
    assert client.get("/health").get_json()["snapshot"] == first
    assert _page_snapshot(client) == {first}

    from dashboard.live import current_snapshot

    with app.server.test_request_context("/"):
        pinned = current_snapshot()
        old_rows = len(pinned.table("estimates"))
        # A real ingest publishes the next snapshot while this request runs.
        result = run_ingest(mini_source, uri, accept_drops=("all",), reason="a smaller data set, on purpose")
        assert result.code == 0, result.findings.report_text("ingest into S3")
        second = result.snapshot_id
        assert Store(uri).current_id() == second
        assert current_snapshot() is pinned and g.snapshots[None].id == first
        assert len(pinned.table("estimates")) == old_rows  # already read
        assert len(pinned.table("trends")) > 0  # read now, after the switch: still the old snapshot's
    assert client.get("/health").get_json()["snapshot"] == second
    assert _page_snapshot(client) == {second}
    new = Store(uri).open()
    assert len(new.table("estimates")) != old_rows
    assert Store(uri).snapshot_ids() == [first, second]
    # Both snapshots' key are open; a third drops the least recently used (memory: issue 14).
    assert {pinned.key, new.key} <= open_snapshot_keys()


def test_an_incomplete_snapshot_is_never_served(published):
    uri, _ = published
    store = Store(uri)
    live = store.current_id()
    staged = store.stage("29991231T000000000000Z")
    staged.write_table(pd.DataFrame({"area_code": ["X"]}), "areas")
    staged.write_text("manifest.json", json.dumps({"snapshot_id": "29991231T000000000000Z"}))  # kept back
    assert staged.manifest is not None and "29991231T000000000000Z" not in store.snapshot_ids()
    with pytest.raises(StoreError, match="not complete"):
        store.open("29991231T000000000000Z")
    client = create_app(uri).server.test_client()
    assert client.get("/health").get_json()["snapshot"] == live
    # Even CURRENT naming it (by hand: publish never does) serves nothing rather than half a snapshot.
    store._point_to("29991231T000000000000Z")
    try:
        r = client.get("/health")
        assert r.status_code == 503 and "not complete" in r.get_json()["detail"]
    finally:
        store._point_to(live)
    # The next ingest to take the lock removes what the unfinished one left.
    with store.lock():
        pass
    assert not store._files("snapshots/29991231T000000000000Z")
    assert client.get("/health").get_json()["snapshot"] == live


def test_respondent_rows_are_refused_in_an_object_store_too(published):
    store = Store(published[0])
    staged = store.stage("29990101T000000000000Z")
    with pytest.raises(StoreError, match="respondent-level"):
        staged.write_table(pd.DataFrame({"respondent_id": [1]}), "answers")
    buffer = io.BytesIO()
    pd.DataFrame({"respondent_id": [1], "q1": [2]}).to_parquet(buffer)
    staged.write_bytes("answers.parquet", buffer.getvalue())  # as a copy of a bad snapshot would
    staged.write_text("manifest.json", "{}")
    with pytest.raises(StoreError, match="answers.parquet holds respondent-level rows"):
        store.publish(staged)
    assert not store._files("snapshots/29990101T000000000000Z") and "29990101T000000000000Z" not in store.snapshot_ids()


def test_artifacts_lock_and_rollback(published):
    store = Store(published[0])
    live = store.current_id()
    assert store.read_artifact(live, "pack-all.pdf") is None
    store.write_artifact(live, "pack-all.pdf", b"%PDF-1.7 whole")
    assert Store(published[0]).read_artifact(live, "pack-all.pdf") == b"%PDF-1.7 whole"
    with pytest.raises(UnknownSnapshot):
        store.write_artifact("20000101T000000000000Z", "pack-all.pdf", b"x")
    for bad in ("../CURRENT", ".hidden", ""):
        with pytest.raises(StoreError, match="plain file name"):
            store.read_artifact(live, bad)
    # The lock is a conditional PUT: a second holder is refused at once and told who holds it.
    with store.lock(), pytest.raises(StoreBusy, match="lock held by"), Store(published[0]).lock():
        pass
    # A lock left by a process that no longer runs on this host is taken over.
    store._put(".lock", json.dumps({"host": __import__("socket").gethostname(), "pid": 2**22 + 7,
                                   "since": "2026-01-01T00:00:00+00:00"}).encode())
    old, new = store.rollback()
    assert (old, new) == (live, store.snapshot_ids()[0]) and store.current_id() == new
    assert store._get(".lock") is None  # released
    assert store.live_stack()[-1] == new
    assert store.activate(old) == (new, old) and store.current_id() == old


def test_only_the_open_snapshots_are_kept(published, demo_store):
    """A process keeps OPEN_SNAPSHOTS snapshots' tables, and what was worked out from them
    (per_snapshot) goes with them."""
    from dashboard.views.select import _area_index

    uri, _ = published
    keys = [Store(uri).snapshot_key(i) for i in Store(uri).snapshot_ids()] + [Store(demo_store).open().key]
    for key in keys:
        _area_index(key, None)
    assert open_snapshot_keys() == set(keys[-OPEN_SNAPSHOTS:])
    assert _area_index.cache_len() == OPEN_SNAPSHOTS
    assert snapshot_at(keys[0]) is not snapshot_at(keys[0]).as_variant("panel")
