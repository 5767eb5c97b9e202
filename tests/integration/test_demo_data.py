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
    """From what the snapshot publishes (no respondent rows): the manifest's control totals and
    the respondent profile, which must agree with each other."""
    snap = Store(demo_store).open()
    counts = snap.manifest["control_totals"]["respondents"]
    assert set(counts["USS"].values()) == {3000} and set(counts["BCS"].values()) == {1000}
    per_year = pd.Series(counts["LOCAL"])
    assert per_year.between(11_000, 12_000).all() and len(per_year) == 4
    profile = snap.table("respondent_profile")
    ages = profile[(profile["level"] == "force") & (profile["dimension"] == "age_band")].set_index("period")
    assert ages.groupby("period")["base"].first().to_dict() == counts["LOCAL"]
    young = ages.loc[ages["category"] == "16-24", "respondents"] / per_year
    assert young.between(0.07, 0.09).all()  # boosted to about 8% of respondents
    results = snap.table("survey_results")
    uss_ethnicity = results[(results["survey"] == "USS") & (results["subgroup_dimension"] == "ethnicity")]
    assert set(uss_ethnicity["subgroup"]) >= {"white", "minority_ethnic"}


def _force(snapshot, indicator, period, subgroup="all"):
    e = snapshot.table("estimates")
    sel = e[(e.indicator == indicator) & (e.level == "force") & (e.period == period) & (e.subgroup == subgroup)]
    return float(sel["value"].iloc[0])


# HMIC (2008), West Mercia inspection report: year ending March 2006 and March 2008.
@pytest.mark.parametrize("indicator, period, published", [
    ("spi1e", "2005/06", 80.0), ("spi1e", "2007/08", 83.5),
    ("spi2a", "2005/06", 49.2), ("spi2a", "2007/08", 52.5),
    ("kdi", "2005/06", 46.5), ("kdi", "2007/08", 51.7),
    ("spi10b", "2005/06", 10.8), ("spi10b", "2007/08", 13.4),
])
def test_force_level_results_match_the_report(demo_store, indicator, period, published):
    """The published force value (weighted share of valid answers) is the report's figure."""
    assert _force(Store(demo_store).open(), indicator, period) == pytest.approx(published, abs=0.1)


@pytest.mark.parametrize("period, published", [("2005/06", 81.4), ("2007/08", 78.8)])
def test_minority_ethnic_satisfaction_matches_the_report(demo_store, period, published):
    """About 150 minority-ethnic users answer a year, so shares come in steps of about 0.7
    point: the demo lands on the nearest step."""
    snap = Store(demo_store).open()
    r = snap.table("survey_results")
    base = r[(r.indicator == "spi1e") & (r.level == "force") & (r.period == period)
             & (r.subgroup == "minority_ethnic")]["n_unweighted"].iloc[0]
    assert _force(snap, "spi1e", period, "minority_ethnic") == pytest.approx(published, abs=50 / base + 1e-9)


BCS_STRANDS = ["asb_teenagers", "asb_rubbish", "asb_vandalism", "asb_drugs", "asb_drunk", "asb_noisy", "asb_cars"]


def test_every_year_of_the_source_lands_on_its_target(demo_source):
    """Calibrated on the ingest's base (valid answers, weights as written): every year's
    realised share is the generator's target to 0.05 point."""
    from dashboard.data.demo import BCS_ASB_HIGH, BCS_TARGETS, USS_TARGETS, YEARS

    def shares(df, positive, valid):
        year = df["respondent_id"].str[3:7]
        w = df["weight"].astype(float) * valid
        return ((w * positive).groupby(year).sum() / w.groupby(year).sum() * 100).to_numpy()

    bcs = pd.read_csv(demo_source / "surveys" / "bcs-synthetic.csv")
    uss = pd.read_csv(demo_source / "surveys" / "uss-synthetic.csv")
    for q, targets in BCS_TARGETS.items():
        got = shares(bcs, bcs[q].isin([1, 2]), ~bcs[q].isin([8, 9]))
        assert got == pytest.approx(targets, abs=0.05), q
    complete = ~bcs[BCS_STRANDS].isin([8, 9]).any(axis=1)
    high = (4 - bcs[BCS_STRANDS].where(complete, 4)).sum(axis=1) >= 11
    assert shares(bcs, high, complete) == pytest.approx(BCS_ASB_HIGH, abs=0.05)
    for q, targets in USS_TARGETS.items():
        assert shares(uss, uss[q].isin([1, 2, 3]), ~uss[q].isin([8, 9])) == pytest.approx(targets, abs=0.05), q
    assert len(YEARS) == 4


def test_null_world_has_no_true_change(null_store):
    """`dashboard demo --null-world`: 2005/06 lands on the report's figures and every later
    year differs from it by sampling noise only (force level: no change beyond 4 standard
    errors on any indicator)."""
    snap = Store(null_store).open()
    assert _force(snap, "spi1e", "2005/06") == pytest.approx(80.0, abs=0.1)
    assert _force(snap, "kdi", "2005/06") == pytest.approx(46.5, abs=0.1)
    r = snap.table("survey_results")
    f = r[(r.level == "force") & (r.subgroup == "all") & (r.sum_weights > 0)].copy()
    f["p"] = f.weighted_positives / f.sum_weights
    f["n_eff"] = f.sum_weights ** 2 / f.sum_weights_sq
    first = f[f.period == "2005/06"].set_index("indicator")
    later = f[f.period != "2005/06"].join(first[["p", "n_eff"]], on="indicator", rsuffix="_0")
    se = np.sqrt(later.p * (1 - later.p) / later.n_eff + later.p_0 * (1 - later.p_0) / later.n_eff_0)
    z = (later.p - later.p_0) / se
    assert len(z) >= 30 and (z.abs() < 4).all()
    assert z.abs().max() > 0.5  # noise is there: the years are not copies of each other


def test_areas_genuinely_differ(demo_store):
    """Some areas' confidence lies outside the force's 99.8% funnel limits: real signal exists."""
    snap = Store(demo_store).open()
    r = snap.table("survey_results")
    sel = r[(r.indicator == "confidence_local") & (r.period == "2008/09") & (r.subgroup == "all")]
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
