"""The statistics tables published with the demo snapshot: present, consistent with the
estimates, disclosure-controlled, and telling the story the report tells."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data.store import Store


@pytest.fixture(scope="module")
def snap(demo_store):
    return Store(demo_store).open()


def test_estimates_carry_intervals_and_suppression(snap):
    e = snap.table("estimates")
    shown = e[~e["suppressed"]]
    assert (shown["lower_998"] <= shown["lower_95"]).all() and (shown["lower_95"] <= shown["value"]).all()
    assert (shown["value"] <= shown["upper_95"]).all() and (shown["upper_95"] <= shown["upper_998"]).all()
    hidden = e[e["suppressed"]]
    assert len(hidden) > 0 and (hidden["base"] < 50).all() and hidden["value"].isna().all()
    assert hidden["suppression_reason"].str.contains("below 50").all()
    assert not e.loc[e["base"] >= 50, "suppressed"].any()


def test_spi1e_story(snap):
    msf = snap.table("msf_comparisons").set_index(["indicator", "period"])
    assert msf.loc[("spi1e", "2007/08"), "significant"]
    assert msf.loc[("spi1e", "2007/08"), "difference"] == pytest.approx(1.8, abs=0.2)
    chg = snap.table("changes")
    c = chg[(chg.indicator == "spi1e") & (chg.level == "force") & (chg.subgroup == "all") & (chg.period == "2007/08")
            & (chg.compared_with == "baseline")].iloc[0]
    assert c.significant and c.difference == pytest.approx(3.5, abs=0.1)
    outcome = snap.table("outcomes").set_index("indicator")
    assert outcome.loc["spi1e", "verdict"] == "exceeding"
    assert "significantly better than MSF" in outcome.loc["spi1e", "reasons"]
    assert "overall" in outcome.index


def test_bcs_changes_are_not_significant(snap):
    chg = snap.table("changes")
    sel = chg[chg.indicator.isin(["spi2a", "kdi", "spi10b"]) & (chg.level == "force") & (chg.subgroup == "all")
              & (chg.period == "2007/08") & (chg.compared_with == "baseline")]
    assert len(sel) == 3 and not sel["significant"].any()


def test_ethnicity_gap(snap):
    g = snap.table("gaps")
    force = g[(g.level == "force") & (g.period == "2007/08")].iloc[0]
    assert force.group_1 == "white" and force.group_2 == "minority_ethnic"
    assert force.gap == pytest.approx(force.value_1 - force.value_2)
    assert force.lower < force.gap < force.upper and not force.significant  # as the report found
    assert set(g["level"]) >= {"force", "division"}


def test_targets_are_judged_on_intervals(snap):
    t = snap.table("targets")
    assert set(t["indicator"]) == {"spi1e", "uss_followup", "confidence"}
    assert set(t["verdict"]) <= {"met", "missed", "not distinguishable from target"}
    for r in t.itertuples():
        if r.verdict == "met":
            assert r.lower_95 >= r.target
        elif r.verdict == "missed":
            assert r.upper_95 < r.target
        else:
            assert r.lower_95 <= r.target <= r.upper_95


def test_area_comparisons(snap):
    ac = snap.table("area_comparisons")
    latest = ac[(ac.period == "2008/09") & (ac.indicator == "confidence")]
    assert len(latest) == 145
    shown = latest[~latest["suppressed"]]
    assert ((shown.funnel_lower_998 <= shown.funnel_lower_95) & (shown.funnel_upper_95 <= shown.funnel_upper_998)).all()
    outside = (shown.value < shown.funnel_lower_998) | (shown.value > shown.funnel_upper_998)
    assert (outside == shown.vs_force_998.isin(["better", "worse"])).mean() > 0.97  # exact vs z limits
    period = ac[(ac.period == "2008/09") & ~ac["suppressed"]]
    assert period["bh_significant"].sum() <= period["vs_force_95"].isin(["better", "worse"]).sum()
    assert shown["shrunk_value"].notna().all()
    raw_spread, shrunk_spread = np.ptp(shown["value"]), np.ptp(shown["shrunk_value"])
    assert shrunk_spread < raw_spread


def test_trends(snap):
    tr = snap.table("trends")
    spi1e = tr[(tr.indicator == "spi1e") & (tr.level == "force")].iloc[0]
    assert spi1e.periods == 4 and spi1e.direction == "increasing"
