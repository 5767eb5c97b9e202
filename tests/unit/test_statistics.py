"""The statistics layer against published and library reference values, the report's own
verdicts, and properties that must hold for any input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from dashboard.config import load_config
from dashboard.data.aggregate import effective_base
from dashboard.stats.areas import (
    benjamini_hochberg,
    flag_areas,
    flag_limits,
    overdispersion,
)
from dashboard.stats.benchmark import compare_to_msf, msf_average
from dashboard.stats.differences import newcombe_difference
from dashboard.stats.outcomes import EXCEEDING, FAILING, MEETING, Comparison, hmic_outcome, overall_outcome
from dashboard.stats.policy import StatisticsPolicy
from dashboard.stats.proportions import weighted_proportion, wilson_interval
from dashboard.stats.shrinkage import fit_beta_prior, shrink
from dashboard.stats.targets import MET, MISSED, NOT_DISTINGUISHABLE, target_verdict
from dashboard.stats.trend import chi_squared_trend

BCS_DEFF = load_config().surveys["BCS"].design_effect


# --- differences ---------------------------------------------------------------------------------

def test_newcombe_matches_the_paper_and_statsmodels():
    # Newcombe (1998) Statistics in Medicine 17:873, Table II example (a): 56/70 - 48/80,
    # method 10 gives +0.0524 to +0.3339.
    d = newcombe_difference(56 / 70, 70, 48 / 80, 80)
    assert (d.lower / 100, d.upper / 100) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    # statsmodels confint_proportions_2indep(56, 70, 48, 80, method="newcomb")
    assert (d.lower / 100, d.upper / 100) == pytest.approx(
        confint_proportions_2indep(56, 70, 48, 80, method="newcomb"), abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(n1=st.integers(20, 5000), n2=st.integers(20, 5000), f1=st.floats(0.01, 0.99), f2=st.floats(0.01, 0.99),
       conf=st.sampled_from([0.95, 0.998]))
def test_interval_excludes_zero_exactly_when_the_test_is_significant(n1, n2, f1, f2, conf):
    p1, p2 = round(f1 * n1) / n1, round(f2 * n2) / n2
    d = newcombe_difference(p1, n1, p2, n2, conf)
    assume(abs(float(d.p_value) - (1 - conf)) > 1e-9)  # not exactly on the boundary
    assert bool(d.significant) == (float(d.p_value) < 1 - conf)
    assert bool(d.significant) == (not (d.lower <= 0 <= d.upper))
    assert d.lower <= d.difference <= d.upper


@settings(deadline=None)  # a correctness property, not a timing one (the machine may be busy)
@given(n=st.integers(20, 5000), f1=st.floats(0.01, 0.99), f2=st.floats(0.01, 0.99))
def test_difference_is_antisymmetric(n, f1, f2):
    a, b = newcombe_difference(f1, n, f2, n), newcombe_difference(f2, n, f1, n)
    assert (a.lower, a.upper) == pytest.approx((-b.upper, -b.lower), abs=1e-9)


def _n_eff(n, deff):
    """The pipeline's own effective base for n respondents (unweighted sums) and a configured deff."""
    return float(effective_base(n, n, n, np.nan if deff is None else deff))


def _smallest_significant_change(p, n, deff=None):
    """Smallest rise (points, 0.1 steps) from p that is significant at 95% with n a year."""
    for step in range(1, 200):
        rise = step / 1000
        if newcombe_difference(p + rise, _n_eff(n, deff), p, _n_eff(n, deff)).significant:
            return 100 * rise
    raise AssertionError("never significant")


def test_appendix_2_orders_of_size():
    """HMIC Appendix 2: about 2 points is significant for USS measures (3,000 a year), about 4
    points is needed for BCS measures (1,000 a year); 81% from 1,000 is +/-2.4 points."""
    assert 1.7 <= _smallest_significant_change(0.80, 3000) <= 2.3
    assert 3.5 <= _smallest_significant_change(0.50, 1000) <= 4.5  # simple random sample
    assert _smallest_significant_change(0.50, 1000, BCS_DEFF) > 4.5  # the design effect widens it
    lo, hi = wilson_interval(810, 1000)
    assert 100 * (hi - lo) / 2 == pytest.approx(2.4, abs=0.1)


