"""Memory of gunicorn workers across hot publishes: RSS and PSS of each worker once every page has
been served, then after each of several publishes (every page served again from the new snapshot).

Run from a checkout: ``python benchmarks/memory.py [--store DIR] [--publishes 3] [--workers 2]``.
The store is copied first (publishing changes it); without ``--store`` the demo set is generated
and ingested. Each publish is a copy of the live snapshot under a new id, published the way every
version of the store does (``staging_dir`` + ``publish`` under the lock), so the same script
measures older code (``PYTHONPATH=/path/to/older/checkout``). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import demo_store  # noqa: E402


def _status(pid: int, field: str, name: str = "status") -> int:
    """A /proc figure in kB (VmRSS from status, Pss from smaps_rollup)."""
    for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def workers_of(bind: str) -> list[int]:
    """The gunicorn workers serving ``bind``: processes with that BIND whose parent has it too."""
    mine = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            env = (d / "environ").read_bytes().split(b"\0")
            if f"BIND={bind}".encode() in env and b"gunicorn" in (d / "cmdline").read_bytes():
                mine[int(d.name)] = _status(int(d.name), "PPid")
        except OSError:
            continue
    return sorted(pid for pid, parent in mine.items() if parent in mine)


def publish_copy(store: Path) -> str:
    """Publish the live snapshot again under a new id (a hot publish of unchanged data)."""
    from dashboard.data.store import Store, new_snapshot_id

    s = Store(store)
    with s.lock():
        live = s.snapshots_dir / s.current_id()
        staged = s.staging_dir(new_snapshot_id())
        for p in live.iterdir():
            (shutil.copytree if p.is_dir() else shutil.copy2)(p, staged / p.name)
        return s.publish(staged)


def serve_everything(base: str, requests_each: int, pages: list[str], indicators: list[str]) -> None:
    import requests

    from tests.protocol import map_request, page_request

    bodies = [page_request(p) for p in pages] + [map_request(i, None) for i in indicators]

    def post(body):
        r = requests.post(base + "/_dash-update-component", json=body, timeout=300)
        r.raise_for_status()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(post, bodies * requests_each))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a published store to copy (default: the demo, generated)")
    parser.add_argument("--publishes", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="times every page is requested at each step")
    args = parser.parse_args()

    import dashboard
    from dashboard.proxy import gunicorn

    print(f"code: {Path(dashboard.__file__).resolve().parent}")
    with demo_store(args.store) as source, tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        shutil.copytree(source, store, ignore=shutil.ignore_patterns("artifacts", "reports"))
        from dashboard.data.store import Store
        from dashboard.live import snapshot_config
        from dashboard.views.select import area_indicators

        snapshot = Store(store).open()
        config = snapshot_config(snapshot)
        code = snapshot.table("areas")["area_code"].iloc[0]
        pages = ["/", "/map", "/trends", "/equality", "/matrix", "/worklist", "/data", f"/area/{code}"]
        indicators = [i.id for i in area_indicators(config)[:3]]
        with gunicorn(store, workers=args.workers) as base:
            bind = base.removeprefix("http://")
            pids = workers_of(bind)
            print(f"gunicorn workers {pids}; pages {len(pages)}, map indicators {len(indicators)}, "
                  f"{args.rounds} rounds each step")
            print(f"{'step':<22}" + "".join(f"{'RSS w' + str(k):>10}{'PSS w' + str(k):>10}" for k in range(len(pids)))
                  + f"{'RSS sum':>10}   (MiB)")

            def report(step: str) -> None:
                figures = [(_status(p, "VmRSS"), _status(p, "Pss", "smaps_rollup")) for p in pids]
                print(f"{step:<22}" + "".join(f"{r / 1024:>10.0f}{s / 1024:>10.0f}" for r, s in figures)
                      + f"{sum(r for r, _ in figures) / 1024:>10.0f}", flush=True)

            report("started")
            serve_everything(base, args.rounds, pages, indicators)
            report("every page served")
            for k in range(1, args.publishes + 1):
                started = time.monotonic()
                new = publish_copy(store)
                serve_everything(base, args.rounds, pages, indicators)
                report(f"publish {k} ({time.monotonic() - started:.0f} s)")
                assert Store(store).current_id() == new
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DASHBOARD_AUTH", "none")
    sys.exit(main())
