"""Matrix statistics on hand-built cases: indices, classification, the hold rule, Poisson limits."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.config import load_config
from dashboard.stats.matrix import classify, composite_index, hold_levels
from dashboard.stats.rates import poisson_interval, rate_per_1000


def test_exact_poisson_limits():
    # Garwood limits for 10 events at 95%: 4.7954 to 18.3904 (standard tables, e.g. PHE's
    # "Technical guide: confidence intervals"); 0 events: 0 to 3.6889.
    lo, hi = poisson_interval([10, 0])
    assert lo == pytest.approx([4.7954, 0.0], abs=1e-4) and hi == pytest.approx([18.3904, 3.6889], abs=1e-4)
    rate, lo, hi = rate_per_1000([10], [2000])
    assert rate[0] == pytest.approx(5.0) and lo[0] == pytest.approx(2.3977, abs=1e-4)
    rate, _, _ = rate_per_1000([3], [np.nan])
    assert np.isnan(rate[0])


def test_composite_index_is_a_weighted_geometric_mean_of_ratios():
    ratios = np.array([[2.0, 0.5, 1.0]])
    idx, lo, hi, log_idx, se = composite_index(np.log(ratios), np.full((1, 3), 0.01), np.array([1.0, 1.0, 2.0]))
    assert idx[0] == pytest.approx(100.0)  # (2 * 0.5 * 1 * 1) ** (1/4) = 1
    assert se[0] == pytest.approx(np.sqrt(0.01 * (1 + 1 + 4)) / 4)
    assert lo[0] < 100 < hi[0]


@pytest.mark.parametrize("lower, upper, expected", [
    (120, 160, "high"),   # clearly above the force average
    (40, 80, "low"),      # clearly below
    (85, 130, "nd"),      # the interval crosses the cut line: not distinguishable
    (100, 140, "nd"),     # touching the line is not clearing it
])
def test_classification_at_the_force_average(lower, upper, expected):
    assert classify([lower], [upper], 100.0)[0] == expected


def test_classification_with_tertile_cuts():
    assert list(classify([60, 75, 125], [70, 125, 150], 80.0, 120.0)) == ["low", "nd", "high"]


def test_hand_built_areas_land_in_the_expected_resource_levels():
    levels = load_config().matrix
    assert levels.level_for("high", "high").level == "Intensive"
    assert levels.level_for("low", "low").level == "Maintain"
    assert levels.level_for("low", "high").level == "Reassurance"
    assert levels.level_for("high", "low").level == "Enforcement"
    assert levels.level_for("nd", "nd").level == "Standard"


@pytest.mark.parametrize("raw, hold, published", [
    (["A", "B", "B", "B"], 2, ["A", "A", "B", "B"]),    # a change publishes once it has held twice
    (["A", "B", "A", "B"], 2, ["A", "A", "A", "A"]),    # flapping on noise never publishes
    (["A", "B", "C", "C"], 2, ["A", "A", "A", "C"]),
    (["A", "B", "A", "B"], 1, ["A", "B", "A", "B"]),    # no hold
    (["A", "B", "B", "B"], 3, ["A", "A", "A", "B"]),
])
def test_hold_rule(raw, hold, published):
    assert hold_levels(raw, hold) == published


def test_every_band_combination_has_a_level_and_colour():
    m = load_config().matrix
    assert len(m.indicators) == 22
    assert sum(mi.side == "crime" for mi in m.indicators) == 14
    assert sum(mi.side == "worry" for mi in m.indicators) == 8
    for c in ("high", "nd", "low"):
        for w in ("high", "nd", "low"):
            lv = m.level_for(c, w)
            assert lv.colour.startswith("#") and lv.engagement and lv.frequency
