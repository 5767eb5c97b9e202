"""Background jobs (dashboard/jobs.py) with a real redis-server and real Celery worker processes.

A snapshot of the mini source is published with Redis configured: the publish queues its job,
/pack says "being prepared" until a worker has built the packs, then serves the file. The job
survives `kill -9` of the worker running it (acknowledged late, given back after the
visibility timeout, finished by another worker), and a pack rebuilt by another worker, or in
the publishing process without Redis, has the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.app import PACK_CLASS
from tests.conftest import REPO, need
from tests.protocol import fetch_pack

# This session's ports are 19400-19499 (Redis on 19401); the first free one from there is taken.
REDIS_PORTS = (19401, *range(19441, 19500))
VISIBILITY = 8  # seconds before a dead worker's job is given to another (production: 900)


def _wait(what: str, check, timeout: float, proc: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} not within {timeout:g} s\n{tail}")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    need(bool(shutil.which("redis-server")), "redis-server is needed (apt-get install redis-server)")
    import redis

    folder = tmp_path_factory.mktemp("redis")
    port = next(p for p in REDIS_PORTS if _free(p))
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)

    def up():
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    try:
        _wait("redis-server answering", up, 10, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def env(redis_url):
    """This process and its workers on the test's Redis, with a short visibility timeout."""
    values = {"DASHBOARD_REDIS_URL": redis_url, "DASHBOARD_JOB_VISIBILITY_SECONDS": str(VISIBILITY)}
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    yield {**os.environ, "PYTHONPATH": str(REPO)}
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


class Worker:
    """`celery -A dashboard.jobs worker` in its own process group (so kill -9 takes its pool too)."""

    def __init__(self, env: dict, folder: Path, name: str):
        self.log = folder / f"worker-{name}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dashboard.jobs", "worker", "--concurrency", "1", "--pool",
             "prefork", "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            env=env, cwd=REPO, stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def published(env, mini_source, tmp_path_factory):
    """The mini source published with Redis configured: its job is queued, no worker runs yet."""
    from dashboard.data.store import Store
    from dashboard.ingest import run_ingest

    store = tmp_path_factory.mktemp("jobs") / "store"
    result = run_ingest(mini_source, store, prepare=True)
    assert result.code == 0
    return Store(store), result.snapshot_id


@pytest.fixture(scope="module")
def client(published):
    from dashboard.app import create_app

    return create_app(published[0].root).server.test_client()


def _packs(store, snapshot_id) -> dict[str, bytes | None]:
    from dashboard.jobs import pack_steps

    return {s.name: store.read_artifact(snapshot_id, s.name) for s in pack_steps(store, snapshot_id)}


def _button(client, division: str = "all") -> tuple[str, str, str | None, bool]:
    """(label, class, download attribute, polling) of the header's pack button."""
    from tests.protocol import pack_readiness_request

    r = client.post("/_dash-update-component", json=pack_readiness_request(division))
    assert r.status_code == 200, r.data[:300]
    out = r.json["response"]
    link = out["pack-link"]
    return link["children"], link["className"], link.get("download"), not out["pack-poll"]["disabled"]


def _received(worker: Worker) -> set[str]:
    """Ids of the prepare_snapshot tasks a worker received (its log)."""
    return set(re.findall(r"Task dashboard\.prepare_snapshot\[([0-9a-f-]+)\] received", worker.log.read_text()))


