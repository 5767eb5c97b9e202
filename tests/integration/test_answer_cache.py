"""Cached answers (dashboard/cache.py) on a real Redis and on the filesystem cache: the same
bytes as Dash's own answer, shared between instances, never across roles or snapshots, never
for a refused body, and downloads audited when served from the cache."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import redis

from dashboard.access import AccessSettings
from dashboard.app import create_app, page_paths
from dashboard.cache import KEY_PREFIX, cache_config, warm
from dashboard.data.store import Store, new_snapshot_id
from tests.conftest import need
from tests.protocol import download_request, map_request, page_request, state

REDIS_PORT = 19301  # this test's port (brief: ports 19300-19399)
CALLBACK = "/_dash-update-component"


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A real redis-server on loopback, in a folder of its own, killed after the module."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    need(Path(binary).is_file(), "redis-server is not installed (Debian package redis-server)")
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{REDIS_PORT}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis.from_url(url).ping():
                    break
            except redis.ConnectionError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture()
def fresh_redis(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    return client


def _app(store, redis_url=None, role="analyst", audit_log="-", cache_dir=None):
    environ = {"DASHBOARD_REDIS_URL": redis_url or "", "DASHBOARD_CACHE_DIR": str(cache_dir or "")}
    return create_app(store, AccessSettings(mode="none", no_signin_role=role, audit_log=audit_log),
                      cache=cache_config(environ))


def _post(app, body, **headers):
    return app.server.test_client().post(CALLBACK, json=body, headers=headers)


def _keys(client) -> list[bytes]:
    return list(client.scan_iter(KEY_PREFIX + "*"))


@pytest.fixture(params=["west-mercia", "eastmoor"])
def force_store(request, example_stores) -> tuple[str, Path]:
    return request.param, example_stores[request.param].store


def test_every_page_is_the_same_bytes_cached_and_served_by_a_second_instance(force_store, fresh_redis, redis_url):
    """Each page's body from Dash (a miss), then from the cache (a hit) through another app
    sharing the Redis: byte for byte the same, gzipped the same once inflated."""
    import gzip

    force, store = force_store
    first, second = _app(store, redis_url), _app(store, redis_url)
    area = Store(store).open().table("areas")["area_code"].iat[0]
    bodies = [page_request(p) for p in page_paths(area) if p != "/data"] + [map_request("confidence_local", None)]
    if force == "eastmoor":  # its indicators are not West Mercia's: the map asks for its first
        bodies = bodies[:-1]
    for body in bodies:
        made = _post(first, body)
        assert (made.status_code, made.headers["X-Cache"]) == (200, "miss"), body["inputs"]
        kept = _post(second, body)
        assert (kept.status_code, kept.headers["X-Cache"]) == (200, "hit"), body["inputs"]
        assert kept.data == made.data
        assert kept.content_type == made.content_type
        zipped = _post(second, body, **{"Accept-Encoding": "gzip"})
        assert zipped.headers["X-Cache"] == "hit" and zipped.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(zipped.data) == made.data
        # what every response carries is still added to a cached one
        assert zipped.headers["Cache-Control"] == "no-store" and "Content-Security-Policy" in zipped.headers
    assert len(_keys(fresh_redis)) == len(bodies)


def test_the_filesystem_cache_is_shared_by_instances_on_one_machine(demo_store, tmp_path):
    first, second = _app(demo_store, cache_dir=tmp_path), _app(demo_store, cache_dir=tmp_path)
    made = _post(first, page_request("/glossary"))
    kept = _post(second, page_request("/glossary"))
    assert (made.headers["X-Cache"], kept.headers["X-Cache"]) == ("miss", "hit")
    assert kept.data == made.data and json.loads(made.data)["response"]


def test_a_role_never_gets_another_roles_answer(demo_store, fresh_redis, redis_url, tmp_path):
    """The panel reads its own, more suppressed tables: its map differs from the analyst's. With the
    analyst's answer in the cache, the panel's request is a miss and gets the panel's answer."""
    body = map_request("confidence_local", None, division="HE")
    analyst = _post(_app(demo_store, redis_url, "analyst"), body)
    assert analyst.headers["X-Cache"] == "miss"
    panel = _post(_app(demo_store, redis_url, "panel"), body)
    assert panel.headers["X-Cache"] == "miss"
    alone = _post(_app(demo_store, role="panel", cache_dir=tmp_path), body)  # the panel's, uncached
    assert panel.data == alone.data
    assert panel.data != analyst.data  # a real difference: the key test is not vacuous
    again = _post(_app(demo_store, redis_url, "panel"), body)
    assert again.headers["X-Cache"] == "hit" and again.data == alone.data


