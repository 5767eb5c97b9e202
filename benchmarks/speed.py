"""Server time and response bytes of the map's interactions, at the demo's 145 areas.

Run: python benchmarks/speed.py [--store STORE] [--repeats 50]
Without --store it generates and ingests the demo set into a temporary store first.
Times are server-side (Flask test client, one process, no network): p50 and p95 of
`--repeats` calls each; bytes are the JSON body and what gzip sends. Prints figures only.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
import time
from pathlib import Path


def measure(client, bodies, repeats):
    times, raw, wire = [], 0, 0
    for i in range(repeats):
        body = bodies[i % len(bodies)]
        t = time.perf_counter()
        r = client.post("/_dash-update-component", json=body, headers={"Accept-Encoding": "gzip"})
        times.append(1000 * (time.perf_counter() - t))
        assert r.status_code == 200, r.data[:200]
        wire = len(r.data)
        raw = len(gzip.decompress(r.data)) if r.headers.get("Content-Encoding") == "gzip" else len(r.data)
    q = statistics.quantiles(times, n=20, method="inclusive")
    return statistics.median(times), q[18], raw, wire


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    from dashboard.app import create_app
    from dashboard.pages.protocol import map_request, page_request

    with tempfile.TemporaryDirectory() as tmp:
        store = args.store
        if store is None:
            from dashboard.data.demo import write_demo
            from dashboard.ingest import run_ingest

            write_demo(Path(tmp) / "src")
            store = Path(tmp) / "store"
            assert run_ingest(Path(tmp) / "src", store).code == 0
        client = create_app(store).server.test_client()
        first = client.post("/_dash-update-component", json=map_request("confidence", None))
        figure = first.get_json()["response"]["map-graph"]["figure"]
        cases = {
            "indicator switch": [map_request(i, figure)
                                 for i in ("worry_burglary", "confidence", "unsafe_after_dark", "spi2a_local")],
            "division switch": [map_request("confidence", figure, "division", d) for d in ("HE", "NW", "SW", "SH")],
            "area click (profile page)": [page_request(f"/area/{c}") for c in ("HE01", "NW05", "SW10", "TW03")],
        }
        print(f"{'interaction (145 areas)':<28} {'p50 ms':>8} {'p95 ms':>8} {'JSON bytes':>11} {'gzip bytes':>11}")
        for name, bodies in cases.items():
            p50, p95, raw, wire = measure(client, bodies, args.repeats)
            print(f"{name:<28} {p50:>8.1f} {p95:>8.1f} {raw:>11,} {wire:>11,}", flush=True)
        print(f"{'first map render':<28} {'':>8} {'':>8} {len(first.data):>11,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
