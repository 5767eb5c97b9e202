"""Shared by the benchmarks: a demo store; gunicorn comes from ``dashboard.proxy``."""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.localserve import gunicorn  # noqa: E402,F401  (re-exported for the scripts)


@contextlib.contextmanager
def demo_store(store: Path | None):
    """The given store, or the demo set generated and ingested into a temporary one."""
    if store is not None:
        yield store
        return
    from dashboard.data.demo import write_demo
    from dashboard.ingest import run_ingest

    with tempfile.TemporaryDirectory() as tmp:
        write_demo(Path(tmp) / "src")
        assert run_ingest(Path(tmp) / "src", Path(tmp) / "store").code == 0
        yield Path(tmp) / "store"
