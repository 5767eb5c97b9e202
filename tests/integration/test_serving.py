"""The app as gunicorn serves it: loads the live snapshot (never raw files), shows a real
overview table from the store, and asks for nothing outside the machine."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from dashboard.app import create_app, page_paths
from dashboard.data.store import Store
from dashboard.live import snapshot_config
from dashboard.views.overview import overview_frame
from tests.localserve import gunicorn
from tests.protocol import page_request

PAGE_CALLBACK = page_request("/")



@pytest.fixture(scope="module")
def served(demo_store):
    with gunicorn(demo_store, workers=2) as base:
        yield base


def _cells(payload: dict) -> dict[tuple[str, str], str]:
    """(indicator, geography) -> text of each cell of the overview table in a callback response."""
    found = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if "data-indicator" in props:
                found[(props["data-indicator"], props["data-geography"])] = json.dumps(props.get("children"))
            for v in props.values() if "props" in node else node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(payload)
    return found


def test_gunicorn_serves_the_overview_from_the_store(served, demo_store):
    index = requests.get(served + "/", timeout=10)
    assert index.status_code == 200 and '<html lang="en">' in index.text
    response = requests.post(served + "/_dash-update-component", json=PAGE_CALLBACK, timeout=30)
    assert response.status_code == 200
    cells = _cells(response.json())
    snapshot = Store(demo_store).open()
    frame = overview_frame(snapshot.table("estimates"), snapshot_config(snapshot))
    assert len(cells) == len(frame) > 40
    for row in frame.itertuples():
        text = cells[(row.indicator, row.geography_code)]
        assert f"{row.value:.1f}%" in text and f"n = {int(row.base):,}" in text
        assert f"95% CI {row.lower_95:.1f}\u2013{row.upper_95:.1f}" in text.encode().decode("unicode_escape")
    assert "Synthetic demonstration data" in response.text


def test_nothing_is_requested_from_outside(served):
    index = requests.get(served + "/", timeout=10).text
    urls = re.findall(r'(?:src|href)="([^"]+)"', index)
    assert urls and all(u.startswith("/") for u in urls), urls
    css = requests.get(served + "/assets/bootstrap.min.css", timeout=10)
    assert css.status_code == 200 and "Bootstrap" in css.text[:200]
    assert not re.search(r"url\((?!\"?data:)", css.text)


def test_every_worker_serves_the_bundles_before_any_page(demo_store):
    """A worker that has not rendered the index must still serve the page's scripts: the index
    and its bundles can go to different workers (Dash used to answer 500 there)."""
    from concurrent.futures import ThreadPoolExecutor

    index = create_app(demo_store).server.test_client().get("/").get_data(as_text=True)
    urls = [u for u in re.findall(r'src="([^"]+)"', index) if "_dash-component-suites" in u]
    assert len(urls) > 5
    with gunicorn(demo_store, workers=3) as base, ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda u: requests.get(base + u, timeout=30).status_code, urls * 4))
    assert codes == [200] * len(codes)


def test_scripts_and_styles_are_sent_gzipped_and_intact(served):
    """Every bundle the page loads arrives compressed (with threaded workers, in parallel) and
    decompresses to exactly what is sent uncompressed."""
    from concurrent.futures import ThreadPoolExecutor

    index = requests.get(served + "/", timeout=10).text
    urls = [u for u in re.findall(r'(?:src|href)="([^"]+)"', index) if u.endswith((".js", ".css")) or ".js?" in u
            or ".css?" in u]
    assert any("plotly" in u for u in urls) or len(urls) > 3, urls

    def fetch(url):
        zipped = requests.get(served + url, timeout=30)  # requests asks for gzip and inflates it
        plain = requests.get(served + url, headers={"Accept-Encoding": "identity"}, timeout=30)
        return url, zipped, plain

    with ThreadPoolExecutor(8) as pool:
        for url, zipped, plain in pool.map(fetch, urls * 2):
            assert zipped.status_code == plain.status_code == 200, url
            assert zipped.headers.get("Content-Encoding") == "gzip", url
            assert "Content-Encoding" not in plain.headers, url
            assert zipped.content == plain.content, url
            assert int(zipped.headers["Content-Length"]) < len(plain.content), url


def test_the_app_reads_only_the_snapshot(demo_store, demo_source, tmp_path):
    """With the raw input directory gone, the app still serves: it never reads raw files."""
    import shutil

    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    manifest = json.loads(next((store / "snapshots").glob("*/manifest.json")).read_text())
    assert Path(manifest["source_dir"]).exists()
    app = create_app(store)
    client = app.server.test_client()
    hidden = Path(manifest["source_dir"]).with_name("hidden-for-test")
    Path(manifest["source_dir"]).rename(hidden)
    try:
        assert client.get("/").status_code == 200
        assert client.post("/_dash-update-component", json=PAGE_CALLBACK).status_code == 200
    finally:
        hidden.rename(manifest["source_dir"])


def test_app_without_a_snapshot_explains_itself(tmp_path):
    app = create_app(tmp_path / "empty-store")
    client = app.server.test_client()
    response = client.post("/_dash-update-component", json=PAGE_CALLBACK)
    assert response.status_code == 200
    assert "No data published yet" in response.text and "dashboard ingest" in response.text


@pytest.mark.parametrize("path", page_paths("HE01"))
def test_no_page_sends_respondent_rows(demo_store, path):
    """Pages carry aggregates only: no respondent id ever reaches the browser."""
    client = create_app(demo_store).server.test_client()
    response = client.post("/_dash-update-component", json=page_request(path))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert not re.search(r"(USS|BCS|LCS)\d{4}-\d{4,5}", text)
    assert "respondent_id" not in text
