"""The small-base flag † per geography level (`[statistics] small_base_flag`): one number for
every level or a table per level; by default 100 for the force and divisions and 65 for areas,
so a local survey's usual 80 or so respondents per area are not flagged."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from dashboard.config import DEFAULT_CONFIG, ConfigError, load_config, parse_config
from dashboard.stats.disclosure import suppress
from dashboard.views.words import base_text, small_base_note
from tests.conftest import REPO

SHIPPED = "small_base_flag = {force = 100, division = 100, area = 65}\n"


def _with(tmp_path, line: str):
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert SHIPPED in text
    path = tmp_path / "force.toml"
    path.write_text(text.replace(SHIPPED, line), encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize("line, expected", [
    ("", {"force": 100, "division": 100, "area": 65}),  # the default
    ("small_base_flag = 120\n", {"force": 120, "division": 120, "area": 120}),  # one number: every level
    ("small_base_flag = {area = 55}\n", {"force": 100, "division": 100, "area": 55}),  # the rest default
    (SHIPPED, {"force": 100, "division": 100, "area": 65}),
])
def test_the_rule_per_level(tmp_path, line, expected):
    assert _with(tmp_path, line).small_base_flag == expected


@pytest.mark.parametrize("line, message", [
    ("small_base_flag = {area = 40}\n", "statistics.small_base_flag.area: must be at least suppression_threshold "
                                        "(50), got 40"),
    ("small_base_flag = 49\n", "statistics.small_base_flag: must be at least suppression_threshold (50), got 49"),
    ("small_base_flag = {ward = 60}\n", "statistics.small_base_flag"),
])
def test_a_value_below_the_threshold_or_an_unknown_level_is_refused(tmp_path, line, message):
    with pytest.raises(ConfigError) as exc:
        _with(tmp_path, line)
    assert any(message in p for p in exc.value.problems), exc.value.problems


def test_the_panel_raises_every_level_to_its_threshold(tmp_path):
    c = _with(tmp_path, "")
    assert c.panel_suppression_threshold == 100
    assert c.for_panel().small_base_flag == {"force": 100, "division": 100, "area": 100}


def test_every_shipped_force_validates_with_the_rule():
    for path in sorted((REPO / "data" / "forces").glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        # west-mercia-wards is completed with one division per local authority when written.
        raw.setdefault("divisions", [{"code": "D1", "name": "Division one"}])
        c = parse_config(raw, Path(path.name))
        assert c.small_base_flag["area"] < c.small_base_flag["division"], path.name
        assert min(c.small_base_flag.values()) >= c.suppression_threshold


def test_suppress_flags_each_level_by_its_own_base():
    frame = pd.DataFrame({"level": ["force", "division", "area", "area", "area"],
                          "value": [50.0] * 5, "base": [90, 99, 80, 64, 49]})
    out = suppress(frame, 50, {"force": 100, "division": 100, "area": 65})
    assert out["small_base"].tolist() == [True, True, False, True, False]  # the last is withheld, not flagged
    assert out["suppressed"].tolist() == [False, False, False, False, True]
    # One number: the old rule, every base under it flagged.
    assert suppress(frame, 50, 100)["small_base"].tolist() == [True, True, True, True, False]
    with pytest.raises(ValueError, match="small_base per level needs a level column"):
        suppress(frame.drop(columns="level"), 50, {"area": 65})


def test_the_words():
    c = load_config()
    assert small_base_note(c) == ("† marks a base (respondents) under 100 for the force and the divisions and "
                                  "under 65 for areas: its interval is wide, so read it with care.")
    assert base_text(64, True) == "64 †" and base_text(80) == "80" and base_text(float("nan"), True) == "withheld"
