"""Wilson intervals against published and library reference values, and their properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from dashboard.data.aggregate import effective_base
from dashboard.stats.disclosure import suppress
from dashboard.stats.proportions import weighted_proportion, wilson_interval


def test_matches_statsmodels():
    # statsmodels proportion_confint(65, 100, alpha=0.05, method="wilson")
    lo, hi = wilson_interval(65, 100, 0.95)
    assert (lo, hi) == pytest.approx(proportion_confint(65, 100, alpha=0.05, method="wilson"), abs=1e-12)
    # Newcombe (1998) Table I, 81/263: Wilson 0.2553 to 0.3662
    lo, hi = wilson_interval(81, 263, 0.95)
    assert (lo, hi) == pytest.approx((0.2553, 0.3662), abs=1e-4)


def test_appendix_2_order_of_size():
    """HMIC Appendix 2: 81% from 1,000 respondents is accurate to about +/-2.4 points."""
    lo, hi = wilson_interval(810, 1000, 0.95)
    assert (hi - lo) / 2 * 100 == pytest.approx(2.4, abs=0.1)


def test_weighted_interval_uses_the_effective_base():
    w = np.array([0.5, 1.5] * 500)
    kish = effective_base(1000, w.sum(), (w**2).sum(), np.nan)  # no design effect configured
    a = weighted_proportion(600.0, 1000.0, 1000, kish)
    plain = wilson_interval(600, 1000)
    assert a.value == pytest.approx(60.0)
    assert a.upper - a.lower > 100 * (plain[1] - plain[0])
    assert a.effective_base == pytest.approx(800.0)


def test_a_configured_design_effect_is_the_total_and_replaces_kish():
    """A published design effect already includes the weights' loss: n / deff, never Kish / deff."""
    w = np.array([0.5, 1.5] * 500)
    assert effective_base(1000, w.sum(), (w**2).sum(), 1.5) == pytest.approx(1000 / 1.5)
    assert effective_base(1000, 1000.0, 1000.0, np.nan) == pytest.approx(1000.0)  # unweighted: n


@pytest.mark.parametrize("args, message", [
    ((5, 0), "n must be positive"), ((12, 10), "successes must be between 0 and n"),
    ((-1, 10), "successes must be between 0 and n"),
])
def test_arguments_are_checked(args, message):
    with pytest.raises(ValueError, match=message):
        wilson_interval(*args)


def test_confidence_is_checked():
    with pytest.raises(ValueError, match="confidence must be between 0 and 1"):
        wilson_interval(1, 2, 95)


@given(n=st.integers(1, 100_000), frac=st.floats(0, 1), conf=st.sampled_from([0.95, 0.998]))
def test_interval_contains_the_estimate_and_is_symmetric(n, frac, conf):
    x = round(frac * n)
    lo, hi = wilson_interval(x, n, conf)
    assert lo - 1e-12 <= x / n <= hi + 1e-12
    lo2, hi2 = wilson_interval(n - x, n, conf)
    assert (lo, hi) == pytest.approx((1 - hi2, 1 - lo2), abs=1e-9)


@given(n=st.integers(10, 10_000), p=st.floats(0.05, 0.95))
def test_interval_narrows_as_n_grows(n, p):
    lo1, hi1 = wilson_interval(p * n, n)
    lo2, hi2 = wilson_interval(p * 4 * n, 4 * n)
    assert hi2 - lo2 < hi1 - lo1


def test_suppression_withholds_values_and_flags_small_bases():
    import pandas as pd

    frame = pd.DataFrame({"value": [50.0, 60.0, 70.0], "lower": [40.0, 50.0, 60.0], "upper": [60.0, 70.0, 80.0],
                          "base": [49, 50, 150]})
    out = suppress(frame, threshold=50, small_base=100)
    assert out["suppressed"].tolist() == [True, False, False]
    assert np.isnan(out.loc[0, ["value", "lower", "upper"]].astype(float)).all()
    assert out.loc[0, "suppression_reason"] == "base 49 is below 50"
    assert out["small_base"].tolist() == [False, True, False]
    assert frame.loc[0, "value"] == 50.0  # input untouched
