"""Server time and response bytes of the map's interactions, at the demo's 145 areas and at a
synthetic force of about 10,000 areas.

Run: python benchmarks/speed.py [--areas 145 10000] [--store STORE] [--repeats 50]
Without --store it generates and ingests a demo set of each size into a temporary store first.
The 10,000-area force has 10 local-survey respondents per area a year (400,000 in all), so its
configuration publishes area estimates from 10 respondents (suppression threshold 10, small-base
flag 30) and skips area-level subgroups (``area_subgroups = false``): otherwise nearly every
area value would be withheld and the responses would be smaller than a real one.
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


def build_store(tmp: Path, areas: int) -> Path:
    from dashboard.data.demo import write_demo
    from dashboard.ingest import run_ingest

    src, store = tmp / f"src-{areas}", tmp / f"store-{areas}"
    if areas == 145:
        write_demo(src)
    else:
        write_demo(src, areas=areas, crime_months=12)
        toml = src / "force.toml"
        text = toml.read_text(encoding="utf-8")
        for old, new in (("suppression_threshold = 50", "suppression_threshold = 10"),
                         ("small_base_flag = 100", "small_base_flag = 30"),
                         ("area_subgroups = true", "area_subgroups = false")):
            assert old in text, old
            text = text.replace(old, new)
        toml.write_text(text, encoding="utf-8")
    assert run_ingest(src, store).code == 0
    return store


def run(store: Path, repeats: int) -> None:
    from dashboard.app import create_app
    from dashboard.data.store import Store
    from tests.protocol import map_drawn, map_request, page_request

    n_areas = len(Store(store).open().table("areas"))
    client = create_app(store).server.test_client()
    started = time.perf_counter()
    first = client.post("/_dash-update-component", json=map_request("confidence_local", None),
                        headers={"Accept-Encoding": "gzip"})
    first_ms = 1000 * (time.perf_counter() - started)
    body = gzip.decompress(first.data) if first.headers.get("Content-Encoding") == "gzip" else first.data
    import json

    figure = map_drawn(json.loads(body))
    cases = {
        "indicator switch": [map_request(i, figure)
                             for i in ("worry_burglary", "confidence_local", "unsafe_after_dark", "spi2a_local")],
        "division switch": [map_request("confidence_local", figure, "division", d) for d in ("HE", "NW", "SW", "SH")],
        "area click (profile page)": [page_request(f"/area/{c}") for c in ("HE01", "NW05", "SW10", "TW03")],
    }
    label = f"interaction ({n_areas:,} areas)"
    print(f"{label:<28} {'p50 ms':>8} {'p95 ms':>8} {'JSON bytes':>11} {'gzip bytes':>11}")
    for name, bodies in cases.items():
        p50, p95, raw, wire = measure(client, bodies, repeats)
        print(f"{name:<28} {p50:>8.1f} {p95:>8.1f} {raw:>11,} {wire:>11,}", flush=True)
    print(f"{'first map render (once)':<28} {first_ms:>8.1f} {'':>8} {len(body):>11,} {len(first.data):>11,}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="measure this published store instead of generating")
    parser.add_argument("--areas", type=int, nargs="+", default=[145, 10_000])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    if args.store:
        run(args.store, args.repeats)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for areas in args.areas:
            started = time.perf_counter()
            store = build_store(Path(tmp), areas)
            print(f"(generated and ingested {areas:,} areas in {time.perf_counter() - started:.0f} s)")
            run(store, args.repeats)
            print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
