"""The statistics tables published with the demo snapshot: present, consistent with the
estimates, disclosure-controlled, and telling the story the report tells."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

from dashboard.data.store import Store
from dashboard.stats.areas import flag_limits
from dashboard.stats.differences import newcombe_difference


@pytest.fixture(scope="module")
def snap(demo_store):
    return Store(demo_store).open()


def test_estimates_carry_intervals_and_suppression(snap):
    e = snap.table("estimates")
    shown = e[~e["suppressed"]]
    assert (shown["lower_998"] <= shown["lower_95"]).all() and (shown["lower_95"] <= shown["value"]).all()
    assert (shown["value"] <= shown["upper_95"]).all() and (shown["upper_95"] <= shown["upper_998"]).all()
    hidden = e[e["suppressed"]]
    assert len(hidden) > 0 and hidden["value"].isna().all() and hidden["lower_95"].isna().all()
    assert hidden["base"].isna().all()  # bases of withheld cells are withheld too
    assert (hidden["suppression_reason"] == "withheld: fewer than 50 respondents, or withheld so that another "
            "withheld figure cannot be worked out").all()
    assert (shown["base"] >= 50).all()


def test_spi1e_story(snap):
    msf = snap.table("msf_comparisons").set_index(["indicator", "period"])
    assert msf.loc[("spi1e", "2007/08"), "significant"]
    assert msf.loc[("spi1e", "2007/08"), "difference"] == pytest.approx(1.8, abs=0.2)
    chg = snap.table("changes")
    c = chg[(chg.indicator == "spi1e") & (chg.level == "force") & (chg.subgroup == "all") & (chg.period == "2007/08")
            & (chg.compared_with == "baseline")].iloc[0]
    assert c.flag == "better" and c.difference == pytest.approx(3.5, abs=0.1) and c.confidence == 0.95
    outcome = snap.table("outcomes").set_index("indicator")
    assert outcome.loc["spi1e", "verdict"] == "exceeding"
    assert "significantly better than MSF" in outcome.loc["spi1e", "reasons"]
    assert "overall" in outcome.index


def test_bcs_changes_are_not_significant(snap):
    chg = snap.table("changes")
    sel = chg[chg.indicator.isin(["spi2a", "kdi", "spi10b"]) & (chg.level == "force") & (chg.subgroup == "all")
              & (chg.period == "2007/08") & (chg.compared_with == "baseline")]
    assert len(sel) == 3 and (sel["flag"] == "similar").all(), sel[["indicator", "difference", "p_value"]]


def test_ethnicity_gap(snap):
    g = snap.table("gaps")
    force = g[(g.level == "force") & (g.period == "2007/08")].iloc[0]
    assert force.group_1 == "white" and force.group_2 == "minority_ethnic"
    assert force.gap == pytest.approx(force.value_1 - force.value_2)
    assert force.lower < force.gap < force.upper and force.flag == "similar"  # as the report found
    assert set(g["level"]) >= {"force", "division"}


def test_targets_are_judged_on_intervals(snap):
    t = snap.table("targets")
    assert set(t["indicator"]) == {"spi1e", "uss_followup", "confidence_local"}
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
    latest = ac[(ac.period == "2008/09") & (ac.indicator == "confidence_local")]
    assert len(latest) == 145
    shown = latest[~latest["suppressed"]]
    assert shown["shrunk_value"].notna().all()
    raw_spread, shrunk_spread = np.ptp(shown["value"]), np.ptp(shown["shrunk_value"])
    assert shrunk_spread < raw_spread


def test_an_area_is_flagged_exactly_when_it_lies_outside_the_limits_the_flag_uses(snap):
    """The funnel plot draws flag_limits(force, n, flag_z, flag_tau2): no area may sit on the other
    side of its drawn limit from its label, for any indicator or period."""
    ac = snap.table("area_comparisons")
    shown = ac[~ac["suppressed"]]
    outside = (shown.value < shown.flag_lower) | (shown.value > shown.flag_upper)
    assert (outside == shown.flag.isin(["better", "worse"])).all()
    for r in shown.sample(200, random_state=1).itertuples():
        lo, hi = flag_limits(r.force_value / 100, r.effective_base, r.flag_z, r.flag_tau2)
        assert (100 * lo, 100 * hi) == pytest.approx((r.flag_lower, r.flag_upper), abs=1e-9)
    assert set(ac["flag"]) <= {"better", "similar", "worse", "suppressed"}
    assert (ac.loc[ac["suppressed"], "flag"] == "suppressed").all()


def test_area_flags_are_benjamini_hochberg_within_indicator_and_period(snap):
    """Recomputed independently: score-test p-values against the force, statsmodels' fdr_bh at
    q = 0.05 within each indicator x period over the areas shown."""
    ac = snap.table("area_comparisons")
    for (ind, period), g in ac[~ac["suppressed"]].groupby(["indicator", "period"]):
        p0 = g["force_value"].iloc[0] / 100
        z = (g["value"] / 100 - p0) / np.sqrt(p0 * (1 - p0) / g["effective_base"])
        reject = multipletests(2 * norm.sf(np.abs(z)), 0.05, method="fdr_bh")[0]
        assert (reject == g["flag"].isin(["better", "worse"]).to_numpy()).all(), (ind, period)
    latest = ac[(ac.indicator == "confidence_local") & (ac.period == "2008/09")]
    assert latest["flag"].isin(["better", "worse"]).sum() <= 5  # unadjusted 95% coloured 23
    assert latest["flag_rule"].iloc[0].startswith("Benjamini-Hochberg FDR 5% within indicator x period over 145")


def test_area_changes_are_flagged_by_the_policy_and_force_changes_at_95(snap):
    chg = snap.table("changes")
    area = chg[(chg.level == "area") & ~chg["suppressed"]]
    for key, g in area.groupby(["indicator", "period", "compared_with", "subgroup_dimension", "subgroup"]):
        reject = multipletests(g["p_value"], 0.05, method="fdr_bh")[0]
        assert (reject == g["flag"].isin(["better", "worse"]).to_numpy()).all(), key
    big = chg[(chg.level != "area") & ~chg["suppressed"]]
    assert (big["flag"].isin(["better", "worse"]) == (big["p_value"] < 0.05)).all()
    assert (big["flag"].isin(["better", "worse"]) == ((big["lower"] > 0) | (big["upper"] < 0))).all()
    assert set(chg["direction"].dropna()) <= {"up", "down", "none"}
    spi10b = big[(big.indicator == "spi10b") & big["flag"].isin(["better", "worse"])]
    assert ((spi10b["flag"] == "better") == (spi10b["difference"] < 0)).all()  # lower is better


def test_divisions_are_compared_with_the_rest_of_the_force(snap):
    res = snap.table("survey_results")
    res = res[(res.subgroup_dimension == "all") & (res.indicator == "spi1e") & (res.period == "2008/09")]
    force = res[res.level == "force"].iloc[0]
    dc = snap.table("division_comparisons")
    dc = dc[(dc.indicator == "spi1e") & (dc.period == "2008/09")].set_index("division_code")
    for r in res[res.level == "division"].itertuples():
        rest = (force.weighted_positives - r.weighted_positives) / (force.sum_weights - r.sum_weights)
        assert dc.loc[r.geography_code, "rest_value"] == pytest.approx(100 * rest, abs=1e-9)
        d = newcombe_difference(r.weighted_positives / r.sum_weights, r.n_unweighted, rest,
                                force.n_unweighted - r.n_unweighted)
        assert dc.loc[r.geography_code, "difference"] == pytest.approx(float(d.difference), abs=1e-9)
        assert (dc.loc[r.geography_code, "flag"] in ("better", "worse")) == bool(d.significant)


def test_the_policy_is_published_once_with_its_sentences(snap):
    pol = snap.table("significance_policy").iloc[0]
    assert (pol.rule, pol.q, pol.confidence, pol.areas) == ("fdr", 0.05, 0.95, 145)
    assert "false discoveries at 5% across the 145 areas" in pol.area_text
    assert "95%" in pol.force_text and "rest of the force" in pol.force_text


def test_bcs_effective_base_is_base_over_the_total_design_effect(snap):
    e = snap.table("estimates")
    bcs = e[(e.survey == "BCS") & ~e["suppressed"]]
    assert len(bcs) > 0
    assert np.allclose(bcs["effective_base"], bcs["base"] / 1.5)
    res = snap.table("survey_results")
    local = res[res.survey == "LOCAL"]
    assert np.allclose(local["effective_base"], local["sum_weights"] ** 2 / local["sum_weights_sq"])


def test_trends(snap):
    tr = snap.table("trends")
    spi1e = tr[(tr.indicator == "spi1e") & (tr.level == "force")].iloc[0]
    assert spi1e.periods == 4 and spi1e.direction == "increasing"
