"""A new snapshot published while gunicorn serves: requests before the switch see the old data,
after it the new, and no response ever mixes the two."""

from __future__ import annotations

import re
import threading
import time

import requests

from dashboard.data.store import Store
from dashboard.ingest import run_ingest
from tests.conftest import without_panel_tables
from tests.localserve import gunicorn
from tests.protocol import page_request

PAGE = page_request("/")



def test_publish_while_serving(mini_source, tmp_path):
    store = tmp_path / "store"
    assert run_ingest(mini_source, store).code == 0
    old_id = Store(store).current_id()
    # The new data set differs visibly: another seed gives other estimates.
    from dashboard.data.demo import write_demo

    other = tmp_path / "other"
    write_demo(other, seed=99, scale=0.1, crime_months=1)
    without_panel_tables(other)
    with gunicorn(store, workers=2) as base:
        assert requests.get(base + "/health", timeout=5).json()["snapshot"] == old_id
        seen: list[tuple[float, str]] = []
        stop = threading.Event()

        def hammer():
            while not stop.is_set():
                started = time.monotonic()
                r = requests.post(base + "/_dash-update-component", json=PAGE, timeout=30)
                assert r.status_code == 200
                ids = set(re.findall(r"Snapshot (\d{8}T\d+Z)", r.text))
                assert len(ids) == 1, ids  # the header names exactly one snapshot
                seen.append((started, time.monotonic(), ids.pop(), r.text))

        workers = [threading.Thread(target=hammer) for _ in range(3)]
        for w in workers:
            w.start()
        # Publish only once some requests have been answered from the old snapshot (a busy
        # machine may take more than a second for the first ones).
        deadline = time.monotonic() + 60
        while len(seen) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        published_at = time.monotonic()
        assert run_ingest(other, store).code == 0
        done_at = time.monotonic()
        new_id = Store(store).current_id()
        # Keep asking until a request begun after the publish has been answered: the old page now
        # comes from the answer cache at once, the new one is made cold (seconds on a busy machine).
        deadline = time.monotonic() + 60
        while not any(start > done_at for start, *_ in seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        stop.set()
        for w in workers:
            w.join()
        assert new_id != old_id
        assert requests.get(base + "/health", timeout=5).json()["snapshot"] == new_id
        # Requests that finished before the publish began saw the old data; requests that began
        # after it had finished saw the new. Those in flight across the switch may see either.
        before = [s for _, end, s, _ in seen if end < published_at]
        after = [s for start, _, s, _ in seen if start > done_at]
        assert before and set(before) == {old_id}
        assert after and set(after) == {new_id}
        # Never a mixture: every response's numbers are those of the snapshot it names.
        expected = {}
        for sid in (old_id, new_id):
            est = Store(store).open(sid).table("estimates")
            row = est[(est.indicator == "spi1e") & (est.level == "force") & (est.subgroup == "all")]
            expected[sid] = f"{row.sort_values('period')['value'].iloc[-1]:.1f}%"
        assert expected[old_id] != expected[new_id]
        for _, _, sid, text in seen:
            assert expected[sid] in text
            other_sid = new_id if sid == old_id else old_id
            assert f"Snapshot {other_sid}" not in text


def test_health_without_data(tmp_path):
    from dashboard.app import create_app

    client = create_app(tmp_path / "none").server.test_client()
    r = client.get("/health")
    assert r.status_code == 503 and r.get_json()["status"] == "no data"
    assert client.get("/assets/dashboard.css").headers["Cache-Control"].startswith("public")