def _republish(store: Path) -> str:
    """Publish the live snapshot's tables again as a new snapshot, through the store's publish."""
    target = Store(store)
    live = target.open()
    staged = target.staging_dir(new_snapshot_id())
    shutil.copytree(live.path, staged, dirs_exist_ok=True)
    manifest = json.loads((staged / "manifest.json").read_text())
    manifest["snapshot_id"] = staged.name
    (staged / "manifest.json").write_text(json.dumps(manifest))
    return target.publish(staged)


def test_a_publish_makes_new_keys_and_never_serves_the_old_answer(demo_store, fresh_redis, redis_url, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(demo_store, store)
    app = _app(store, redis_url)
    old = Store(store).open().id
    _post(app, page_request("/glossary"))
    cached = _post(app, page_request("/glossary"))
    assert cached.headers["X-Cache"] == "hit" and old in cached.text
    new = _republish(store)
    assert new != old
    after = _post(app, page_request("/glossary"))
    assert after.headers["X-Cache"] == "miss"
    assert new in after.text and old not in after.text
    assert len(_keys(fresh_redis)) == 2


def test_a_refused_body_never_reaches_the_cache(demo_store, fresh_redis, redis_url):
    app = _app(demo_store, redis_url)
    bad = map_request("confidence_local", None)
    bad["inputs"][0]["value"] = {"not": "a string"}
    for _ in range(2):
        response = _post(app, bad)
        assert response.status_code == 400 and "X-Cache" not in response.headers
    unknown = page_request("/")
    unknown["output"] = "nothing.children"
    assert _post(app, unknown).status_code == 400
    assert _keys(fresh_redis) == []


def test_uncacheable_answers_are_made_every_time(demo_store, fresh_redis, redis_url):
    """The data page (it shows the store's last rejected ingest) and Excel downloads (the
    workbook records when it was made) always come from Dash."""
    app = _app(demo_store, redis_url)
    xlsx = download_request("overview", "xlsx", [(state("division"), "value", "all")])
    for body in (page_request("/data"), xlsx):
        assert [_post(app, body).headers["X-Cache"] for _ in range(2)] == ["miss", "miss"]
    assert _keys(fresh_redis) == []


def test_a_download_from_the_cache_is_still_audited(demo_store, fresh_redis, redis_url, tmp_path):
    log = tmp_path / "audit.jsonl"
    body = download_request("overview", "csv", [(state("division"), "value", "all")])
    answers = [_post(_app(demo_store, redis_url, audit_log=str(log)), body) for _ in range(2)]
    assert [a.headers["X-Cache"] for a in answers] == ["miss", "hit"]
    assert answers[0].data == answers[1].data and json.loads(answers[1].data)["response"]["overview-download"]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["event"], e["what"]) for e in lines] == [("export", "overview-download")] * 2


def test_warmed_views_are_hits_for_the_first_users(demo_store, fresh_redis, redis_url):
    """warm() asks a page for the force and every division; a fresh instance asking the same views
    (as the browser does: the page, then its callbacks) adds no key: every answer was warm."""
    from dashboard.protocol import PageDriver

    warmed = warm(demo_store, roles=("command",), config=cache_config({"DASHBOARD_REDIS_URL": redis_url}),
                  areas=False, pages=["/"])
    keys = len(_keys(fresh_redis))
    assert warmed.answered == warmed.requests and keys > 5
    app = _app(demo_store, redis_url, role="command")
    driver = PageDriver(app, app.server.test_client(), skip=lambda o: o.endswith("download.data"))
    answers = driver.open("/", "#division=HE")
    assert answers["page"][0] == 200 and len(answers) > 2
    assert len(_keys(fresh_redis)) == keys