def test_a_publish_queues_the_packs_and_the_job_survives_kill_9_of_its_worker(published, client, env, tmp_path):
    """Publish (queued) -> "being prepared" -> worker A builds a pack -> kill -9 A (with its pool)
    -> worker B is given the same task after the visibility timeout and finishes -> the file."""
    from dashboard.jobs import Progress, enqueue

    store, sid = published
    names = list(_packs(store, sid))
    assert names[0] == "pack-all.pdf" and len(names) == 6  # the force and its five divisions; no panel tables
    assert Progress.read(store, sid).state == "queued"
    assert not enqueue(store, sid)  # the publish's job is known: not queued twice
    before = client.get("/pack/all.pdf")
    assert before.status_code == 202 and before.headers["Retry-After"] and before.mimetype == "text/html"
    assert b"is being prepared" in before.data and before.headers["Cache-Control"] == "no-store"
    # Queued: the button says so, is disabled and asks again (no count before a worker starts it).
    assert _button(client) == ("Meeting pack (being prepared…)", PACK_CLASS + " disabled", None, True)

    a = Worker(env, tmp_path, "a")
    try:
        _wait("worker A to build a pack", lambda: sum(v is not None for v in _packs(store, sid).values()) >= 1,
              90, a.proc, a.log)
        a.kill()
    finally:
        a.stop()
    progress = Progress.read(store, sid)
    assert progress.state == "running" and progress.done < 6, progress  # killed part-way
    missing = next(n for n, pdf in _packs(store, sid).items() if pdf is None)
    division = missing[len("pack-"):-len(".pdf")]
    during = client.get(f"/pack/{division}.pdf")
    assert during.status_code == 202 and f"being prepared ({progress.done + 1} of 6)".encode() in during.data
    label, css, download, polling = _button(client, division)
    assert label == f"Meeting pack (being prepared {progress.done + 1} of 6…)" and "disabled" in css and polling

    b = Worker(env, tmp_path, "b")
    try:
        _wait("worker B to finish the job", lambda: Progress.read(store, sid).state == "done", 90, b.proc, b.log)
        # An area's one-page profile is built by a worker when first asked for, then kept.
        code = store.open(sid).table("areas")["area_code"].iloc[0]
        first = client.get(f"/profile/{code}.pdf")
        assert first.status_code == 202 and b"area profile for" in first.data
        profile = fetch_pack(client.get, f"/profile/{code}.pdf", timeout=90)
    finally:
        b.stop()
    assert profile.status_code == 200 and profile.data.startswith(b"%PDF-")
    assert store.read_artifact(sid, f"profile-{code}.pdf") == profile.data
    assert "dashboard.build_profile" in b.log.read_text()
    assert _received(a) == _received(b) and len(_received(a)) == 1  # the same task, given back and finished
    packs = _packs(store, sid)
    assert Progress.read(store, sid) == Progress("done", 6, 6) and all(packs.values())
    started = time.monotonic()
    after = client.get(f"/pack/{division}.pdf")
    print(f"/pack/{division}.pdf answered in {time.monotonic() - started:.3f} s once built")
    assert after.status_code == 200 and after.data.startswith(b"%PDF-") and after.data == packs[missing]
    assert after.headers["Content-Disposition"] == f'attachment; filename="meeting-pack-{division}-{sid}.pdf"'
    assert _button(client, division) == ("Meeting pack (PDF)", PACK_CLASS, "", False)  # ready: polling stops
    assert client.get("/pack/XX.pdf").status_code == 404


def test_without_redis_a_lost_pack_is_rebuilt_with_the_same_bytes(published, client, monkeypatch):
    """One machine (no Redis): a pack lost is built in a thread of the serving process when asked
    for (202 until then), and after_publish builds what is missing before it returns; a pack
    rebuilt in another process, minutes later, has the worker's bytes."""
    from dashboard.jobs import after_publish

    store, sid = published
    built = _packs(store, sid)
    assert all(built.values())
    monkeypatch.setenv("DASHBOARD_REDIS_URL", "")
    (store.artifacts_dir / sid / "pack-TW.pdf").unlink()
    first = client.get("/pack/TW.pdf")
    assert first.status_code == 202 and b"being prepared (1 of 1)" in first.data
    assert _button(client, "TW")[0] == "Meeting pack (being prepared 1 of 1…)"
    assert fetch_pack(client.get, "/pack/TW.pdf", timeout=120).data == built["pack-TW.pdf"]
    (store.artifacts_dir / sid / "pack-SH.pdf").unlink()
    for marker in (store.artifacts_dir / sid).glob("warmed-*.json"):  # the worker warmed Redis
        marker.unlink()
    after_publish(store.root, sid)  # in this process, before it returns
    assert _packs(store, sid) == built
    # ... and it warmed this machine's answer cache: a new instance's first user, opening the
    # board for a division, is answered from it, every callback of the page.
    from dashboard.app import create_app
    from dashboard.cache import cacheable
    from dashboard.live import snapshot_config
    from dashboard.protocol import PageDriver

    class Recording(PageDriver):
        def post(self, body):
            response = super().post(body)
            if cacheable(body):  # the pack button's answer never is (it reads whether the pack is built)
                seen.append(response.headers.get("X-Cache"))
            return response

    seen: list[str | None] = []
    app = create_app(store.root)
    division = snapshot_config(store.open()).divisions[0].code
    driver = Recording(app, app.server.test_client(), skip=lambda o: o.endswith("download.data"))
    driver.open("/", f"#division={division}")
    assert len(seen) > 2 and set(seen) == {"hit"}, seen


def test_the_job_has_a_pack_for_every_division_and_for_the_panels_own_tables(demo_store):
    """West Mercia's demo has panel tables: 2 x (force + 5 divisions) packs; a panel reader gets
    the panel's, everyone else the published one (nothing is built here)."""
    from dashboard.data.store import Store
    from dashboard.jobs import pack_steps, pack_variant
    from dashboard.live import snapshot_config

    store = Store(demo_store)
    sid = store.current_id()
    divisions = ["all", *(d.code for d in snapshot_config(store.open()).divisions)]
    assert [s.name for s in pack_steps(store, sid)] == [f"pack-{d}.pdf" for d in divisions] + \
        [f"pack-panel-{d}.pdf" for d in divisions]
    assert pack_variant(store.open(sid, "panel")) == "panel" and pack_variant(store.open(sid)) is None
