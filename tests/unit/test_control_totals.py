"""The control-total rule (dashboard.data.control) on hand-made counts, and its configuration key."""

from __future__ import annotations

import re
import tomllib

import pandas as pd
import pytest

from dashboard.config import DEFAULT_CONFIG, INPUT_KEYS, ConfigError, parse_config
from dashboard.data.control import COLUMNS, complete, falls
from tests.conftest import REPO

LIVE = {
    "respondents": {"USS": {"2005/06": 3000, "2006/07": 3000, "2007/08": 3000, "2008/09": 1200}},
    "crime_rows": {"crime": {"2009-01": 1000, "2009-02": 1000, "2009-03": 400}},
}


def _counts(rows) -> pd.DataFrame:
    return pd.DataFrame([(k, g, p, n, (f"{g}.csv",)) for k, g, p, n in rows], columns=COLUMNS)


def _new(**changed) -> pd.DataFrame:
    """The live counts with some changed: key 'USS_2007_08' or 'crime_2009_02' -> count (None drops it)."""
    rows = []
    for kind, groups in LIVE.items():
        for group, periods in groups.items():
            for period, n in periods.items():
                key = re.sub(r"\W", "_", f"{group}_{period}")
                n = changed.get(key, n)
                if n is not None:
                    rows.append((kind, group, period, n))
    return _counts(rows)


def test_every_period_but_the_latest_is_complete():
    assert complete(LIVE) == {("respondents", "USS"): ["2005/06", "2006/07", "2007/08"],
                              ("crime_rows", "crime"): ["2009-01", "2009-02"]}


@pytest.mark.parametrize("changed, expected", [
    ({}, []),
    ({"USS_2007_08": 2700}, []),                       # exactly 10% fewer: allowed
    ({"USS_2007_08": 2699}, [("USS", "2007/08", 3000, 2699)]),
    ({"USS_2008_09": 10, "crime_2009_03": 0}, []),     # the latest period may still be filling up
    ({"USS_2006_07": 9000}, []),                       # a rise is never an error
    ({"crime_2009_02": 500, "USS_2005_06": None},
     [("USS", "2005/06", 3000, 0), ("crime", "2009-02", 1000, 500)]),
])
def test_a_fall_beyond_the_limit_in_a_complete_period_is_found(changed, expected):
    found = falls(LIVE, _new(**changed), 0.10, {})
    assert [(f.group, f.period, f.live, f.new) for f in found] == expected


def test_a_missing_period_blames_the_files_of_its_survey():
    found = falls(LIVE, _new(USS_2006_07=None), 0.10, {"respondents": ("surveys/*.csv",)})
    assert [f.files for f in found] == [("USS.csv",)]
    no_uss = _counts([(k, g, p, n) for k, g, p, n, _ in _new().itertuples(index=False, name=None) if g != "USS"])
    found = falls(LIVE, no_uss, 0.10, {"respondents": ("surveys/*.csv",)})
    assert [(f.period, f.new, f.files) for f in found] == [(p, 0, ("surveys/*.csv",))
                                                           for p in ("2005/06", "2006/07", "2007/08")]


def test_the_limit_is_the_configured_fraction():
    assert falls(LIVE, _new(USS_2007_08=2100), 0.30, {}) == []
    assert len(falls(LIVE, _new(USS_2007_08=2099), 0.30, {})) == 1
    assert len(falls(LIVE, _new(USS_2007_08=2999), 0.0, {})) == 1


@pytest.mark.parametrize("names, accepted", [
    (["USS:2007/08"], "USS:2007/08"), (["uss:2007/08"], "uss:2007/08"), (["USS"], "USS"),
    (["USS:2006/07", "crime"], None), (["BCS:2007/08"], None), (["crime", "ALL"], "ALL"),
])
def test_accept_drop_names_a_survey_and_period_or_a_whole_survey(names, accepted):
    (fall,) = falls(LIVE, _new(USS_2007_08=1000), 0.10, {})
    assert fall.accepted_by(names) == accepted
    assert fall.name == "USS:2007/08"


def _config_with(**inputs):
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    raw["inputs"].update(inputs)
    return parse_config(raw, DEFAULT_CONFIG, text)


def test_max_count_drop_defaults_to_a_tenth_and_is_checked():
    assert _config_with().inputs.max_count_drop == 0.10
    assert _config_with(max_count_drop=0.25).inputs.max_count_drop == 0.25
    for bad, message in ((1.5, "inputs.max_count_drop: Input should be less than or equal to 1, got 1.5"),
                         (-0.1, "inputs.max_count_drop: Input should be greater than or equal to 0, got -0.1"),
                         ("10%", "inputs.max_count_drop: expected a number, got '10%'")):
        with pytest.raises(ConfigError) as err:
            _config_with(max_count_drop=bad)
        assert message in err.value.problems


def test_every_inputs_key_is_documented():
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    start = text.index("### Inputs (`[inputs]`)")
    section = text[start:text.index("\n#", start)]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))
    assert documented == set(INPUT_KEYS)
