"""The force configuration is checked on load; each problem names its key."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from dashboard.config import DEFAULT_CONFIG, ConfigError, load_config, parse_config, period_for_dates


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
    assert targets == {"spi1e": 84.0, "uss_followup": 70.0, "confidence_local": 53.0}
    assert c.indicator("spi10b").polarity == "lower" and c.indicator("spi10b").high_threshold == 11
    assert c.indicator("spi10b").monitored_only
    assert c.indicator("spi3b").kind == "gap" and c.indicator("spi3b").groups == ("white", "minority_ethnic")
    assert c.surveys["BCS"].design_effect == 1.5  # a total: effective base = n / 1.5
    assert c.surveys["LOCAL"].design_effect is None  # Kish effective base from the weights


@pytest.mark.parametrize("old, new, message", [
    ("[statistics]\n", "[statistics]\ncolour = 'red'\n", "statistics.colour: unknown key"),
    ("[statistics]\n", "[statistics]\nsupression_threshold = 30\n",
     "statistics.supression_threshold: unknown key (did you mean 'suppression_threshold'?)"),
    ('[surveys.USS]\n', '[surveys.USS]\nweigted = true\n',
     "surveys.USS.weigted: unknown key (did you mean 'weighted'?)"),
    ('polarity = "lower"', 'polarity = "down"',
     "polarity: Input should be 'higher', 'lower' or 'nearer_zero', got 'down'"),
    ("suppression_threshold = 50", "suppression_threshold = 'fifty'",
     "statistics.suppression_threshold: expected a whole number, got 'fifty'"),
    ('labels = ["2005/06"', 'labels = ["2005-06"', "periods.labels[0]: '2005-06' is not a financial year"),
    ('question = "q_whole"', 'question = "q_hole"', "indicators[0].question: 'q_hole' is not a question"),
    ('survey = "USS"\nkind = "proportion"\nquestion = "q_whole"',
     'survey = "XYZ"\nkind = "proportion"\nquestion = "q_whole"',
     "indicators[0].survey: 'XYZ' is not a survey"),
    ("positive = [1, 2, 3]", "positive = [1, 2, 9]", "indicators[0].positive: code 9 is not a valid answer to q_whole"),
    ('code = "NW"', 'code = "HE"', "divisions: code 'HE' is used more than once"),
    ('[force]\ncode = "WM"\n', "[force]\n", "force.code: required key is missing"),
    ('area_flag_rule = "fdr"', 'area_flag_rule = "bonferroni"',
     "statistics.area_flag_rule: Input should be 'fdr', 'control_limit' or 'overdispersed', got 'bonferroni'"),
    ("fdr_q = 0.05", "fdr_q = 5", "statistics.fdr_q: must be between 0 and 1 (got 5.0)"),
    ("trend_min_periods = 3", "trend_min_periods = 9", "statistics.trend_min_periods: must be at least 2 and at most"),
    ("confidence = 0.95\narea", "confidence = 0.9\narea", "statistics.confidence: only 0.95 is supported"),
    ("small_base_flag = {force = 100", "small_base_flag = {force = 40",
     "statistics.small_base_flag.force: must be at least suppression_threshold (50), got 40"),
    ("suppression_threshold = 50\n", "suppression_threshold = 50\npanel_suppression_threshold = 30\n",
     "statistics.panel_suppression_threshold: must be at least suppression_threshold (50), got 30"),
    ("design_effect = 1.5", "design_effect = 0.5",
     "surveys.BCS.design_effect: Input should be greater than or equal to 1, got 0.5"),
    ('level = "force"', 'level = "region"', "surveys.BCS.level: Input should be 'area', 'division' or 'force'"),
    ("missing = [8, 9]", "missing = [8, 10]",
     "answer_scales.satisfaction7.missing: code 10 is not one of the scale's codes"),
    ('codes = { 1 = "Excellent"', 'codes = { x = "Excellent"',
     "answer_scales.job5.codes.x: a key here must be a whole number"),
    ('q_ease = { scale = "satisfaction7"', 'q_ease = { scale = "satisfaction8"',
     "questions.q_ease.scale: 'satisfaction8' is not one of [answer_scales]"),
    ('USS = ["crime_type"', 'USS = ["q_nothing", "crime_type"', "survey_columns.USS: 'q_nothing' is not a question"),
    ('question = "q_police_job"', 'question = "q_confidence"',
     "indicators[6].question: 'q_confidence' is not one of survey_columns.BCS"),
    ('kind = "gap"', 'kind = "gapp"',
     "indicators[5].kind: Input should be 'proportion', 'strand_score' or 'gap', got 'gapp'"),
    ('of = "spi1e"', 'of = "spi1f"', "indicators[5].of: 'spi1f' is not an indicator id"),
    ('subgroup = "ethnicity"', 'subgroup = "religion"', "indicators[5].subgroup: 'religion' is not one of [subgroups]"),
    ('groups = ["white", "minority_ethnic"]', 'groups = ["white", "asian"]',
     "indicators[5].groups: 'asian' is not in subgroups.ethnicity"),
    ('groups = ["white", "minority_ethnic"]', 'groups = ["white"]',
     "indicators[5].groups: a gap needs exactly two groups"),
    ('high_threshold = 11', 'high_threshold = 11\nquestion = "q_whole"',
     "indicators[8].question: not a key of a strand_score indicator (only of proportion)"),
    ('question = "q_whole"\npositive = [1, 2, 3]', 'question = "q_whole"',
     "indicators[0].positive: required key is missing"),
    ('id = "uss_ease"', 'id = "spi1e"', "indicators[1].id: 'spi1e' is the id of more than one indicator"),
    ('target = { value = 84.0, period = "2008/09" }', 'target = { value = 84.0, period = "2009/10" }',
     "indicators[0].target.period: '2009/10' is not one of periods.labels"),
    ('labels = ["2005/06", "2006/07"', 'labels = ["2006/07", "2005/06"',
     "periods.labels: 2006/07 and 2005/06 are not consecutive periods in order"),
    ('baseline = "2005/06"', 'baseline = "2004/05"', "periods.baseline: '2004/05' is not one of periods.labels"),
    ('baseline = "2005/06"', 'baseline = "2005/06"\nrolling = 0',
     "periods.rolling: Input should be greater than or equal to 1, got 0"),
    ('baseline = "2005/06"', 'baseline = "2005/06"\nrolling = 2',
     "periods.baseline: '2005/06' has no full window of 2 periods (rolling = 2)"),
    ('baseline = "2005/06"', 'baseline = "2008/09"\nrolling = 5',
     "periods.rolling: a window of 5 periods is longer than the 4 labels"),
    ('kind = "financial_year"', 'kind = "week"', "periods.kind: Input should be 'financial_year'"),
    ('boundaries = ["boundaries.geojson"]', "boundaries = [1]", "inputs.boundaries[0]: expected text, got 1"),
    ('matrix = "matrix.csv"', 'matrix = "matrix.csv"\nmax_count_drop = 1.5',
     "inputs.max_count_drop: Input should be less than or equal to 1"),
    ('cut = "force_average"', 'cut = "median"', "matrix.cut: Input should be 'force_average' or 'tertiles'"),
    ("hold_periods = 2", "hold_periods = 0", "matrix.hold_periods: Input should be greater than or equal to 1"),
    ('"Bicycle theft", "Burglary"', '"Bicycle theft", "Burglery"',
     "crime_baskets.all_crime: 'Burglery' is not a police.uk crime type"),
    ('crime_type = "Drugs"', 'crime_type = "Drug"',
     "matrix_indicators[4].crime_type: 'Drug' is not a police.uk crime type"),
    ('weight = 0.5', 'weight = 0', "matrix_indicators[1].weight: Input should be greater than 0"),
    ('side = "crime"', 'side = "both"', "matrix_indicators[0].side: Input should be 'crime' or 'worry'"),
    ('indicator = "worry_burglary"', 'indicator = "spi3b"',
     "matrix_indicators[14].indicator: 'spi3b' is not a proportion or strand_score indicator"),
    ('indicator = "worry_burglary"', 'indicator = "spi1e"',
     ("matrix_indicators[14].indicator: 'spi1e' is an indicator of survey USS, but the other worry-side indicators "
      "are of survey LOCAL: all must come from one survey")),
    ('colour = "#CC3311"', 'colour = "red"', "resource_levels[0].colour: String should match pattern"),
    ('worry = "low"\nlevel = "Maintain"', 'worry = "nd"\nlevel = "Maintain"',
     "resource_levels: no level for crime 'low' and worry 'low'"),
    ('worry = "low"\nlevel = "Maintain"', 'worry = "middle"\nlevel = "Maintain"',
     "resource_levels[8].worry: Input should be 'high', 'nd' or 'low'"),
    ('map_indicator = "confidence_local"', 'map_indicator = "confidance"',
     "display.map_indicator: 'confidance' is not an indicator id"),
    ('equality = ["spi3b"]', 'equality = ["spi1e"]', "display.equality[0]: 'spi1e' is not a gap indicator"),
    ('headline = ["spi1e"', 'headline = ["spi1x"', "display.headline[0]: 'spi1x' is not an indicator id"),
])
def test_problems_name_the_key(tmp_path, config_text, old, new, message):
    assert old in config_text
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, config_text.replace(old, new, 1))
    assert any(message in p for p in exc.value.problems), exc.value.problems


def test_all_problems_are_listed_at_once(tmp_path, config_text):
    """Structural problems, bad values and dangling references in different sections, in one pass."""
    text = (config_text.replace("[statistics]\n", "[statistics]\nfdr_qq = 1\n")
            .replace('polarity = "lower"', 'polarity = "down"', 1)
            .replace('labels = ["2005/06"', 'labels = ["2005-06"')
            .replace('headline = ["spi1e"', 'headline = ["spi1x"')
            .replace('survey = "USS"\nkind = "proportion"\nquestion = "q_ease"',
                     'survey = "USS"\nkind = "proportion"\nquestion = "q_ease"\nbar = 2'))
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, text)
    assert sorted(exc.value.problems) == sorted([
        "statistics.fdr_qq: unknown key (did you mean 'fdr_q'?)",
        "indicators[8].polarity: Input should be 'higher', 'lower' or 'nearer_zero', got 'down'",
        "periods.labels[0]: '2005-06' is not a financial year like '2030/31'",
        "periods.baseline: '2005/06' is not one of periods.labels",
        "display.headline[0]: 'spi1x' is not an indicator id",
        "indicators[1].bar: unknown key",
    ])


def test_a_worry_indicator_needs_an_area_survey(tmp_path, config_text):
    """The worry side scores respondents by area: indicators of a force-level survey are refused."""
    text = config_text.replace('indicator = "worry_burglary"', 'indicator = "spi2a"')
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, text)
    assert ("matrix_indicators[14].indicator: 'spi2a' is an indicator of survey BCS, whose level is 'force': the "
            "worry side needs respondents with an area (a survey of level 'area')") in exc.value.problems


def test_the_worry_survey_is_the_one_survey_of_the_worry_indicators():
    c = load_config()
    worry = {c.indicator(mi.indicator).survey for mi in c.matrix.indicators if mi.side == "worry"}
    assert worry == {c.matrix.worry_survey} and c.surveys[c.matrix.worry_survey].level == "area"


def test_matrix_tables_need_the_matrix(tmp_path, config_text):
    start, end = config_text.index("[matrix]\n"), config_text.index("[crime_baskets]")
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, config_text[:start] + config_text[end:])
    assert sorted(exc.value.problems) == ["matrix_indicators: only with a [matrix] table",
                                          "resource_levels: only with a [matrix] table"]


def test_defaults_and_the_panel_view(tmp_path, config_text):
    text = config_text.replace("small_base_flag = {force = 100, division = 100, area = 65}\n", "")
    text = text.replace('short_name = "West Mercia"\n', "")
    text = text.replace('baseline = "2005/06"\n', "")
    c = _load(tmp_path, text)
    assert c.small_base_flag == {"force": 100, "division": 100, "area": 65}
    assert c.panel_suppression_threshold == 100 and c.panel_variant
    assert c.force_short_name == c.force_name and c.baseline_period == c.period_labels[0]
    p = c.for_panel()
    assert (p.suppression_threshold, p.small_base_flag, p.panel_variant) == (100, dict.fromkeys(
        ("force", "division", "area"), 100), False)
    assert p.path == c.path and p.text == c.text and c.suppression_threshold == 50
    assert c.path == tmp_path / "force.toml" and "[force]" in c.text


def test_a_single_glob_is_a_list_of_one(tmp_path, config_text):
    c = _load(tmp_path, config_text.replace('crime = ["crime/*.csv"]', 'crime = "crime/*.csv"'))
    assert c.inputs.crime == ("crime/*.csv",)


def test_not_toml_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        _load(tmp_path, "[force\n")


def test_fieldwork_dates_map_to_financial_years():
    c = load_config()
    dates = pd.Series(pd.to_datetime(["2005-04-01", "2006-03-31", "2006-04-01", "2009-03-31", "2009-04-01",
                                      "2004-12-01"]))
    assert list(period_for_dates(dates, c.periods).fillna("-")) == ["2005/06", "2005/06", "2006/07", "2008/09",
                                                                    "-", "-"]
    assert c.periods[0].start == dt.date(2005, 4, 1)


def test_another_force_is_a_config_file(tmp_path, config_text):
    text = config_text.replace('name = "West Mercia Constabulary"', 'name = "Another Constabulary"')
    start, end = text.index("[[divisions]]"), text.index("[msf]")
    divisions = '[[divisions]]\ncode = "A"\nname = "Alpha"\n\n[[divisions]]\ncode = "B"\nname = "Beta"\n\n'
    text = text[:start] + divisions + text[end:]
    c = _load(tmp_path, text)
    assert c.force_name == "Another Constabulary" and c.division_codes == ("A", "B")


def test_validate_lists_every_config_problem_with_its_key(tmp_path, config_text, capsys):
    """`dashboard validate` on a config with an unknown key, a wrong enum, a dangling reference and
    a bad period label: each problem on its own line, and the total."""
    from dashboard.cli import main

    text = (config_text.replace("[statistics]\n", "[statistics]\nfdr_qq = 0.05\n")
            .replace('polarity = "lower"', 'polarity = "down"', 1)
            .replace('of = "spi1e"', 'of = "spi1x"')
            .replace('labels = ["2005/06", "2006/07"', 'labels = ["2005/06", "2006-07"'))
    (tmp_path / "force.toml").write_text(text, encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    for problem in ("statistics.fdr_qq: unknown key (did you mean 'fdr_q'?)",
                    "indicators[8].polarity: Input should be 'higher', 'lower' or 'nearer_zero', got 'down'",
                    "indicators[5].of: 'spi1x' is not an indicator id",
                    "periods.labels[1]: '2006-07' is not a financial year like '2030/31'"):
        assert f"{problem} [config]" in err, err
    assert "\n4 error(s): nothing was published" in err


def test_the_error_count_is_the_total_not_the_listed(tmp_path, config_text, capsys):
    """More problems than Findings lists of one rule in one file: the count is all of them."""
    from dashboard.cli import main
    from dashboard.data.problems import Findings

    limit = Findings().per_rule_limit
    extra = "".join(f"bad_key_{i} = 1\n" for i in range(limit + 37))
    (tmp_path / "force.toml").write_text(config_text.replace("[statistics]\n", "[statistics]\n" + extra),
                                         encoding="utf-8")
    assert main(["validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("unknown key [config]") == limit
    assert f"\n{limit + 37} error(s) ({limit} listed above): nothing was published" in err


def test_an_unweighted_survey_needs_no_weights_and_only_weights_of_one(tmp_path):
    """`[surveys] weighted = false` is honoured by the reader: no weight column (every weight 1), or 1s."""
    from dashboard.data.problems import Findings
    from dashboard.data.surveys import read_respondents

    config = load_config()
    unweighted = next(code for code, s in config.surveys.items() if not s.weighted and s.level == "area")
    columns = config.survey_columns[unweighted]
    answers = [config.subgroups[c][0] if c == "crime_type" else str(next(iter(config.allowed_codes(c))))
               for c in columns]
    area, period = "A1", config.periods[0].start.isoformat()
    common = [config.subgroups["age_band"][0], config.subgroups["sex"][0], config.subgroups["ethnicity"][0]]

    def read(weights):
        header = ["respondent_id", "survey", "fieldwork_date", "area_code", *(["weight"] if weights else []),
                  "age_band", "sex", "ethnicity", *columns]
        rows = [[f"r{i}", unweighted, period, area, *([w] if weights else []), *common, *answers]
                for i, w in enumerate(weights or ["", ""])]
        path = tmp_path / "survey.csv"
        path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
        findings = Findings()
        return read_respondents(path, config, findings, {area}), findings

    df, findings = read(None)
    assert findings.errors == [] and list(df["weight"]) == [1.0, 1.0]
    df, findings = read(["1", "1.0"])
    assert findings.errors == [] and list(df["weight"]) == [1.0, 1.0]
    _, findings = read(["1", "1.2"])
    assert [(p.row, p.column, p.rule) for p in findings.errors] == [(3, "weight", "not_allowed")]
    # A survey without a [survey_columns] entry is given as aggregated tables only.
    columns_of = dict(config.survey_columns)
    del columns_of[unweighted]
    config = config.model_copy(update={"survey_columns": columns_of})
    df, findings = read(None)
    assert df is None and [(p.row, p.column, p.rule) for p in findings.errors] == [(2, "survey", "not_allowed")]


# Keys the code is known not to read yet, and why. A key leaving this list (because the code now
# reads it) fails the test below too, so the list cannot go stale.
NOT_READ_YET: dict[str, str] = {}  # key -> why it is not read yet


def test_every_key_is_read_by_the_code():
    """A key the schema declares and no code reads is "parsed, documented and ignored". A read is
    ``.key``, ``"key"`` or ``'key'`` anywhere in dashboard/ outside the validators of config.py and
    the docs generator. Names as common as ``name`` or ``code`` always match: this catches the
    distinctive ones (``indicators[].unit`` and ``surveys.*.weighted`` would have failed)."""
    import ast
    import re
    import typing

    from pydantic import BaseModel

    from dashboard.config import ForceConfig
    from tests.conftest import REPO

    def is_validator(node) -> bool:
        return isinstance(node, ast.FunctionDef) and any(
            "validator" in ast.unparse(d) for d in node.decorator_list)

    tree = ast.parse((REPO / "dashboard" / "config.py").read_text(encoding="utf-8"))
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef):
            # Declarations and the checks of a key are not uses of it.
            cls.body = [n for n in cls.body if not isinstance(n, ast.AnnAssign) and not is_validator(n)] or [ast.Pass()]
    code = ast.unparse(tree) + "\n".join(
        p.read_text(encoding="utf-8") for p in (REPO / "dashboard").rglob("*.py")
        if p.name not in ("config.py", "docsgen.py"))

    def models(t, seen):
        if isinstance(t, type) and issubclass(t, BaseModel):
            if t not in seen:
                seen.add(t)
                for f in t.model_fields.values():
                    models(f.annotation, seen)
            return
        for a in typing.get_args(t):
            models(a, seen)

    seen: set = set()
    for f in ForceConfig.model_fields.values():
        models(f.annotation, seen)
    keys = {name for m in seen for name in m.model_fields}
    unread = {k for k in keys if not re.search(rf"\.{k}\b|[\"']{k}[\"']", code)}
    assert unread == set(NOT_READ_YET), unread ^ set(NOT_READ_YET)


def test_aggregated_only_needs_no_respondent_sections(tmp_path, config_text):
    """Without respondent-level files: no [subgroups], [answer_scales], [questions] or
    [survey_columns] (indicators are then given only as aggregated tables)."""
    import tomllib

    from dashboard.config import parse_config

    raw = tomllib.loads(config_text)
    for key in ("subgroups", "answer_scales", "questions", "survey_columns", "matrix", "crime_baskets",
                "matrix_indicators", "resource_levels"):
        del raw[key]
    raw["display"]["equality"] = []
    raw["indicators"] = [i for i in raw["indicators"] if i["kind"] != "gap"]
    kept = {i["id"] for i in raw["indicators"]}  # the headline set names the gap (SPI 3b) too
    raw["display"]["headline"] = [i for i in raw["display"]["headline"] if i in kept]
    del raw["inputs"]["surveys"]
    c = parse_config(raw, tmp_path / "force.toml")
    assert c.subgroups == {} and c.questions == {} and c.matrix is None
    raw["inputs"]["surveys"] = ["surveys/*.csv"]
    with pytest.raises(ConfigError) as exc:
        parse_config(raw, tmp_path / "force.toml")
    assert exc.value.problems == ["subgroups: required key is missing (inputs.surveys lists respondent-level files, "
                                  "whose age_band, sex and ethnicity columns it lists)"]


def test_the_default_baseline_is_the_first_full_window():
    text = load_config().text.replace('baseline = "2005/06"', "rolling = 2")
    assert parse_config(tomllib.loads(text), Path("force.toml"), text).baseline_period == "2006/07"


def test_a_crime_only_force_needs_no_survey_sections(config_text):
    """Recorded crime only: no surveys, indicators, matrix or display; the crime baskets stay."""
    raw = tomllib.loads(config_text)
    for key in ("surveys", "indicators", "subgroups", "answer_scales", "questions", "survey_columns", "matrix",
                "matrix_indicators", "resource_levels", "display", "msf"):
        del raw[key]
    for key in ("surveys", "msf", "matrix"):
        raw["inputs"].pop(key, None)
    c = parse_config(raw, Path("force.toml"))
    assert c.indicators == () and c.surveys == {} and c.matrix is None and "all_crime" in c.crime_baskets
