"""National crime benchmark: one year of police.uk-format street crime for England and Wales
(about 6 million rows, generated) read, checked and joined to 10,000 neighbourhood polygons by
the same code `dashboard ingest` runs (``policeuk.read_crime_files`` + ``policeuk.join_crime``).

Run: python benchmarks/national.py [--rows 6000000] [--areas 10000] [--work DIR]
The generated files are kept in --work (default: a temporary directory) and reused when there.
The crime stage runs in its own process; peak memory is that process's maximum resident set
size. Prints figures only; asserts nothing. Target (issue 6): <= 60 s and <= 4 GB.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BOX = (130_000.0, 20_000.0, 660_000.0, 660_000.0)  # BNG metres: roughly England and Wales' extent
FORCES = 43
MONTHS = [f"{y}-{m:02d}" for y, m in [(2008, m) for m in range(4, 13)] + [(2009, m) for m in range(1, 4)]]
TYPES = ["Anti-social behaviour", "Burglary", "Criminal damage and arson", "Drugs", "Other theft",
         "Public order", "Shoplifting", "Vehicle crime", "Violence and sexual offences", "Robbery"]


def generate(work: Path, rows: int, areas: int, seed: int = 6) -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely
    from pyproj import Transformer

    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = BOX
    seeds = shapely.points(rng.uniform((minx, miny), (maxx, maxy), size=(areas, 2)))
    box = shapely.box(*BOX)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box))
    cells = shapely.intersection(cells, box)
    # Voronoi cells come back in no particular order: name each by the seed it contains.
    tree = shapely.STRtree(cells)
    seed_idx, cell_idx = tree.query(seeds, predicate="intersects")
    first = np.unique(seed_idx, return_index=True)[1]
    order = cell_idx[first]
    codes = [f"N{i:05d}" for i in range(areas)]
    gdf = gpd.GeoDataFrame({"area_code": codes}, geometry=cells[order], crs="EPSG:27700")
    gdf.to_file(work / "boundaries.gpkg", driver="GPKG")

    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    per_file = rows // (FORCES * len(MONTHS))
    (work / "crime").mkdir(exist_ok=True)
    for f in range(FORCES):
        for month in MONTHS:
            n = per_file
            x = rng.uniform(minx - 5_000, maxx + 5_000, n)  # a few points fall outside every area
            y = rng.uniform(miny - 5_000, maxy + 5_000, n)
            lon, lat = to_wgs.transform(x, y)
            kind = rng.choice(len(TYPES), n)
            asb = kind == 0
            ids = pd.Series(rng.integers(0, 2**63 - 1, n, dtype=np.int64)).map("{:016x}".format)
            ids = ids.where(~asb, "")
            no_loc = rng.random(n) < 0.01
            frame = pd.DataFrame({
                "Crime ID": ids, "Month": month, "Reported by": f"Force {f:02d}", "Falls within": f"Force {f:02d}",
                "Longitude": np.where(no_loc, np.nan, np.round(lon, 6)),
                "Latitude": np.where(no_loc, np.nan, np.round(lat, 6)),
                "Location": np.where(no_loc, "No location", "On or near High Street"),
                "LSOA code": "", "LSOA name": "", "Crime type": np.array(TYPES)[kind],
                "Last outcome category": np.where(asb, "", "Investigation complete; no suspect identified"),
                "Context": "",
            })
            frame.to_csv(work / "crime" / f"{month}-force-{f:02d}-street.csv", index=False)


CHILD = """
import sys, time
from pathlib import Path
import geopandas as gpd
from dashboard.config import load_config
from dashboard.data import policeuk
from dashboard.data.problems import Findings
work = Path(sys.argv[1]); config = load_config(Path(sys.argv[2]))
t0 = time.perf_counter()
boundaries = gpd.read_file(work / "boundaries.gpkg", engine="pyogrio")
findings = Findings()
crime = policeuk.read_crime_files(sorted((work / "crime").glob("*.csv")), config, findings)
t1 = time.perf_counter()
rows, counts, accounting = policeuk.join_crime(crime, boundaries)
t2 = time.perf_counter()
print(len(rows), int(accounting["joined"].sum()), int(accounting["outside"].sum()),
      int(accounting["no_location"].sum()), len(findings.errors), round(t1 - t0, 1), round(t2 - t1, 1))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6_000_000)
    parser.add_argument("--areas", type=int, default=10_000)
    parser.add_argument("--work", type=Path, help="directory for the generated files (kept, reused)")
    args = parser.parse_args()
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not (work / "boundaries.gpkg").exists():
            started = time.perf_counter()
            generate(work, args.rows, args.areas)
            print(f"generated {args.areas:,} areas and {args.rows:,} crime rows in "
                  f"{time.perf_counter() - started:.0f} s")
        size = sum(p.stat().st_size for p in (work / "crime").glob("*.csv")) / 1e6
        files = len(list((work / "crime").glob("*.csv")))
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(work),
                              str(repo / "data" / "forces" / "west-mercia.toml")],
                             check=True, capture_output=True, text=True).stdout.split()
        wall = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rows, joined, outside, no_loc, errors, read_s, join_s = out
        print(f"national crime: {files} files, {size:,.0f} MB, {int(rows):,} rows -> joined {int(joined):,}, "
              f"outside {int(outside):,}, no location {int(no_loc):,}; errors {errors}")
        print(f"  read + check {read_s} s, join + count {join_s} s; wall {wall:.1f} s (with imports); "
              f"peak RSS {peak:,.0f} MiB   [target <= 60 s, <= 4,096 MiB]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
