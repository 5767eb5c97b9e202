"""Periods of every kind: labels to dates, fieldwork dates and police.uk months to periods,
rolling windows, the non-overlapping comparison period, their words; and rolling pooling of
survey sums with hand-computed numbers."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from dashboard import periods
from dashboard.config import DEFAULT_CONFIG, load_config, period_for_dates
from dashboard.data.aggregate import RESULT_COLUMNS, pooled, rolling_results


def config_with(tmp_path, kind: str, labels: list[str], rolling: int = 1, baseline: str | None = None):
    """The default force configuration with another [periods] table (targets left out: their
    financial-year periods would not be labels of the other kinds)."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    table = (f'[periods]\nkind = "{kind}"\nlabels = [{", ".join(repr(x).replace(chr(39), chr(34)) for x in labels)}]\n'
             f'baseline = "{baseline or labels[rolling - 1]}"\nrolling = {rolling}\n\n')
    text, n = re.subn(r"^\[periods\]\n.*?\n\n", table, text, count=1, flags=re.DOTALL | re.MULTILINE)
    assert n == 1
    text = re.sub(r"^target = .*\n", "", text, flags=re.MULTILINE)
    path = tmp_path / "force.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


QUARTERS = ["2023 Q1", "2023 Q2", "2023 Q3", "2023 Q4", "2024 Q1", "2024 Q2", "2024 Q3", "2024 Q4"]


@pytest.mark.parametrize("kind, labels, starts, end", [
    ("financial_year", ["2007/08", "2008/09"], [dt.date(2007, 4, 1), dt.date(2008, 4, 1)], dt.date(2009, 4, 1)),
    ("calendar_year", ["2007", "2008"], [dt.date(2007, 1, 1), dt.date(2008, 1, 1)], dt.date(2009, 1, 1)),
    ("quarter", ["2007 Q4", "2008 Q1"], [dt.date(2007, 10, 1), dt.date(2008, 1, 1)], dt.date(2008, 4, 1)),
    ("month", ["2007-12", "2008-01"], [dt.date(2007, 12, 1), dt.date(2008, 1, 1)], dt.date(2008, 2, 1)),
])
def test_labels_dates_and_fieldwork_periods_for_every_kind(tmp_path, kind, labels, starts, end):
    c = config_with(tmp_path, kind, labels)
    assert c.period_kind == kind and [p.start for p in c.periods] == starts and c.periods[-1].end == end
    # The first and last day of each period, and a day either side of them all.
    dates = pd.Series(pd.to_datetime([starts[0] - dt.timedelta(days=1), starts[0], starts[1] - dt.timedelta(days=1),
                                      starts[1], end - dt.timedelta(days=1), end]))
    assert list(period_for_dates(dates, c.periods).fillna("-")) == ["-", labels[0], labels[0], labels[1],
                                                                     labels[1], "-"]
    # police.uk months: the month of each period's first and last day, and the month after them all.
    months = pd.Series([starts[0].strftime("%Y-%m"), (starts[1] - dt.timedelta(days=1)).strftime("%Y-%m"),
                        (end - dt.timedelta(days=1)).strftime("%Y-%m"), end.strftime("%Y-%m"), "not a month"])
    assert list(periods.period_of_month(c, months).fillna("-")) == [labels[0], labels[0], labels[1], "-", "-"]
    assert periods.months(c, labels[1])[0] == starts[1].strftime("%Y-%m")
    assert periods.months(c, labels[1])[-1] == (end - dt.timedelta(days=1)).strftime("%Y-%m")