@pytest.mark.parametrize("name, before, after, n, deff, significant", [
    # HMIC 2008: SPI 1e 80.0% (2005/06) -> 83.5% (2007/08), about 3,000 victims a year: significant.
    ("SPI 1e", 80.0, 83.5, 3000, None, True),
    # BCS measures, about 1,000 interviews a year, design effect from the config: not significant.
    ("SPI 2a", 49.2, 52.5, 1000, BCS_DEFF, False),
    ("KDI", 46.5, 51.7, 1000, BCS_DEFF, False),
    ("SPI 10b", 10.8, 13.4, 1000, BCS_DEFF, False),
])
def test_the_reports_verdicts_are_reproduced(name, before, after, n, deff, significant):
    """The pipeline's formula exactly: effective base = n / configured total design effect."""
    d = newcombe_difference(after / 100, _n_eff(n, deff), before / 100, _n_eff(n, deff))
    assert bool(d.significant) is significant, (name, d.lower, d.upper)


def _kdi_significant(deff):
    return bool(newcombe_difference(0.517, _n_eff(1000, deff), 0.465, _n_eff(1000, deff)).significant)


def test_what_design_effect_the_reports_verdicts_need():
    """KDI's +5.2 points on 1,000 a year is the verdict that constrains the BCS design effect:
    significant for a total below about 1.4, not significant from there on (HMIC: unchanged).
    SPI 2a and SPI 10b are not significant even at 1.0, so they set no lower bound."""
    smallest = next(d / 100 for d in range(100, 300) if not _kdi_significant(d / 100))
    assert 1.35 <= smallest <= 1.45, smallest
    assert smallest <= BCS_DEFF
    assert not newcombe_difference(0.525, 1000, 0.492, 1000).significant  # SPI 2a at deff 1
    assert not newcombe_difference(0.134, 1000, 0.108, 1000).significant  # SPI 10b at deff 1


# --- MSF ----------------------------------------------------------------------------------------

def test_msf_average_and_its_standard_error():
    avg = msf_average([0.80, 0.82], [1000, 4000])
    assert avg.value == pytest.approx(0.81)
    assert avg.standard_error == pytest.approx(np.sqrt(0.8 * 0.2 / 1000 + 0.82 * 0.18 / 4000) / 2)
    with pytest.raises(ValueError, match="peer bases must be positive"):
        msf_average([0.5], [0])


def test_force_vs_msf_uses_both_uncertainties():
    """HMIC 2008: SPI 1e 83.5% was 1.8 points above the MSF average, significantly."""
    avg = msf_average([0.817] * 7, [3000] * 7)
    d = compare_to_msf(0.835, 3000, avg)
    assert d.difference == pytest.approx(1.8, abs=1e-9) and d.significant
    se_both = np.sqrt(0.835 * 0.165 / 3000 + avg.standard_error**2)
    assert (d.upper - d.lower) / 2 / 100 == pytest.approx(1.959964 * se_both, rel=1e-5)


# --- outcomes ---------------------------------------------------------------------------------

S, N = True, False


@pytest.mark.parametrize("polarity, msf, earlier, verdict", [
    ("higher", (1.8, S), [("2005/06", 3.5, S)], EXCEEDING),
    ("higher", (0.5, N), [("2005/06", 0.4, N)], MEETING),
    ("higher", (-2.5, S), [("2005/06", 0.1, N)], FAILING),
    ("higher", (-2.5, S), [("2005/06", 3.0, S)], MEETING),  # credit for improvement below MSF
    ("higher", (-0.5, N), [("2005/06", 3.0, S)], EXCEEDING),
    ("higher", (2.5, S), [("2007/08", -2.1, S)], FAILING),  # never exceeding while deteriorating
    ("lower", (-1.5, S), [("2005/06", 0.2, N)], EXCEEDING),  # SPI 10b: lower is better
    ("lower", (0.3, N), [("2005/06", 2.6, S)], FAILING),
    ("higher", None, [("2005/06", 1.0, N)], MEETING),
])
def test_hmic_outcome_rules(polarity, msf, earlier, verdict):
    o = hmic_outcome(polarity, Comparison("MSF", *msf) if msf else None,
                     [Comparison(label, d, s) for label, d, s in earlier])
    assert o.verdict == verdict


