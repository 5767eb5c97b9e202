"""Shared fixtures. Paths come from this file's location; data sets are built once per session."""

from __future__ import annotations

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

    out = tmp_path_factory.mktemp("mini-source")
    write_demo(out, seed=7, scale=0.1, crime_months=1)
    return without_panel_tables(out)


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory) -> Path:
    from dashboard.data.demo import write_demo

    out = tmp_path_factory.mktemp("demo-source")
    write_demo(out)
    return out


@pytest.fixture(scope="session")
def demo_store(demo_source, tmp_path_factory) -> Path:
    from dashboard.ingest import run_ingest

    store = tmp_path_factory.mktemp("demo-store")
    result = run_ingest(demo_source, store)
    assert result.code == 0, result.findings.report_text("demo ingest failed")
    return store


@pytest.fixture(scope="session")
def null_store(tmp_path_factory) -> Path:
    """The demo's null world (`dashboard demo --null-world`), ingested: every true probability is
    the same in every year, so any change between years that the ingest finds is noise."""
    from dashboard.data.demo import write_demo
    from dashboard.ingest import run_ingest

    source = tmp_path_factory.mktemp("null-source")
    write_demo(source, null_world=True)
    without_panel_tables(source)
    store = tmp_path_factory.mktemp("null-store")
    result = run_ingest(source, store)
    assert result.code == 0, result.findings.report_text("null-world demo ingest failed")
    return store


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
    from dashboard.ingest import run_ingest

    source = tmp_path_factory.mktemp("quarter-source")
    write_demo(source, scale=0.25)
    without_panel_tables(source)
    store = tmp_path_factory.mktemp("quarter-store")
    result = run_ingest(source, store)
    assert result.code == 0, result.findings.report_text("quarter-scale demo ingest failed")
    return store


@dataclass(frozen=True)
class PublishedExample:
    """An example force (`dashboard demo --force NAME`): its source directory, the store it was
    ingested into, and that ingest's result (None for west-mercia, ingested by ``demo_store``)."""

    name: str
    source: Path
    store: Path
    result: object = None


class _OncePerName(dict):
    """name -> value, made on first use and kept; a failure is kept too and raised again, so a
    broken example costs one attempt per session, not one per test."""

    def __init__(self, make):
        super().__init__()
        self._make = make

    def __missing__(self, name):
        try:
            value = self._make(name)
        except (Exception, pytest.skip.Exception, pytest.fail.Exception) as exc:
            value = exc
        self[name] = value
        return value

    def __getitem__(self, name):
        value = super().__getitem__(name)
        if isinstance(value, BaseException):
            raise value
        return value


@pytest.fixture(scope="session")
def example_sources(request, tmp_path_factory) -> dict[str, Path]:
    """Each example force's source directory, written on first use (west-mercia: ``demo_source``;
    west-mercia-wards needs the real public data beside the repository)."""
    from dashboard.data.examples import write_example

    def make(name: str) -> Path:
        if name == "west-mercia":
            return request.getfixturevalue("demo_source")
        shared = need_shared_data() if name == "west-mercia-wards" else None
        out = tmp_path_factory.mktemp(f"example-{name}")
        write_example(name, out, shared=shared)
        return out

    return _OncePerName(make)


@pytest.fixture(scope="session")
def example_stores(request, example_sources, tmp_path_factory) -> dict[str, PublishedExample]:
    """Each example force ingested once per session, on first use; the ingest must have no error."""
    from dashboard.ingest import run_ingest

    def make(name: str) -> PublishedExample:
        if name == "west-mercia":
            return PublishedExample(name, example_sources[name], request.getfixturevalue("demo_store"))
        store = tmp_path_factory.mktemp(f"example-{name}-store")
        result = run_ingest(example_sources[name], store)
        assert result.code == 0 and not result.findings.errors, result.findings.report_text(f"{name} ingest failed")
        return PublishedExample(name, example_sources[name], store, result)

    return _OncePerName(make)
