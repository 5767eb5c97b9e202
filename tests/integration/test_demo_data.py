"""The synthetic demonstration set: byte-identical per seed, the shape the issue asks for, and
force-level results near the HMIC 2008 report's figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.data.demo import write_demo
from dashboard.data.store import Store
from tests.conftest import tree_digest


def test_same_seed_gives_the_same_bytes(demo_source, tmp_path):
    write_demo(tmp_path / "again")
    assert tree_digest(tmp_path / "again") == tree_digest(demo_source)


def test_another_seed_gives_other_data(mini_source, tmp_path):
    write_demo(tmp_path / "other", seed=8, scale=0.1, crime_months=1)
    assert tree_digest(tmp_path / "other") != tree_digest(mini_source)


def test_geography(demo_store):
    snap = Store(demo_store).open()
    areas, bounds = snap.table("areas"), snap.table("boundaries")
    assert len(areas) == 145 and areas["division_code"].nunique() == 5
    assert bounds.crs.to_epsg() == 27700
    assert 7_300 < bounds.geometry.area.sum() / 1e6 < 7_500
    merged = bounds.merge(areas, on="area_code")
    for div, part in merged.groupby("division_code"):
        assert shapely.union_all(part.geometry.values).geom_type == "Polygon", div  # one contiguous block
    geoms = bounds.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    assert shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]])).max() < 1.0  # m²
    assert abs(areas["population"].sum() - 1_180_000) < 20_000
    pop = snap.table("area_population")
    minority = pop[(pop.dimension == "ethnicity") & (pop.category == "minority_ethnic")]["population"].sum()
    assert minority / areas["population"].sum() == pytest.approx(0.023, abs=0.001)


def test_survey_sizes(demo_store):
    snap = Store(demo_store).open()
    uss, bcs, local = (snap.table(f"respondents_{s}") for s in ("uss", "bcs", "local"))
    assert uss.groupby("period").size().eq(3000).all()
    assert bcs.groupby("period").size().eq(1000).all()
    per_year = local.groupby("period").size()
    assert per_year.between(11_000, 12_000).all()
    young = local[local["age_band"] == "16-24"].groupby("period").size() / per_year
    assert young.between(0.07, 0.09).all()  # boosted to about 8% of respondents
    assert set(uss["ethnicity"]) >= {"white", "minority_ethnic"}


def _force(snapshot, indicator, period, subgroup="all"):
    e = snapshot.table("estimates")
    sel = e[(e.indicator == indicator) & (e.level == "force") & (e.period == period) & (e.subgroup == subgroup)]
    return float(sel["value"].iloc[0])


@pytest.mark.parametrize("indicator, period, published, tolerance", [
    ("spi1e", "2005/06", 80.0, 0.5), ("spi1e", "2007/08", 83.5, 0.5),
    ("spi2a", "2005/06", 49.2, 1.5), ("spi2a", "2007/08", 52.5, 1.5),
    ("kdi", "2005/06", 46.5, 1.5), ("kdi", "2007/08", 51.7, 1.5),
    ("spi10b", "2005/06", 10.8, 1.0), ("spi10b", "2007/08", 13.4, 1.0),
])
def test_force_level_results_land_near_the_report(demo_store, indicator, period, published, tolerance):
    assert _force(Store(demo_store).open(), indicator, period) == pytest.approx(published, abs=tolerance)


@pytest.mark.parametrize("period, published", [("2005/06", 81.4), ("2007/08", 78.8)])
def test_minority_ethnic_satisfaction_lands_near_the_report(demo_store, period, published):
    assert _force(Store(demo_store).open(), "spi1e", period, "minority_ethnic") == pytest.approx(published, abs=1.0)


def test_areas_genuinely_differ(demo_store):
    """Some areas' confidence lies outside the force's 99.8% funnel limits: real signal exists."""
    snap = Store(demo_store).open()
    r = snap.table("survey_results")
    sel = r[(r.indicator == "confidence") & (r.period == "2008/09") & (r.subgroup == "all")]
    force = sel[sel.level == "force"]
    p0 = float(force.weighted_positives.iloc[0] / force.sum_weights.iloc[0])
    area = sel[sel.level == "area"]
    p = area.weighted_positives / area.sum_weights
    z = (p - p0) / np.sqrt(p0 * (1 - p0) / area.effective_base)
    assert (z.abs() > 3.09).sum() >= 2


def test_crime_files_have_the_real_quirks(demo_source):
    crime = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False)
                       for p in sorted((demo_source / "crime").glob("*.csv"))])
    asb = crime["Crime type"] == "Anti-social behaviour"
    assert (crime.loc[asb, "Crime ID"] == "").all() and (crime.loc[~asb, "Crime ID"] != "").all()
    assert (crime["Location"] == "No Location").sum() > 0
    assert crime.loc[crime["Crime ID"] != "", "Crime ID"].duplicated().sum() == 1
    assert crime["Reported by"].str.contains("synthetic").all()


def test_everything_says_it_is_synthetic(demo_source, demo_store):
    assert "SYNTHETIC" in (demo_source / "README-SYNTHETIC.txt").read_text()
    assert "synthetic = true" in (demo_source / "force.toml").read_text()
    assert "SYNTHETIC" in (demo_source / "boundaries.geojson").read_text()[:400]
    assert Store(demo_store).open().synthetic