def test_outcome_reasons_read_as_the_report_does():
    o = hmic_outcome("higher", Comparison("MSF", 1.8, True), [Comparison("2005/06", 3.5, True)])
    assert o.text == "significantly better than MSF (+1.8 pts); significantly improved since 2005/06 (+3.5 pts)"
    o = hmic_outcome("lower", Comparison("MSF", 0.4, False), [Comparison("2005/06", 2.6, False)])
    assert o.text == "not significantly different from MSF (+0.4 pts); no significant change since 2005/06 (+2.6 pts)"


def test_overall_outcome():
    ex, me, fa = (hmic_outcome("higher", Comparison("MSF", d, s), []) for d, s in ((2, S), (0, N), (-2, S)))
    assert overall_outcome([ex, ex, me]).verdict == EXCEEDING
    assert overall_outcome([ex, me, me]).verdict == MEETING
    assert overall_outcome([ex, ex, fa]).verdict == FAILING


# --- targets ------------------------------------------------------------------------------------

@pytest.mark.parametrize("p, n, target, polarity, verdict", [
    (0.90, 3000, 84.0, "higher", MET), (0.80, 3000, 84.0, "higher", MISSED),
    (0.843, 3000, 84.0, "higher", NOT_DISTINGUISHABLE), (0.10, 1000, 13.4, "lower", MET),
    (0.16, 1000, 13.4, "lower", MISSED),
])
def test_target_verdicts(p, n, target, polarity, verdict):
    assert target_verdict(p, n, target, polarity).verdict == verdict


def test_target_probability_and_firm_verdict_base():
    r = target_verdict(0.843, 3000, 84.0)
    assert 0.5 < r.probability_meets < 0.9
    lo, hi = wilson_interval(0.843 * r.firm_verdict_base, r.firm_verdict_base)
    assert not lo <= 0.84 <= hi  # at that base the verdict is firm
    lo, hi = wilson_interval(0.843 * (r.firm_verdict_base - 1), r.firm_verdict_base - 1)
    assert lo <= 0.84 <= hi  # and not one respondent fewer
    assert target_verdict(0.84, 3000, 84.0).firm_verdict_base is None


# --- many areas ---------------------------------------------------------------------------------

def test_overdispersion_is_found_when_present_and_not_when_absent():
    rng = np.random.default_rng(5)
    n = rng.integers(60, 100, 145).astype(float)
    p_true = np.clip(rng.normal(0.5, 0.08, 145), 0.01, 0.99)  # tau = 0.08
    od = overdispersion(rng.binomial(n.astype(int), p_true) / n, n, 0.5)
    assert od.tau2 == pytest.approx(0.08**2, rel=0.5)
    od0 = overdispersion(rng.binomial(n.astype(int), 0.5) / n, n, 0.5)
    assert od0.tau2 < 0.001
    lo, hi = flag_limits(0.5, 80, 3.09, od.tau2)
    lo0, hi0 = flag_limits(0.5, 80, 3.09, 0.0)
    assert lo < lo0 and hi > hi0


def test_area_flags_respect_polarity():
    policy = StatisticsPolicy(area_rule="control_limit")
    f = flag_areas([0.7, 0.5, 0.3], [400, 400, 400], 0.5, "higher", policy)
    assert list(f.flag) == ["better", "similar", "worse"]
    f = flag_areas([0.7, 0.5, 0.3], [400, 400, 400], 0.5, "lower", policy)
    assert list(f.flag) == ["worse", "similar", "better"]