def test_rolling_quarters_windows_comparisons_trend_points_and_words(tmp_path):
    c = config_with(tmp_path, "quarter", QUARTERS, rolling=4, baseline="2023 Q4")
    assert periods.window(c, "2023 Q3") is None  # three quarters: no full window, not published
    assert periods.window(c, "2024 Q2") == ("2023 Q3", "2023 Q4", "2024 Q1", "2024 Q2")
    assert periods.published_labels(c) == tuple(QUARTERS[3:])
    # "Previous" is the window ending four quarters earlier, which shares no quarter with it.
    assert periods.comparison_period(c, "2024 Q4") == "2023 Q4"
    assert periods.comparison_period(c, "2024 Q2") is None  # 2023 Q2's window is not full
    assert periods.overlaps(c, "2024 Q3", "2023 Q4") and not periods.overlaps(c, "2024 Q4", "2023 Q4")
    assert periods.trend_labels(c, "2024 Q4", 5) == ("2023 Q4", "2024 Q4")
    assert periods.months(c, "2024 Q2") == ("2023-07", "2023-08", "2023-09", "2023-10", "2023-11", "2023-12",
                                            "2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06")
    assert periods.period_phrase(c, "2024 Q2") == "12 months to 2024 Q2"
    assert periods.dates_phrase(c, "2024 Q2") == "July 2023 to June 2024"
    assert periods.previous_phrase(c) == "the previous 12 months"
    assert periods.describe(c) == (
        "Results are for calendar quarters (2023 Q1: January 2023 to March 2023); each published figure pools the 4 "
        "quarters ending at its period (12 months to 2024 Q4: January 2024 to December 2024), and changes compare "
        "it with the previous 12 months, which share no respondents with it.")
    with pytest.raises(ValueError, match=r"unknown period '2025 Q1' \(configured: 2023 Q1, "):
        periods.window(c, "2025 Q1")


@pytest.mark.parametrize("kind, labels, rolling, label, phrase, dates, previous", [
    ("financial_year", ["2007/08", "2008/09"], 1, "2008/09", "2008/09", "April 2008 to March 2009",
     "the previous year"),
    ("financial_year", ["2007/08", "2008/09"], 2, "2008/09", "2007/08 to 2008/09", "April 2007 to March 2009",
     "the previous 2 years"),
    ("calendar_year", ["2007", "2008"], 1, "2008", "2008", "January 2008 to December 2008", "the previous year"),
    ("quarter", ["2008 Q1", "2008 Q2"], 1, "2008 Q2", "2008 Q2", "April 2008 to June 2008", "the previous quarter"),
    ("month", ["2008-05", "2008-06"], 1, "2008-06", "June 2008", "June 2008", "the previous month"),
    ("month", ["2008-05", "2008-06"], 2, "2008-06", "2 months to June 2008", "May 2008 to June 2008",
     "the previous 2 months"),
])
def test_period_words(tmp_path, kind, labels, rolling, label, phrase, dates, previous):
    c = config_with(tmp_path, kind, labels, rolling)
    assert periods.period_phrase(c, label) == phrase
    assert periods.dates_phrase(c, label) == dates
    assert periods.previous_phrase(c) == previous


def _row(period, n, pos, sw, wpos, sw2, n_eff, deff=np.nan, level="force", code="WM", indicator="a", survey="S"):
    return {"indicator": indicator, "survey": survey, "level": level, "geography_code": code, "period": period,
            "subgroup_dimension": "all", "subgroup": "all", "n_unweighted": n, "positives_unweighted": pos,
            "sum_weights": sw, "weighted_positives": wpos, "sum_weights_sq": sw2, "effective_base": n_eff,
            "design_effect": deff, "source": "respondent"}


def test_pooled_sums_add_and_effective_bases_combine_as_independent_samples():
    parts = pd.DataFrame([
        _row("q1", 100, 60, 120.0, 80.0, 200.0, 120.0 ** 2 / 200.0),  # Kish: 72
        _row("q2", 50, 20, 40.0, 18.0, 40.0, 40.0),
    ])
    out = pooled(parts, ["indicator", "level", "geography_code"]).iloc[0]
    assert (out["n_unweighted"], out["positives_unweighted"]) == (150, 80)
    assert (out["sum_weights"], out["weighted_positives"], out["sum_weights_sq"]) == (160.0, 98.0, 240.0)
    # (Σ s)² / Σ (s² / n_eff) = 160² / (120²/72 + 40²/40) = 25600 / 240: Kish of the pooled weights.
    assert out["effective_base"] == pytest.approx(25600 / 240)
    assert np.isnan(out["design_effect"])
    # Aggregated parts (s = base): 1000 with n_eff 800 and 500 with n_eff 250 (deff 1.25 and 2).
    agg = pd.DataFrame([_row("q1", 1000, 500, 1000.0, 500.0, 1000.0 ** 2 / 800, 800.0, 1.25),
                        _row("q2", 500, 300, 500.0, 300.0, 500.0 ** 2 / 250, 250.0, 2.0)])
    out = pooled(agg, ["indicator"]).iloc[0]
    # 1500² / (1000²/800 + 500²/250) = 2,250,000 / 2,250 = 1000; design effect 1500 / 1000.
    assert out["effective_base"] == pytest.approx(1000.0) and out["design_effect"] == pytest.approx(1.5)
    # One configured total design effect (1.5) on unweighted parts: Σ n / 1.5.
    same = pd.DataFrame([_row("q1", 300, 100, 300.0, 100.0, 300.0, 200.0, 1.5),
                         _row("q2", 150, 50, 150.0, 50.0, 150.0, 100.0, 1.5)])
    assert pooled(same, ["indicator"]).iloc[0]["effective_base"] == pytest.approx(450 / 1.5)


