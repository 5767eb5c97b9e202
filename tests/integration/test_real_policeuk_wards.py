"""Real data: five months of West Mercia police.uk street crime joined to the 257 real 2013 wards,
treated as a force whose areas are those wards and whose divisions are the nine local authorities.

Every input row must be counted exactly once: joined to a ward, no location, outside every ward,
or a repeated Crime ID; and the per-ward counts must equal an independent point-in-polygon count.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.config import DEFAULT_CONFIG
from dashboard.data.store import Store
from dashboard.ingest import run_ingest
from tests.conftest import need_shared_data

LADS = {
    "E06000019": "Herefordshire", "E06000020": "Telford and Wrekin", "E06000051": "Shropshire",
    "E07000234": "Bromsgrove", "E07000235": "Malvern Hills", "E07000236": "Redditch",
    "E07000237": "Worcester", "E07000238": "Wychavon", "E07000239": "Wyre Forest",
}


def ward_force_config(source: Path, shared: Path) -> Path:
    """The default catalogue with this force's geography, periods and inputs swapped in."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    head = ['[force]\ncode = "WMW"\nname = "West Mercia (2013 wards)"\n']
    head += [f'[[divisions]]\ncode = "{code}"\nname = "{name}"\n' for code, name in LADS.items()]
    head += ['[periods]\nkind = "financial_year"\nstart_month = 4\nlabels = ["2018/19"]\n']
    text = text[: text.index("[force]")] + "\n".join(head) + "\n" + text[text.index("[statistics]"):]
    wards = shared / "wards-2013-westmercia"
    crime = shared / "policeuk-street-westmercia"
    boundary_list = ", ".join(f'"{p}"' for p in sorted(wards.glob("*.geojson")))
    inputs = (f'[inputs]\nareas = "areas.csv"\nboundaries = [{boundary_list}]\nboundary_code_column = "WD13CD"\n'
              f'crime = ["{crime}/*.csv"]\n')
    text = re.sub(r"\[inputs\].*", inputs, text, flags=re.S).replace('period = "2008/09"', 'period = "2018/19"')
    path = source / "force.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ward_ingest(tmp_path_factory):
    shared = need_shared_data()
    source = tmp_path_factory.mktemp("wards-source")
    ward_force_config(source, shared)
    rows = []
    for path in sorted((shared / "wards-2013-westmercia").glob("*.geojson")):
        lad = path.stem.split("_")[1]
        g = gpd.read_file(path)
        rows += [{"area_code": c, "area_name": n, "division_code": lad, "population": ""}
                 for c, n in zip(g["WD13CD"], g["WD13NM"])]
    pd.DataFrame(rows).to_csv(source / "areas.csv", index=False)
    store = tmp_path_factory.mktemp("wards-store")
    result = run_ingest(source, store)
    assert result.code == 0, result.findings.report_text("ward ingest rejected")
    return shared, Store(store).open(), result


def independent_counts(shared: Path) -> tuple[pd.Series, dict[str, int]]:
    """Per-ward counts by a plain loop over polygons, sharing nothing with the ingest code."""
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False)
              for p in sorted((shared / "policeuk-street-westmercia").glob("*.csv"))]
    crime = pd.concat(frames, ignore_index=True)
    total = len(crime)
    repeated = (crime["Crime ID"] != "") & crime.duplicated("Crime ID", keep="first")
    crime = crime[~repeated]
    located = crime[(crime["Longitude"] != "") & (crime["Latitude"] != "")]
    pts = gpd.GeoSeries(gpd.points_from_xy(located["Longitude"].astype(float), located["Latitude"].astype(float)),
                        crs="EPSG:4326").to_crs("EPSG:27700")
    wards = pd.concat([gpd.read_file(p) for p in sorted((shared / "wards-2013-westmercia").glob("*.geojson"))])
    wards = wards.to_crs("EPSG:27700").sort_values("WD13CD")
    owner = np.full(len(pts), None, dtype=object)
    for code, poly in zip(wards["WD13CD"], wards.geometry):
        inside = shapely.covers(poly, pts.values) & (owner == None)  # noqa: E711 (elementwise)
        owner[inside] = code
    counts = pd.Series(owner[owner != None]).value_counts()  # noqa: E711
    summary = {"rows": total, "duplicate_id": int(repeated.sum()),
               "no_location": int(len(crime) - len(located)), "outside": int((owner == None).sum())}  # noqa: E711
    return counts, summary


def test_every_row_is_accounted_for_exactly_once(ward_ingest):
    shared, snapshot, _ = ward_ingest
    acc = snapshot.table("crime_accounting")
    totals = acc[["rows", "joined", "no_location", "outside", "duplicate_id"]].sum()
    assert totals["rows"] == 50_984  # SOURCE.md: 11006 + 10551 + 10136 + 10038 + 9253
    assert totals["joined"] + totals["no_location"] + totals["outside"] + totals["duplicate_id"] == totals["rows"]
    assert totals["no_location"] == 63 + 23 + 25 + 17 + 39  # SOURCE.md, per file
    assert totals["duplicate_id"] == 1
    assert totals["joined"] == snapshot.table("crime_counts")["count"].sum()


def test_ward_counts_match_an_independent_point_in_polygon_count(ward_ingest):
    shared, snapshot, _ = ward_ingest
    expected, summary = independent_counts(shared)
    got = snapshot.table("crime_counts").groupby("area_code")["count"].sum()
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index().astype(got.dtype),
                                   check_names=False, check_index_type=False)
    acc = snapshot.table("crime_accounting")[["rows", "no_location", "outside", "duplicate_id"]].sum()
    assert {k: int(acc[k]) for k in summary} == summary


def test_unjoined_rows_are_reported_in_the_ingest_report(ward_ingest):
    _, snapshot, result = ward_ingest
    rules = {p.rule for p in result.findings.warnings}
    assert {"no_location", "outside", "duplicate_id"} <= rules
    report = (snapshot.path / "ingest-report.txt").read_text(encoding="utf-8")
    assert "2019-02-west-mercia-street.csv" in report and "duplicate_id" in report


def test_wards_are_reprojected_to_british_national_grid(ward_ingest):
    _, snapshot, _ = ward_ingest
    bounds = snapshot.table("boundaries")
    assert bounds.crs.to_epsg() == 27700 and len(bounds) == 257
    assert 7_300 < bounds.geometry.area.sum() / 1e6 < 7_500  # West Mercia is about 7,400 km²
    display = snapshot.table("boundaries_display")
    assert display.crs.to_epsg() == 4326
    ring = np.asarray(display.geometry.iloc[0].geoms[0].exterior.coords if display.geometry.iloc[0].geom_type
                      == "MultiPolygon" else display.geometry.iloc[0].exterior.coords)
    assert not shapely.LinearRing(ring).is_ccw  # clockwise for plotly geo