def test_benjamini_hochberg_reference():
    # Hand calculation: sorted p 0.005, 0.01, 0.03, 0.04 -> adjusted 0.02, 0.02, 0.04, 0.04.
    reject, adjusted = benjamini_hochberg([0.01, 0.04, 0.03, 0.005], 0.05)
    assert adjusted == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert reject.all()


# --- trend --------------------------------------------------------------------------------------

def test_trend_test_matches_r():
    # R: prop.trend.test(c(83, 90, 129, 70), c(86, 93, 136, 82)) -> X-squared = 8.2249, p = 0.004132
    t = chi_squared_trend([83, 90, 129, 70], [86, 93, 136, 82], confidence=0.95)
    assert t.statistic == pytest.approx(8.2249, abs=1e-4) and t.p_value == pytest.approx(0.004132, abs=1e-6)
    assert t.direction == "decreasing"
    flat = chi_squared_trend([50, 51, 49, 50, 50], [100] * 5)
    assert flat.direction == "no significant change"


# --- shrinkage ----------------------------------------------------------------------------------

def test_empirical_bayes_recovers_the_prior_and_shrinks_toward_it():
    rng = np.random.default_rng(3)
    n = rng.integers(60, 100, 400).astype(float)
    x = rng.binomial(n.astype(int), rng.beta(30, 20, 400)).astype(float)
    a, b = fit_beta_prior(x, n)
    assert a / (a + b) == pytest.approx(0.6, abs=0.02) and 25 < a + b < 80
    s = shrink(x, n)
    raw = x / n * 100
    prior_mean = 100 * s.prior_alpha / (s.prior_alpha + s.prior_beta)
    between = (np.minimum(raw, prior_mean) - 1e-9 <= s.value) & (s.value <= np.maximum(raw, prior_mean) + 1e-9)
    assert between.all()
    lo, hi = wilson_interval(x, n)
    assert np.median(s.upper - s.lower) < np.median(100 * (hi - lo))


def test_no_real_variation_means_strong_shrinkage():
    """Areas that differ only by sampling: the estimates pull most of the way to the group rate.
    Not all the way: the prior's precision is integrated over (never fixed at a bound), so some
    of the spread stays, as the data cannot rule out small real differences."""
    spreads = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        x = rng.binomial(80, 0.4, 50).astype(float)
        s = shrink(x, np.full(50, 80.0))
        spreads.append(np.ptp(s.value) / np.ptp(x / 80 * 100))
        assert np.median(s.weight_on_area) < 0.3
    assert np.median(spreads) < 0.25 and max(spreads) < 0.4


# --- weighted coverage ---------------------------------------------------------------------------

def test_weighted_interval_coverage_at_base_80():
    """Seeded simulation: a local-survey-like sample of 80 with 16-24s boosted (25% of the sample
    against 12% of residents) and non-response weights; 95% intervals on the Kish effective
    base cover the population value within 1.5 points of 95%."""
    rng = np.random.default_rng(20081)
    truth = 0.12 * 0.35 + 0.88 * 0.55
    reps, covered = 4000, 0
    design = np.concatenate([np.full(20, 0.12 / 0.25), np.full(60, 0.88 / 0.75)])
    for _ in range(reps):
        y = np.concatenate([rng.random(20) < 0.35, rng.random(60) < 0.55]).astype(float)
        w = design * np.exp(rng.normal(0, 0.2, 80))
        e = weighted_proportion((w * y).sum(), w.sum(), 80, w.sum() ** 2 / (w**2).sum())
        covered += e.lower / 100 <= truth <= e.upper / 100
    assert abs(covered / reps - 0.95) < 0.015


# --- the significance policy for areas ----------------------------------------------------------

def _areas(seed=3, k=145, n=80, p0=0.5, shift=None):
    rng = np.random.default_rng(seed)
    true = np.full(k, p0) if shift is None else np.clip(p0 + shift, 0.01, 0.99)
    return rng.binomial(n, true) / n, np.full(k, float(n))


