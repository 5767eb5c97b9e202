"""The charts' vocabulary and scales: Fingertips' trend words from the published direction and
the polarity, findings counted from published flags, the matrix's readable log ticks, the spine
chart's normalised scale (better always to the right), and the trends page's column count."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.figures.charts import flag_symbols, log_ticks, spine_scale
from dashboard.views.words import flag_finding, source_line, trend_words


@pytest.mark.parametrize("direction, polarity, words", [
    ("increasing", "higher", "increasing and getting better"),
    ("increasing", "lower", "increasing and getting worse"),
    ("decreasing", "higher", "decreasing and getting worse"),
    ("decreasing", "lower", "decreasing and getting better"),
    ("no significant change", "higher", "no significant change"),
    ("increasing", "nearer_zero", "increasing"),
    (None, "higher", "trend not tested (too few periods)"),
])
def test_trend_words(direction, polarity, words):
    assert trend_words(direction, polarity) == words


@pytest.mark.parametrize("flags, level, finding", [
    (["better", "similar", "worse", "worse", "suppressed"], "division",
     "1 of 4 divisions significantly better than the force, 2 significantly worse"),
    (["worse", "similar", "similar"], "division", "1 of 3 divisions significantly worse than the force"),
    (["similar", "similar", "not tested"], "area", "none of 2 areas tested differs significantly from the force"),
    (["suppressed"], "area", ""),
])
def test_findings_count_published_flags_only(flags, level, finding):
    assert flag_finding(flags, level) == finding


def test_source_line_names_survey_period_and_snapshot():
    assert source_line(["Victim survey", "Victim survey", "Local survey"], "2008/09", "S1") == (
        "Source: Victim survey, Local survey, 2008/09;<br>snapshot S1")


def test_log_ticks_are_round_powers_of_two_around_100():
    ticks = log_ticks(pd.Series([60.0, 90.0, 180.0]))
    assert ticks["ticktext"] == ["25", "50", "100", "200", "400"]
    assert log_ticks(pd.Series([10.0, 700.0]))["ticktext"] == ["6.25", "12.5", "25", "50", "100", "200", "400",
                                                             "800"]


def test_arrows_give_direction_whatever_the_polarity():
    # better and lower (lower is better), worse and higher, similar: the flag's own shape
    assert flag_symbols(["better", "worse", "similar"], [20.0, 80.0, 50.0], [50.0, 50.0, 50.0]) == [
        "triangle-down", "triangle-up", "circle"]


def test_spine_scale_puts_the_force_in_the_middle_and_the_best_on_the_right():
    rows = pd.DataFrame({"polarity": ["higher", "lower"], "force_value": [50.0, 50.0],
                         "value": [60.0, 60.0], "division_value": [50.0, 50.0], "worst": [30.0, 90.0],
                         "best": [70.0, 20.0], "q25": [45.0, 40.0], "q75": [55.0, 60.0],
                         "lower_95": [55.0, 55.0], "upper_95": [65.0, 65.0]})
    out = spine_scale(rows)
    assert out["x_division_value"].tolist() == [0.5, 0.5]
    # higher is better: 20 above the force of a half-width of 20 -> the right end; lower is better:
    # the worst (90) is 40 away -> the left end, the best (20) at 0.5 + 30/80.
    assert out["x_best"].tolist() == pytest.approx([1.0, 0.875])
    assert out["x_worst"].tolist() == pytest.approx([0.0, 0.0])
    assert out["x_value"].tolist() == pytest.approx([0.75, 0.375])  # 60% is worse than 50% where lower is better
    assert (out["x_inner_worst"] <= out["x_inner_best"]).all()
