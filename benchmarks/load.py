"""Load test: N simulated users against gunicorn on 127.0.0.1 (or a running front), bounded in time.

Run: python benchmarks/load.py [--users 100] [--seconds 60] [--store STORE] [--workers W] [--port P]
     python benchmarks/load.py --base https://127.0.0.1:8443 [--insecure]
Without --base it starts gunicorn with dashboard/gunicorn_conf.py on loopback (the demo store
is generated if none is given), its answer cache in a temporary folder, and warms that cache
first with ``dashboard.cache.warm`` as a publish does. With --base it targets a front that is
already running (the deployment's nginx, with one or more instances), whose cache the
operator warmed (``dashboard warm --store S``). Either way each distinct request of the mix is
sent once before the clock starts (the "first pass" line says how many were warm already).

Then each user, in its own thread, loops through what a person does: open a page, switch the
map's indicator, open an area profile, with a think time of 0.5-2 s. Prints requests, errors,
requests/s, the share of callback answers served from the cache (``X-Cache: hit``) and p50 /
p95 / max latency per kind. Only the given or started server is contacted; the loop stops by
itself after --seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

CODES = ["HE01", "NW05", "SW10", "SH07", "TW03"]
INDICATORS = ["confidence_local", "worry_burglary", "unsafe_after_dark", "spi2a_local", "kdi_local"]
CALLBACK = "/_dash-update-component"


def _mix(figure: str) -> dict[str, list[tuple[str, str, dict | None]]]:
    """kind -> the (method, path, body) of that kind a user picks from (a kind, then one of its requests)."""
    from dashboard.protocol import map_request, page_request

    return {"index": [("GET", "/", None)], "overview page": [("POST", CALLBACK, page_request("/"))],
            "map switch": [("POST", CALLBACK, map_request(i, figure)) for i in INDICATORS],
            "area profile": [("POST", CALLBACK, page_request(f"/area/{c}")) for c in CODES]}


@contextlib.contextmanager
def _target(args):
    """(base URL, requests verify) of the server under test: --base, or gunicorn started and warmed here."""
    if args.base:
        yield args.base.rstrip("/"), not args.insecure
        return
    from _server import demo_store, gunicorn

    from dashboard.cache import cache_config, warm

    with demo_store(args.store) as store, tempfile.TemporaryDirectory(prefix="answers-") as answers:
        env = {"DASHBOARD_CACHE_DIR": answers, "DASHBOARD_REDIS_URL": os.environ.get("DASHBOARD_REDIS_URL", "")}
        if not args.no_warm:
            warmed = warm(store, roles=("analyst",), config=cache_config(env))
            print(f"warmed snapshot {warmed.snapshot_id}: {warmed.requests:,} answers in {warmed.seconds:.0f} s")
        with gunicorn(store, args.workers, env=env, port=args.port) as base:
            yield base, True


def _report(args, results, errors, hits, callbacks, seconds: float) -> None:
    total = sum(len(v) for v in results.values())
    print(f"{args.users} users for {args.seconds:g} s: {total:,} requests, {sum(errors.values())} errors, "
          f"{total / args.seconds:.1f} requests/s; cache hits {hits:,} of {callbacks:,} callback answers "
          f"({100 * hits / max(callbacks, 1):.1f}%)")
    print(f"{'request':<16} {'count':>7} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind, times in sorted(results.items()):
        q = statistics.quantiles(times, n=20, method="inclusive") if len(times) > 1 else times * 19
        print(f"{kind:<16} {len(times):>7,} {errors[kind]:>7} {statistics.median(times):>8.0f} {q[18]:>8.0f} "
              f"{max(times):>8.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--store", type=Path)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the config's)")
    parser.add_argument("--port", type=int, default=0, help="gunicorn port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--base", help="URL of a running front to load instead of starting gunicorn")
    parser.add_argument("--insecure", action="store_true", help="with --base: accept its self-signed certificate")
    parser.add_argument("--no-warm", action="store_true", help="do not warm the cache with dashboard.cache.warm")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from dashboard.protocol import map_drawn, map_request

    with _target(args) as (base, verify):
        if not verify:
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        first = requests.post(base + CALLBACK, json=map_request("confidence_local", None), timeout=60, verify=verify)
        mix = _mix(map_drawn(first.json()))
        warm_already = [requests.request(m, base + u, json=b, timeout=60, verify=verify).headers.get("X-Cache")
                        for requests_ in mix.values() for m, u, b in requests_ if b is not None]
        print(f"first pass: {warm_already.count('hit')} of {len(warm_already)} distinct callback requests were "
              "already cached")
        results: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        counts = {"hits": 0, "callbacks": 0}
        reasons: dict[str, int] = defaultdict(int)
        lock = threading.Lock()
        started = time.monotonic()
        deadline = started + args.seconds

        def user(seed: int) -> None:
            rnd = random.Random(seed)
            session = requests.Session()
            session.headers["Accept-Encoding"] = "gzip"
            while time.monotonic() < deadline:
                kind = rnd.choice(list(mix))
                method, url, body = rnd.choice(mix[kind])
                t = time.perf_counter()
                why = None
                try:
                    # verify per request: a Session's verify=False loses to REQUESTS_CA_BUNDLE (psf/requests#3829)
                    r = session.request(method, base + url, json=body, timeout=30, verify=verify)
                    ok, cache = r.status_code == 200, r.headers.get("X-Cache")
                    why = None if ok else f"HTTP {r.status_code}"
                except requests.RequestException as exc:
                    ok, cache, why = False, None, type(exc).__name__
                ms = 1000 * (time.perf_counter() - t)
                with lock:
                    results[kind].append(ms)
                    errors[kind] += not ok
                    if why:
                        reasons[why] += 1
                    if body is not None:
                        counts["callbacks"] += 1
                        counts["hits"] += cache == "hit"
                time.sleep(rnd.uniform(0.5, 2.0))  # think time

        threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        _report(args, results, errors, counts["hits"], counts["callbacks"], time.monotonic() - started)
        if reasons:
            print("errors: " + ", ".join(f"{n:,} {why}" for why, n in sorted(reasons.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