def test_rolling_results_pool_full_windows_only(tmp_path):
    c = config_with(tmp_path, "quarter", QUARTERS[:5], rolling=4)
    rows = [_row(q, 100 + 10 * i, 50 + i, 100.0 + 10 * i, 50.0 + i, 100.0 + 10 * i, 100.0 + 10 * i)
            for i, q in enumerate(QUARTERS[:5])]
    # Indicator "b" did not run in 2023 Q2: no window of it covering that quarter is published.
    rows += [_row(q, 80, 40, 80.0, 40.0, 80.0, 80.0, indicator="b") for q in ("2023 Q1", "2023 Q3", "2023 Q4",
                                                                             "2024 Q1")]
    out = rolling_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), c)
    assert list(out.columns) == RESULT_COLUMNS
    a = out[out["indicator"] == "a"].set_index("period")
    assert list(a.index) == ["2023 Q4", "2024 Q1"]  # the only quarters with four quarters up to them
    # 2024 Q1 pools 2023 Q2 to 2024 Q1: bases 110 + 120 + 130 + 140, positives 51 + 52 + 53 + 54.
    assert a.loc["2024 Q1", "n_unweighted"] == 500 and a.loc["2024 Q1", "positives_unweighted"] == 210
    assert a.loc["2024 Q1", "effective_base"] == pytest.approx(500.0)  # unweighted: n_eff = n
    assert a.loc["2023 Q4", "n_unweighted"] == 100 + 110 + 120 + 130
    assert set(out[out["indicator"] == "b"]["period"]) == set()
    # Without rolling the results pass through unchanged.
    assert rolling_results(pd.DataFrame(rows, columns=RESULT_COLUMNS), config_with(tmp_path, "quarter",
                                                                                 QUARTERS[:5])).equals(
        pd.DataFrame(rows, columns=RESULT_COLUMNS))


def test_changes_and_trend_points_of_rolling_windows_do_not_overlap(tmp_path):
    from dashboard.derived import changes, trends

    months = [f"2024-{m:02d}" for m in range(1, 9)]
    c = config_with(tmp_path, "month", months, rolling=2, baseline="2024-02")
    # Published two-month windows 2024-02 to 2024-08, each 200 respondents (unweighted) at the force.
    rows = [_row(m, 200, 100 + 10 * k, 200.0, 100.0 + 10 * k, 200.0, 200.0, indicator="confidence_local",
                 survey="LOCAL") for k, m in enumerate(months) if k >= 1]
    results = pd.DataFrame(rows, columns=RESULT_COLUMNS).assign(hidden=False)
    chg = changes(results, c)
    prev = chg[chg["compared_with"] == "previous"]
    assert list(zip(prev["period"], prev["reference_period"])) == [(m, months[k - 2]) for k, m in enumerate(months)
                                                                   if k >= 3]
    # 2024-08 (170 of 200) against 2024-06 (150 of 200): +10 points.
    assert prev.set_index("period").loc["2024-08", "difference"] == pytest.approx(10.0)
    base = chg[chg["compared_with"] == "baseline"]
    assert list(base["period"]) == months[3:]  # 2024-03 shares February with the baseline's window
    tr = trends(results, c).iloc[0]
    # Every second window ending at the latest: 2024-02, -04, -06, -08.
    assert (tr["first_period"], tr["last_period"], tr["periods"]) == ("2024-02", "2024-08", 4)
