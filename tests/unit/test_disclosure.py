"""Cell suppression: primary and secondary cells on small linked tables, and the suppress() mask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.stats.disclosure import (
    additive_relations,
    cell_suppression,
    suppress,
    window_suppression,
    withheld_reason,
)

PARENT = {"A1": "D1", "A2": "D1", "A3": "D1", "D1": "F"}


def table(rows):
    """rows: (level, geography, dimension, subgroup, n, positives)."""
    df = pd.DataFrame(rows, columns=["level", "geography_code", "subgroup_dimension", "subgroup", "n_unweighted",
                                     "positives_unweighted"])
    return df.assign(indicator="spi1e", survey="USS", period="2008/09")


def hidden_set(df, out):
    return {(r.geography_code, r.subgroup) for r, h in zip(df.itertuples(), out["hidden"]) if h}


def no_relation_with_one_hidden(df, out):
    rel, pos, _, _ = additive_relations(df, PARENT)
    counts = np.bincount(rel, weights=out["hidden"].to_numpy()[pos])
    return not (counts == 1).any()


@pytest.mark.parametrize("rows, expected", [
    # One small subgroup: the next smallest subgroup becomes its secondary, not the total.
    ([("force", "F", "all", "all", 300, 250), ("force", "F", "sex", "male", 20, 15),
      ("force", "F", "sex", "female", 180, 150), ("force", "F", "sex", "other", 100, 85)],
     {("F", "male"), ("F", "other")}),
    # Nothing small: nothing hidden.
    ([("force", "F", "all", "all", 300, 250), ("force", "F", "sex", "male", 120, 100),
      ("force", "F", "sex", "female", 180, 150)], set()),
    # Only one other subgroup: it is hidden, however large.
    ([("force", "F", "all", "all", 300, 250), ("force", "F", "sex", "male", 20, 15),
      ("force", "F", "sex", "female", 280, 235)], {("F", "male"), ("F", "female")}),
])
def test_a_single_hidden_subgroup_gets_a_secondary(rows, expected):
    df = table(rows)
    out = cell_suppression(df, PARENT, 50)
    assert hidden_set(df, out) == expected
    assert no_relation_with_one_hidden(df, out)


def test_hidden_area_within_a_division_gets_a_secondary_area():
    df = table([("division", "D1", "all", "all", 300, 240), ("area", "A1", "all", "all", 30, 20),
                ("area", "A2", "all", "all", 120, 100), ("area", "A3", "all", "all", 150, 120),
                ("force", "F", "all", "all", 300, 240)])
    out = cell_suppression(df, PARENT, 50)
    assert hidden_set(df, out) == {("A1", "all"), ("A2", "all")}
    assert out["primary"].tolist() == [False, True, False, False, False]


def test_two_by_two_pattern_reaches_a_fixed_point():
    # Area A1's male cell is small: the secondary in A1 (female) then leaves the female
    # relation across areas with one hidden cell, so a second area joins: a 2 x 2 pattern.
    rows = [("division", "D1", "all", "all", 400, 320), ("division", "D1", "sex", "male", 180, 140),
            ("division", "D1", "sex", "female", 220, 180)]
    for a, (m, f) in {"A1": (10, 90), "A2": (80, 60), "A3": (90, 70)}.items():
        rows += [("area", a, "all", "all", m + f, int(0.8 * (m + f))), ("area", a, "sex", "male", m, int(0.7 * m)),
                 ("area", a, "sex", "female", f, int(0.85 * f))]
    df = table(rows)
    out = cell_suppression(df, PARENT, 50)
    assert {("A1", "male"), ("A1", "female"), ("A2", "male"), ("A2", "female")} <= hidden_set(df, out)
    assert no_relation_with_one_hidden(df, out)


def test_all_satisfied_residual_gets_a_third_cell():
    # The two small groups are both 100% satisfied: the total minus the visible group would
    # show every hidden respondent satisfied, so a group with a dissatisfied one is added.
    df = table([("force", "F", "all", "all", 300, 258), ("force", "F", "ethnicity", "a", 20, 20),
                ("force", "F", "ethnicity", "b", 30, 30), ("force", "F", "ethnicity", "c", 100, 80),
                ("force", "F", "ethnicity", "d", 150, 128)])
    out = cell_suppression(df, PARENT, 50)
    assert hidden_set(df, out) == {("F", "a"), ("F", "b"), ("F", "c")}


def test_a_small_cell_pinned_by_its_total_withholds_the_total():
    # 50 victims, 49 white (primary) and 1 minority (primary): with the total shown, the 49 are
    # pinned within 1/49 whatever the one answered, so the total must go too.
    df = table([("area", "A1", "all", "all", 50, 40), ("area", "A1", "ethnicity", "white", 49, 39),
                ("area", "A1", "ethnicity", "minority", 1, 1)])
    out = cell_suppression(df, PARENT, 50)
    assert hidden_set(df, out) == {("A1", "all"), ("A1", "white"), ("A1", "minority")}


def test_two_small_cells_that_protect_each_other_keep_the_total_and_the_large_group():
    # 40 and 10 victims withheld together leave each an interval wider than 10 points (the 40's
    # positives lie in 30..40 of 40, the 10's in 0..10): nothing more is withheld.
    df = table([("division", "D1", "all", "all", 598, 480), ("division", "D1", "ethnicity", "white", 548, 440),
                ("division", "D1", "ethnicity", "minority", 40, 32), ("division", "D1", "ethnicity", "other", 10, 8)])
    assert hidden_set(df, cell_suppression(df, PARENT, 50)) == {("D1", "minority"), ("D1", "other")}


def test_a_withheld_total_withholds_every_subgroup_of_its_geography():
    # The area's total is withheld to pair with another area in the division (rule 1 across
    # areas); its 80 white residents of 82 must not stay visible: at 0% they would pin its
    # small male and female cells within 2 of 0.
    df = table([("division", "D1", "all", "all", 300, 60), ("area", "A1", "all", "all", 82, 0),
                ("area", "A1", "ethnicity", "white", 80, 0), ("area", "A1", "ethnicity", "other", 2, 0),
                ("area", "A1", "sex", "male", 36, 0), ("area", "A1", "sex", "female", 46, 0),
                ("area", "A2", "all", "all", 40, 20), ("area", "A3", "all", "all", 178, 40),
                ("force", "F", "all", "all", 300, 60)])
    out = cell_suppression(df, PARENT, 50)
    assert {("A1", "all"), ("A1", "white"), ("A1", "male"), ("A1", "female")} <= hidden_set(df, out)


def test_no_survey_results_withhold_nothing():
    """A force with crime data and no surveys publishes no survey cells: nothing to decide."""
    empty = table([]).astype({"geography_code": "float64"})
    out = cell_suppression(empty, PARENT, 50)
    assert out.empty and list(out.columns) == ["primary", "hidden"]


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="cells lack column\\(s\\): n_unweighted"):
        cell_suppression(table([]).drop(columns="n_unweighted"), PARENT, 50)
    with pytest.raises(ValueError, match="threshold must be at least 1 \\(got 0\\)"):
        cell_suppression(table([]), PARENT, 0)


def test_suppress_with_a_mask_withholds_bases_and_gives_one_reason():
    frame = pd.DataFrame({"value": [80.0, 70.0, 60.0], "lower": [75.0, 60.0, 50.0], "upper": [85.0, 80.0, 70.0],
                          "base": [400, 30, 200], "verdict": ["met", "missed", "met"]})
    out = suppress(frame, 50, 100, hidden=[False, False, True], withheld_columns=("verdict",))
    assert out["suppressed"].tolist() == [False, True, True]
    assert out["base"].isna().tolist() == [False, True, True]
    assert out[["value", "lower", "upper"]].iloc[1:].isna().all().all()
    assert out["verdict"].iloc[1:].isna().all() and out["verdict"].iloc[0] == "met"
    # Primary and secondary cannot be told apart by their reason.
    assert out["suppression_reason"].iloc[1] == out["suppression_reason"].iloc[2] == withheld_reason(50)
    assert frame["base"].tolist() == [400, 30, 200]  # the input is not modified


def test_suppress_without_a_mask_is_unchanged():
    out = suppress(pd.DataFrame({"value": [50.0], "base": [49]}), threshold=50, small_base=100)
    assert out.loc[0, "suppression_reason"] == "base 49 is below 50" and out.loc[0, "base"] == 49


def test_suppress_mask_length_is_checked():
    with pytest.raises(ValueError, match="hidden must have one entry per row \\(got 1 for 2 rows\\)"):
        suppress(pd.DataFrame({"value": [1.0, 2.0], "base": [60, 70]}), 50, 100, hidden=[True])


def test_window_is_hidden_when_any_period_is():
    cells = pd.DataFrame({"indicator": "worry", "level": "area", "geography_code": ["A1", "A1", "A2", "A2"],
                          "period": ["2007/08", "2008/09"] * 2, "subgroup_dimension": "all", "subgroup": "all"})
    pooled = pd.DataFrame({"indicator": "worry", "level": "area", "geography_code": ["A1", "A2"],
                           "window": "2007/08 + 2008/09", "base": [160, 160]})
    out = window_suppression(pooled, cells, [False, True, False, False], 50)
    assert out.tolist() == [True, False]


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(st.lists(st.tuples(st.integers(1, 120), st.integers(1, 120)), min_size=3, max_size=3))
def test_no_relation_is_left_with_one_hidden_cell(sizes):
    rows, div_m, div_f = [], 0, 0
    for a, (m, f) in zip(("A1", "A2", "A3"), sizes):
        rows += [("area", a, "all", "all", m + f, (m + f) // 2), ("area", a, "sex", "male", m, m // 2),
                 ("area", a, "sex", "female", f, f - f // 2)]
        div_m, div_f = div_m + m, div_f + f
    rows += [("division", "D1", "all", "all", div_m + div_f, (div_m + div_f) // 2),
             ("division", "D1", "sex", "male", div_m, div_m // 2),
             ("division", "D1", "sex", "female", div_f, div_f - div_f // 2)]
    df = table(rows)
    out = cell_suppression(df, PARENT, 50)
    assert (out["hidden"] | ~out["primary"]).all()
    assert no_relation_with_one_hidden(df, out)


def test_two_rolling_windows_never_differ_by_a_small_group():
    """Rolling 2 periods, threshold 50: W(Q2) = Q1 + Q2 = 0 + 60 and W(Q3) = Q2 + Q3 = 60 + 20
    are both above the threshold, but W(Q3) - W(Q2) = Q3 - Q1 = the 20 respondents of Q3
    alone, so W(Q3) is withheld. W(Q4) = Q3 + Q4 = 20 + 70 differs from W(Q2), still
    published, by Q3 + Q4 - Q1 - Q2 (both sides have respondents): it stays."""
    from dashboard.stats.disclosure import rolling_differences

    labels = ["2024 Q1", "2024 Q2", "2024 Q3", "2024 Q4"]
    cell = {"indicator": "trust", "survey": "S", "level": "area", "geography_code": "A1",
            "subgroup_dimension": "all", "subgroup": "all"}
    singles = pd.DataFrame([{**cell, "period": p, "n_unweighted": n} for p, n in zip(labels, [0, 60, 20, 70])])
    windows = pd.DataFrame([{**cell, "period": p, "n_unweighted": n}
                            for p, n in zip(labels[1:], [60, 80, 90])])
    assert rolling_differences(windows, singles, labels, 2, 50).tolist() == [False, True, False]
    # Without the empty first quarter nothing is given away.
    singles.loc[0, "n_unweighted"] = 5
    assert rolling_differences(windows, singles, labels, 2, 50).tolist() == [False, False, False]