@pytest.mark.parametrize("rule", ["fdr", "control_limit", "overdispersed"])
def test_a_flag_and_its_drawn_limits_never_disagree(rule):
    shift = np.r_[np.full(10, 0.2), np.full(10, -0.2), np.zeros(125)]
    p, n = _areas(shift=shift)
    n = n + np.arange(145)  # different bases, so the limits differ area by area
    f = flag_areas(p, n, 0.5, "higher", StatisticsPolicy(area_rule=rule))
    outside = (p < f.lower) | (p > f.upper)
    assert (outside == np.isin(f.flag, ["better", "worse"])).all()
    lo, hi = flag_limits(0.5, n, f.z_critical, f.tau2)
    assert np.allclose(lo, f.lower) and np.allclose(hi, f.upper)
    assert set(f.flag) <= {"better", "similar", "worse"}


def test_fdr_flags_are_benjamini_hochberg_on_the_score_test():
    shift = np.r_[np.full(8, 0.18), np.zeros(137)]
    p, n = _areas(seed=5, shift=shift)
    f = flag_areas(p, n, 0.5, "higher", StatisticsPolicy(area_rule="fdr", fdr_q=0.05))
    z = (p - 0.5) / np.sqrt(0.25 / n)
    reject = multipletests(2 * norm.sf(np.abs(z)), 0.05, method="fdr_bh")[0]
    assert (reject == np.isin(f.flag, ["better", "worse"])).all() and reject.sum() > 0
    k = reject.sum()
    assert f.z_critical == pytest.approx(norm.isf(0.05 * k / 145 / 2))


def test_control_limits_are_three_standard_errors_at_99_8():
    p, n = _areas(seed=8)
    f = flag_areas(p, n, 0.5, "higher", StatisticsPolicy(area_rule="control_limit", control_level=0.998))
    assert f.z_critical == pytest.approx(3.0902, abs=1e-4)
    assert (np.isin(f.flag, ["better", "worse"]) == (np.abs(f.z) > f.z_critical)).all()


def test_overdispersed_limits_widen_when_areas_really_vary():
    rng = np.random.default_rng(11)
    p, n = _areas(seed=12, shift=rng.normal(0, 0.08, 145))
    plain = flag_areas(p, n, 0.5, "higher", StatisticsPolicy(area_rule="control_limit"))
    od = flag_areas(p, n, 0.5, "higher", StatisticsPolicy(area_rule="overdispersed"))
    assert od.tau2 > 0 and od.phi > 1
    assert np.isin(od.flag, ["better", "worse"]).sum() < np.isin(plain.flag, ["better", "worse"]).sum()


def test_withheld_areas_are_suppressed_and_not_in_the_family():
    p, n = _areas(seed=2, shift=np.r_[np.full(5, 0.25), np.zeros(140)])
    p[5:25] = np.nan
    f = flag_areas(p, n, 0.5, "lower", StatisticsPolicy())
    assert (f.flag[5:25] == "suppressed").all()
    assert set(f.flag[:5]) == {"worse"}  # higher than the force, and lower is better


def test_under_no_real_difference_fdr_rarely_colours_any_area():
    """What the default rule promises: with every area truly at the force's level, a map of 145
    areas (base 80) has any area coloured in at most about q = 5% of maps (BH controls the
    familywise error under the complete null); unadjusted 95% tests colour about 7 a map."""
    maps, any_flag, unadjusted = 400, 0, 0
    for seed in range(maps):
        p, n = _areas(seed=1000 + seed)
        f = flag_areas(p, n, 0.5, "higher", StatisticsPolicy())
        any_flag += np.isin(f.flag, ["better", "worse"]).any()
        unadjusted += (np.abs(f.z) > 1.96).sum()
    assert any_flag / maps <= 0.08  # 5% expected; 400 maps give a standard error of 1.1 points
    assert 5 <= unadjusted / maps <= 9
