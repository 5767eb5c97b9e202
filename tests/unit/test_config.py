"""The force configuration is checked on load; each problem names its key."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.config import DEFAULT_CONFIG, ConfigError, load_config, period_for_dates


@pytest.fixture()
def config_text() -> str:
    return DEFAULT_CONFIG.read_text(encoding="utf-8")


def _load(tmp_path, text):
    path = tmp_path / "force.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_default_config_describes_west_mercia():
    c = load_config()
    assert [d.name for d in c.divisions] == ["Herefordshire", "North Worcestershire", "South Worcestershire",
                                              "Shropshire", "Telford and Wrekin"]
    assert len(c.msf_peers) == 7
    assert c.suppression_threshold == 50 and c.policy.confidence == 0.95 and c.policy.area_rule == "fdr"
    targets = {i.id: i.target.value for i in c.indicators if i.target}
    assert targets == {"spi1e": 84.0, "uss_followup": 70.0, "confidence": 53.0}
    assert c.indicator("spi10b").polarity == "lower" and c.indicator("spi10b").high_threshold == 11
    assert c.indicator("spi10b").monitored_only
    assert c.indicator("spi3b").kind == "gap" and c.indicator("spi3b").groups == ("white", "minority_ethnic")
    assert c.surveys["BCS"].design_effect == 1.5  # a total: effective base = n / 1.5
    assert c.surveys["LOCAL"].design_effect is None  # Kish effective base from the weights


@pytest.mark.parametrize("old, new, message", [
    ("[statistics]\n", "[statistics]\ncolour = 'red'\n", "statistics.colour: unknown key"),
    ('polarity = "lower"', 'polarity = "down"', "polarity: must be one of higher, lower, nearer_zero, got 'down'"),
    ("suppression_threshold = 50", "suppression_threshold = 'fifty'", "statistics.suppression_threshold: expected a whole number"),
    ('labels = ["2005/06"', 'labels = ["2005-06"', "periods.labels[0]: '2005-06' is not a financial year"),
    ('question = "q_whole"', 'question = "q_hole"', "indicators[0].question: 'q_hole' is not a question"),
    ('survey = "USS"\nkind = "proportion"\nquestion = "q_whole"', 'survey = "XYZ"\nkind = "proportion"\nquestion = "q_whole"',
     "indicators[0].survey: 'XYZ' is not a survey"),
    ("positive = [1, 2, 3]", "positive = [1, 2, 9]", "indicators[0].positive: code 9 is not a valid answer to q_whole"),
    ('code = "NW"', 'code = "HE"', "divisions: code 'HE' is used more than once"),
    ('[force]\ncode = "WM"\n', "[force]\n", "force.code: required key is missing"),
    ('area_flag_rule = "fdr"', 'area_flag_rule = "bonferroni"',
     "statistics: area_flag_rule must be one of fdr, control_limit, overdispersed (got 'bonferroni')"),
    ("fdr_q = 0.05", "fdr_q = 5", "statistics: fdr_q must be between 0 and 1 (got 5.0)"),
    ("trend_min_periods = 3", "trend_min_periods = 9", "statistics: trend_min_periods must be at least 2 and at most"),
    ("design_effect = 1.5", "design_effect = 0.5", "surveys.BCS.design_effect: must be 1 or more, got 0.5"),
])
def test_problems_name_the_key(tmp_path, config_text, old, new, message):
    assert old in config_text
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, config_text.replace(old, new, 1))
    assert any(message in p for p in exc.value.problems), exc.value.problems


def test_all_problems_are_listed_at_once(tmp_path, config_text):
    text = config_text.replace("[statistics]\n", "[statistics]\nfoo = 1\n").replace('unit = "%"', 'unit = "%"\nbar = 2', 1)
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, text)
    assert len(exc.value.problems) == 2


def test_not_toml_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        _load(tmp_path, "[force\n")


def test_fieldwork_dates_map_to_financial_years():
    c = load_config()
    dates = pd.Series(pd.to_datetime(["2005-04-01", "2006-03-31", "2006-04-01", "2009-03-31", "2009-04-01", "2004-12-01"]))
    assert list(period_for_dates(dates, c.periods).fillna("-")) == ["2005/06", "2005/06", "2006/07", "2008/09", "-", "-"]
    assert c.periods[0].start == dt.date(2005, 4, 1)


def test_another_force_is_a_config_file(tmp_path, config_text):
    text = config_text.replace('name = "West Mercia Constabulary"', 'name = "Another Constabulary"')
    start, end = text.index("[[divisions]]"), text.index("[msf]")
    text = text[:start] + '[[divisions]]\ncode = "A"\nname = "Alpha"\n\n[[divisions]]\ncode = "B"\nname = "Beta"\n\n' + text[end:]
    c = _load(tmp_path, text)
    assert c.force_name == "Another Constabulary" and c.division_codes == ("A", "B")
