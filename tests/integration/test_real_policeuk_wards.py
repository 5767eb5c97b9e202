"""Real data: five months of West Mercia police.uk street crime joined to the 257 real 2013 wards,
the west-mercia-wards example force (its areas are those wards, its divisions the nine local
authorities; dashboard/data/demo_wards.py).

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

from dashboard.data.store import Store


@pytest.fixture(scope="module")
def ward_ingest(example_stores):
    """The west-mercia-wards example force (`dashboard demo --force west-mercia-wards`), ingested."""
    example = example_stores["west-mercia-wards"]
    return example.source, Store(example.store).open()


def independent_counts(source: Path) -> tuple[pd.DataFrame, dict[str, int]]:
    """Counts per ward, month and crime type by a plain loop over polygons, sharing nothing with
    the ingest code (it reads the copies of the public files in the example's source directory)."""
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted((source / "crime").glob("*.csv"))]
    crime = pd.concat(frames, ignore_index=True)
    total = len(crime)
    repeated = (crime["Crime ID"] != "") & crime.duplicated("Crime ID", keep="first")
    crime = crime[~repeated]
    located = crime[(crime["Longitude"] != "") & (crime["Latitude"] != "")]
    pts = gpd.GeoSeries(gpd.points_from_xy(located["Longitude"].astype(float), located["Latitude"].astype(float)),
                        crs="EPSG:4326").to_crs("EPSG:27700")
    wards = pd.concat([gpd.read_file(p) for p in sorted((source / "boundaries").glob("*.geojson"))])
    wards = wards.to_crs("EPSG:27700").sort_values("WD13CD")
    owner = np.full(len(pts), None, dtype=object)
    for code, poly in zip(wards["WD13CD"], wards.geometry, strict=True):
        inside = shapely.covers(poly, pts.values) & (owner == None)  # noqa: E711 (elementwise)
        owner[inside] = code
    joined = owner != None  # noqa: E711
    counts = (pd.DataFrame({"area_code": owner[joined], "month": located["Month"].to_numpy()[joined],
                            "crime_type": located["Crime type"].to_numpy()[joined]})
              .value_counts().rename("count").reset_index())
    summary = {"rows": total, "duplicate_id": int(repeated.sum()),
               "no_location": int(len(crime) - len(located)), "outside": int((~joined).sum())}
    return counts, summary


def test_every_row_is_accounted_for_exactly_once(ward_ingest):
    _, snapshot = ward_ingest
    acc = snapshot.table("crime_accounting")
    totals = acc[["rows", "joined", "no_location", "outside", "duplicate_id"]].sum()
    assert totals["rows"] == 50_984  # SOURCE.md: 11006 + 10551 + 10136 + 10038 + 9253
    assert totals["joined"] + totals["no_location"] + totals["outside"] + totals["duplicate_id"] == totals["rows"]
    assert totals["no_location"] == 63 + 23 + 25 + 17 + 39  # SOURCE.md, per file
    assert totals["duplicate_id"] == 1
    assert totals["joined"] == snapshot.table("crime_counts")["count"].sum()


def test_ward_counts_match_an_independent_point_in_polygon_count(ward_ingest):
    source, snapshot = ward_ingest
    counts, summary = independent_counts(source)
    expected = counts.groupby("area_code")["count"].sum()
    got = snapshot.table("crime_counts").groupby("area_code")["count"].sum()
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index().astype(got.dtype),
                                   check_names=False, check_index_type=False)
    acc = snapshot.table("crime_accounting")[["rows", "no_location", "outside", "duplicate_id"]].sum()
    assert {k: int(acc[k]) for k in summary} == summary


def test_unjoined_rows_are_reported_in_the_ingest_report(ward_ingest):
    _, snapshot = ward_ingest
    report = (snapshot.path / "ingest-report.txt").read_text(encoding="utf-8")
    rules = set(re.findall(r"\[(\w+)\]$", report, flags=re.MULTILINE))
    assert {"no_location", "outside", "duplicate_id"} <= rules
    assert "2019-02-west-mercia-street.csv" in report


def test_wards_are_reprojected_to_british_national_grid(ward_ingest):
    _, snapshot = ward_ingest
    bounds = snapshot.table("boundaries")
    assert bounds.crs.to_epsg() == 27700 and len(bounds) == 257
    assert 7_300 < bounds.geometry.area.sum() / 1e6 < 7_500  # West Mercia is about 7,400 km²
    display = snapshot.table("boundaries_display")
    assert display.crs.to_epsg() == 4326
    ring = np.asarray(display.geometry.iloc[0].geoms[0].exterior.coords if display.geometry.iloc[0].geom_type
                      == "MultiPolygon" else display.geometry.iloc[0].exterior.coords)
    assert not shapely.LinearRing(ring).is_ccw  # clockwise for plotly geo
