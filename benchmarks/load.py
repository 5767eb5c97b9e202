"""Load test: N simulated users against gunicorn on 127.0.0.1, bounded in time.

Run: python benchmarks/load.py [--users 100] [--seconds 60] [--store STORE] [--workers W]
Starts gunicorn with dashboard/gunicorn_conf.py on a free loopback port (the demo store is
generated if none is given), then each user, in its own thread, loops through what a person
does: open a page, switch the map's indicator, open an area profile, with a short think time.
Prints requests, errors and p50 / p95 / max latency per kind. Only 127.0.0.1 is contacted;
the loop stops by itself after --seconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the config's)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from _server import demo_store, gunicorn

    from tests.protocol import map_drawn, map_request, page_request

    with demo_store(args.store) as store, gunicorn(store, args.workers) as base:
        first = requests.post(base + "/_dash-update-component", json=map_request("confidence_local", None), timeout=60)
        figure = map_drawn(first.json())
        codes = ["HE01", "NW05", "SW10", "SH07", "TW03"]
        indicators = ["confidence_local", "worry_burglary", "unsafe_after_dark", "spi2a_local", "kdi_local"]
        results: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds

        def user(seed: int) -> None:
            rnd = random.Random(seed)
            session = requests.Session()
            session.headers["Accept-Encoding"] = "gzip"
            while time.monotonic() < deadline:
                kind, method, url, body = rnd.choice([
                    ("index", "GET", "/", None),
                    ("overview page", "POST", "/_dash-update-component", page_request("/")),
                    ("map switch", "POST", "/_dash-update-component",
                     map_request(rnd.choice(indicators), figure)),
                    ("area profile", "POST", "/_dash-update-component", page_request(f"/area/{rnd.choice(codes)}")),
                ])
                t = time.perf_counter()
                try:
                    r = session.request(method, base + url, json=body, timeout=30)
                    ok = r.status_code == 200
                except requests.RequestException:
                    ok = False
                ms = 1000 * (time.perf_counter() - t)
                with lock:
                    results[kind].append(ms)
                    if not ok:
                        errors[kind] += 1
                time.sleep(rnd.uniform(0.5, 2.0))  # think time

        threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        total = sum(len(v) for v in results.values())
        print(f"{args.users} users for {args.seconds:g} s: {total:,} requests, {sum(errors.values())} errors")
        print(f"{'request':<16} {'count':>7} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for kind, times in sorted(results.items()):
            q = statistics.quantiles(times, n=20, method="inclusive") if len(times) > 1 else times * 19
            print(f"{kind:<16} {len(times):>7,} {errors[kind]:>7} {statistics.median(times):>8.0f} {q[18]:>8.0f} "
                  f"{max(times):>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
