"""Meeting packs under load, once prebuilt: 10 at once, and what they do to the overview.

Run: python benchmarks/packs.py [--store STORE] [--port 19460] [--workers W] [--seconds 15]

Without --store, the demo set is generated and published into a temporary store the way the
command line publishes (``run_ingest(..., prepare=True)``: without DASHBOARD_REDIS_URL the packs
are built in this process before it returns; the time is printed). Then gunicorn
(dashboard/gunicorn_conf.py) serves it on 127.0.0.1:PORT and this script

1. times the overview page's callback alone (idle p50 / p95),
2. requests 10 packs at once (the force's and the divisions', in turn) and prints each answer's
   status, size and time (goal: under 1 s each),
3. keeps 10 clients asking for packs for --seconds (each waits --think seconds on average
   between packs) while timing the overview callback again (goal: p95 within 20% of idle).

Only 127.0.0.1 is contacted. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _publish_demo(folder: Path) -> Path:
    from dashboard.data.demo import write_demo
    from dashboard.ingest import run_ingest

    write_demo(folder / "src")
    started = time.monotonic()
    result = run_ingest(folder / "src", folder / "store", prepare=True)
    assert result.code == 0, "the demo did not publish"
    print(f"published the demo with its packs prepared in {time.monotonic() - started:.1f} s "
          f"({'queued on Redis' if os.environ.get('DASHBOARD_REDIS_URL') else 'built in this process'})")
    return folder / "store"


def _serve(store: Path, port: int, workers: int | None):
    env = {**os.environ, "DASHBOARD_STORE": str(store), "BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "warning",
           "DASHBOARD_AUDIT_LOG": os.devnull}
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "dashboard/gunicorn_conf.py",
                             "--access-logfile", "/dev/null", "dashboard.app:server"], cwd=REPO, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/health", timeout=5).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"gunicorn did not answer on {base}")


def _overview(session: requests.Session, base: str) -> float:
    from tests.protocol import page_request

    t = time.perf_counter()
    r = session.post(base + "/_dash-update-component", json=page_request("/"), timeout=60)
    r.raise_for_status()
    return time.perf_counter() - t


def _pack(base: str, division: str) -> tuple[str, int, int, float]:
    t = time.perf_counter()
    r = requests.get(f"{base}/pack/{division}.pdf", timeout=300)
    return division, r.status_code, len(r.content), time.perf_counter() - t


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--port", type=int, default=19460)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the config's)")
    parser.add_argument("--seconds", type=float, default=15, help="how long 10 clients keep asking for packs")
    parser.add_argument("--probes", type=int, default=60, help="overview requests timed while idle")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean seconds each pack client waits before asking again (0: as fast as it can)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or _publish_demo(Path(tmp))
        from dashboard.data.store import Store
        from dashboard.live import snapshot_config

        divisions = ["all", *(d.code for d in snapshot_config(Store(store).open()).divisions)]
        proc, base = _serve(store, args.port, args.workers)
        try:
            session = requests.Session()
            for _ in range(3):
                _overview(session, base)  # warm: the first answers read the tables
            idle = [_overview(session, base) for _ in range(args.probes)]

            asked = [divisions[i % len(divisions)] for i in range(10)]
            with ThreadPoolExecutor(10) as pool:
                answers = list(pool.map(lambda d: _pack(base, d), asked))
            print("10 packs requested at once:")
            for division, status, size, seconds in answers:
                print(f"  /pack/{division}.pdf  {status}  {size:>9,} bytes  {seconds * 1000:8.0f} ms")
            print(f"  slowest {max(a[3] for a in answers) * 1000:.0f} ms (goal: each under 1,000 ms)")

            during: list[float] = []
            served = [0]
            stop = time.monotonic() + args.seconds

            def client(i: int) -> None:
                rnd = random.Random(i)
                while time.monotonic() < stop:
                    _pack(base, divisions[i % len(divisions)])
                    served[0] += 1
                    time.sleep(rnd.uniform(0, 2 * args.think))

            threads = [threading.Thread(target=client, args=(i,)) for i in range(10)]
            for th in threads:
                th.start()
            while time.monotonic() < stop:
                during.append(_overview(session, base))
            for th in threads:
                th.join()
            ratio = _p95(during) / _p95(idle)
            print(f"overview callback, idle:   n={len(idle):>4}  p50 {statistics.median(idle) * 1000:6.0f} ms  "
                  f"p95 {_p95(idle) * 1000:6.0f} ms")
            print(f"overview callback, during: n={len(during):>4}  p50 {statistics.median(during) * 1000:6.0f} ms  "
                  f"p95 {_p95(during) * 1000:6.0f} ms  ({served[0]:,} packs served to 10 clients in "
                  f"{args.seconds:g} s, think {args.think:g} s)")
            print(f"p95 during / idle: {ratio:.2f} (goal: at most 1.20)")
        finally:
            proc.terminate()
            proc.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
