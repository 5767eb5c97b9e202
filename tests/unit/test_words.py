"""One vocabulary: polarity, flag words and shapes, levels written from the published numbers,
and the meeting pack's definitions taking their polarity words from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard.config import load_config
from dashboard.pack import definition_rows, method_sentences
from dashboard.views.words import (
    FLAG_COLOUR,
    FLAG_FILL,
    FLAG_SYMBOL,
    FLAG_TINT,
    FLAG_WORD,
    FLAGS,
    POLARITY_WORDS,
    Policy,
    base_text,
    ci,
    level_name,
    percent,
    polarity_words,
)


@pytest.mark.parametrize(("level", "text"), [(0.95, "95%"), (0.998, "99.8%"), (0.05, "5%"), (0.9, "90%"),
                                             (0.999, "99.9%")])
def test_a_level_is_written_from_the_published_number(level, text):
    assert percent(level) == text
    assert ci(level) == f"{text} CI"


@pytest.mark.parametrize(("polarity", "words"), [("higher", "higher is better"), ("lower", "lower is better"),
                                                 ("nearer_zero", "nearer zero is better")])
def test_polarity_words(polarity, words):
    assert polarity_words(polarity) == words


def test_every_flag_has_a_word_a_shape_and_colours():
    for table in (FLAG_WORD, FLAG_SYMBOL, FLAG_COLOUR, FLAG_FILL, FLAG_TINT):
        assert set(table) == set(FLAGS)
    # Better and worse differ in shape as well as colour (colour-blind safe), and from similar.
    assert len({FLAG_SYMBOL[f] for f in ("better", "similar", "worse")}) == 3
    assert FLAG_FILL["better"] != FLAG_FILL["worse"] != FLAG_FILL["similar"]


def test_withheld_bases_are_written_as_withheld():
    assert base_text(float("nan")) == "withheld" and base_text(None) == "withheld"
    assert base_text(1234.0) == "1,234"


def test_level_names_come_from_the_configuration_where_it_names_them():
    config = load_config()
    assert level_name(config, "division") == (getattr(config, "level_names", None) or {}).get("division", "division")


def test_the_packs_definitions_take_polarity_words_from_the_vocabulary():
    config = load_config()
    rows = {ind.short_name: row for ind, row in zip(config.indicators, definition_rows(config), strict=True)}
    assert rows["SPI 3b"][3] == "nearer zero is better"
    assert rows["SPI 10b"][3] == "lower is better"
    assert rows["SPI 1e"][3] == "higher is better"
    for ind in config.indicators:
        assert rows[ind.short_name][0].startswith(ind.short_name)
        assert rows[ind.short_name][3] == POLARITY_WORDS[ind.polarity]


def test_the_packs_methods_state_the_published_policy():
    config = load_config()
    policy = Policy(rule="control_limit", q=0.05, level=0.998, confidence=0.9, areas=145, label="99.8% limits",
                    area_text="AREA SENTENCE.", change_text="CHANGE SENTENCE.", force_text="FORCE SENTENCE.")
    text = " ".join(method_sentences(config, policy))
    assert "AREA SENTENCE." in text and "CHANGE SENTENCE." in text and "FORCE SENTENCE." in text
    assert "90% interval" in text and "95%" not in text


def test_the_rug_stylesheet_tints_each_flag_as_the_vocabulary_says():
    """The stylesheet cannot import Python: its copy of the tints is checked against words.py."""
    css = (Path(__file__).resolve().parents[2] / "assets" / "dashboard.css").read_text(encoding="utf-8")
    tints = {}
    rule = r"((?:\.rug td\[data-flag=\"[^\"]+\"\],?\s*)+)\{[^}]*--bs-table-bg:\s*(#[0-9A-Fa-f]{6})"
    for selectors, colour in re.findall(rule, css):
        for flag in re.findall(r'data-flag="([^"]+)"', selectors):
            tints[flag] = colour.upper()
    assert tints == {f: c.upper() for f, c in FLAG_TINT.items()}
