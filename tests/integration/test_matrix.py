"""The computed crime/worry matrix on the demo data set."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data.store import Store


@pytest.fixture(scope="module")
def snap(demo_store):
    return Store(demo_store).open()


def test_every_area_is_in_a_band_in_every_period(snap):
    m = snap.table("matrix")
    assert set(m["period"]) == {"2007/08", "2008/09"}  # the periods with 12 months of crime
    for _period, part in m.groupby("period"):
        assert len(part) == 145 and part["area_code"].is_unique
        assert part["crime_level"].isin(["high", "nd", "low"]).all()
        assert part["worry_level"].isin(["high", "nd", "low"]).all()
        assert part["resource_level"].notna().all() and part["colour"].str.match(r"#[0-9A-F]{6}").all()
        assert part["engagement"].str.len().gt(20).all()
    assert m["crime_level"].nunique() == 3 and m["worry_level"].nunique() == 3


def test_levels_follow_the_intervals(snap):
    m = snap.table("matrix")
    high = m[m.crime_level == "high"]
    assert (high.crime_lower > high.crime_cut_high).all()
    low = m[m.worry_level == "low"]
    assert (low.worry_upper < low.worry_cut_low).all()
    nd = m[m.crime_level == "nd"]
    assert ((nd.crime_lower <= nd.crime_cut_high) & (nd.crime_upper >= nd.crime_cut_low)).all()


def test_hold_rule_is_applied(snap):
    m = snap.table("matrix").sort_values(["area_code", "period"])
    first = m[m.period == "2007/08"]
    assert (first["resource_level"] == first["computed_level"]).all()
    second = m[m.period == "2008/09"].set_index("area_code")
    prev = first.set_index("area_code")
    changed = second["computed_level"] != prev["computed_level"]
    # A change seen for one period only is held back; otherwise the computed level is published.
    assert (second.loc[changed, "resource_level"] == prev.loc[changed, "resource_level"]).all()
    assert (second.loc[~changed, "resource_level"] == second.loc[~changed, "computed_level"]).all()
    assert second.loc[changed, "held"].all()


def test_agreement_with_the_supplied_matrix_is_reported(snap):
    agree = snap.table("matrix_agreement").set_index("period")
    row = agree.loc["2008/09"]
    assert row.areas == 145
    assert 0 < row.crime_agree <= 145 and 0 < row.worry_agree <= 145
    m = snap.table("matrix")
    latest = m[m.period == "2008/09"]
    assert latest["supplied_resource_level"].notna().all()
    assert latest["crime_agrees"].sum() == row.crime_agree


def test_crime_rates_add_up(snap):
    rates = snap.table("crime_rates")
    counts = snap.table("crime_counts")
    months = [f"2008-{m:02d}" for m in range(4, 13)] + [f"2009-{m:02d}" for m in range(1, 4)]
    window = counts[counts.month.isin(months)]
    force = rates[(rates.level == "force") & (rates.period == "2008/09")].set_index("measure")
    assert force.loc["Burglary", "count"] == window[window.crime_type == "Burglary"]["count"].sum()
    crimes = window[window.crime_type != "Anti-social behaviour"]["count"].sum()
    assert force.loc["basket:all_crime", "count"] == crimes
    area = rates[(rates.level == "area") & (rates.period == "2008/09") & (rates.measure == "Burglary")]
    assert area["count"].sum() == force.loc["Burglary", "count"]
    ok = area["rate"].notna()
    assert ((area.lower <= area.rate) & (area.rate <= area.upper))[ok].all()


def test_worry_measures_are_pooled_with_shrinkage_beside(snap):
    w = snap.table("worry_measures")
    latest = w[(w.period == "2008/09") & (w.level == "area") & (w.indicator == "worry_burglary")]
    assert len(latest) == 145 and latest["window"].iat[0] == "2007/08 + 2008/09"
    assert latest["base"].median() > 140  # about 80 a year, pooled over two years
    assert latest["shrunk_value"].notna().all() and latest["value"].notna().all()
    assert np.ptp(latest["shrunk_value"]) <= np.ptp(latest["value"])
