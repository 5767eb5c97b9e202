"""Ingest benchmark: wall time and peak memory of `dashboard ingest` on the demo set and on a
10x scaled one (ten times the respondents and the crime rows, same 145 areas).

Run: python benchmarks/ingest.py [--scales 1 10] [--keep DIR]
Each ingest runs in its own process; peak memory is that process's maximum resident set size.
Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rows(path: Path) -> int:
    """Data rows of a CSV file (its lines but the header)."""
    with open(path, encoding="utf-8") as fh:
        return sum(1 for _ in fh) - 1


def run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any child so far: run the larger scales last.
    return wall, max(peak, before) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    args = parser.parse_args()
    print(f"{'scale':>6} {'input MB':>9} {'crime rows':>11} {'respondents':>12} {'generate s':>11} "
          f"{'ingest s':>9} {'peak MiB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for scale in sorted(args.scales):
            src, store = Path(tmp) / f"src-{scale:g}", Path(tmp) / f"store-{scale:g}"
            gen_s, _ = run([sys.executable, "-m", "dashboard", "-q", "demo", "--out", str(src),
                            "--scale", str(scale)])
            size = sum(p.stat().st_size for p in src.rglob("*") if p.is_file()) / 1e6
            crime_rows = sum(_rows(p) for p in (src / "crime").glob("*.csv"))
            respondents = sum(_rows(p) for p in (src / "surveys").glob("*.csv"))
            wall, peak = run([sys.executable, "-m", "dashboard", "-q", "ingest", str(src), "--store", str(store)])
            print(f"{scale:>6g} {size:>9.1f} {crime_rows:>11,} {respondents:>12,} {gen_s:>11.1f} "
                  f"{wall:>9.1f} {peak:>9.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
