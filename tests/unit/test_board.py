"""The meeting board's cells from published rows (dashboard/views/board.py): each a state of the
one key with its word; suppressed figures carry no verdict; missing comparisons say why; an arrow
only for the direction of a significant change. And the rug's search and sort rules."""

from __future__ import annotations

from types import SimpleNamespace as Row

import pandas as pd
import pytest

from dashboard.components.rug import SEARCH_MAX, clean_search, matching, sorted_areas
from dashboard.views.board import Context, board_row, key_entries
from dashboard.views.headline import Headline
from dashboard.views.words import CANNOT_TELL, DIRECTION_GLYPH, KEY_GLYPH, KEY_STATES, KEY_WORD, force_figure_note

CTX = Context(confidence=0.95, threshold=50, previous_label="2007/08", baseline_label="2005/06", division=False,
              force_figure_note="force figure — not surveyed by division", msf_indicators=frozenset({"spi1e"}))
DIVISION = Context(**{**CTX.__dict__, "division": True})
SPI = Row(id="spi1e", short_name="SPI 1e", name="Satisfaction", kind="proportion", polarity="higher", assessed=True)
ASB = Row(id="asb", short_name="ASB", name="High ASB", kind="proportion", polarity="lower", assessed=False)
GAP = Row(id="gap", short_name="SPI 3b", name="Gap", kind="gap", polarity="nearer_zero", assessed=False)


def _est(value=84.2, suppressed=False, level="force"):
    return Row(value=value, lower_95=82.9, upper_95=85.5, base=2990, suppressed=suppressed, level=level,
               geography_code="F")


def _chg(diff, flag, suppressed=False):
    return Row(difference=diff, lower=diff - 1, upper=diff + 1, flag=flag, suppressed=suppressed, confidence=0.95,
               direction="up" if diff > 0 else "down" if diff < 0 else "none")


def _headline(ind=SPI, estimate=None, previous=None, baseline=None, msf=None, target=None, outcome=None,
              force_figure=False):
    return Headline(ind, estimate if estimate is not None else _est(), previous, baseline, msf, target, outcome,
                    force_figure)


MSF = Row(flag="better", difference=1.8, lower=0.4, upper=3.2, msf_average=82.4, peers=7, confidence=0.95)
TARGET = Row(target=84.0, period="2008/09", verdict="not distinguishable from target", probability_meets=0.62)
OUTCOME = Row(verdict="exceeding", reasons="significantly better than MSF")


def test_every_cell_is_a_state_of_the_key_with_its_word():
    row = board_row(_headline(previous=_chg(0.7, "similar"), baseline=_chg(4.2, "better"), msf=MSF, target=TARGET,
                              outcome=OUTCOME), CTX)
    cells = row.cells
    assert (cells["value"].state, cells["value"].word, cells["value"].note) == (None, "84.2%", "82.9–85.5 · n 2,990")
    assert (cells["target"].state, cells["target"].word, cells["target"].note) == (
        "similar", "Not distinguishable", "target 84%")
    assert (cells["msf"].state, cells["msf"].word, cells["msf"].note) == ("better", "Better", "+1.8 pts")
    assert (cells["previous"].state, cells["previous"].note, cells["previous"].arrow) == ("similar", "+0.7 pts", "")
    assert (cells["baseline"].state, cells["baseline"].note) == ("better", "▲ +4.2 pts")
    assert (cells["outcome"].state, cells["outcome"].word) == ("better", "Exceeding")
    assert row.where is None and any("significantly better" in d for d in row.details)
    for cell in cells.values():
        assert cell.state is None or cell.state in KEY_STATES


@pytest.mark.parametrize(("diff", "flag", "arrow"), [(3.5, "worse", "▲"), (-2.0, "better", "▼"), (2.0, "better", "▲"),
                                                    (-1.0, "worse", "▼"), (2.5, "similar", "")])
def test_an_arrow_is_the_direction_of_a_significant_change_never_its_verdict(diff, flag, arrow):
    # A rise in a lower-is-better indicator is published 'worse': the arrow still points up.
    cell = board_row(_headline(ASB, previous=_chg(diff, flag)), CTX).cells["previous"]
    assert cell.state == flag and cell.arrow == arrow
    assert not set(cell.word) & set(DIRECTION_GLYPH.values()) - {""}
    assert cell.note == f"{arrow} {diff:+.1f} pts".strip()


def test_a_suppressed_figure_carries_no_verdict():
    row = board_row(_headline(estimate=_est(suppressed=True), previous=_chg(5.0, "better"),
                              baseline=_chg(1.0, "suppressed", suppressed=True), msf=MSF, target=TARGET,
                              outcome=OUTCOME), CTX)
    assert (row.cells["value"].word, row.cells["value"].note) == (KEY_WORD["suppressed"], "base below 50")
    for column in ("target", "msf", "previous", "baseline", "outcome"):
        assert (row.cells[column].state, row.cells[column].word) == ("suppressed", "Cannot tell"), column


def test_missing_comparisons_say_why_and_msf_and_outcomes_are_the_forces():
    plain = board_row(_headline(ASB), CTX).cells
    assert [plain[c].word for c in ("target", "msf", "previous", "outcome")] == [
        "No target", "No MSF data", "No comparison", "Not assessed"]
    assert all(plain[c].state == "no comparison" for c in ("target", "msf", "previous", "outcome"))
    own = board_row(_headline(estimate=_est(level="division"), target=TARGET), DIVISION).cells
    assert (own["msf"].word, own["outcome"].word) == ("Force only", "Force only")
    force = board_row(_headline(msf=MSF, outcome=OUTCOME, force_figure=True), DIVISION)
    assert force.where == force_figure_note(Row(level_names={}))
    assert (force.cells["msf"].word, force.cells["outcome"].word) == ("Better", "Exceeding")


def test_a_gap_row_shows_points_both_bases_and_whether_the_gap_differs_from_zero():
    gap = Row(gap=5.08, lower=-1.32, upper=13.24, base_1=2869, base_2=121, value_1=84.4, value_2=79.3,
              group_1="white", group_2="minority_ethnic", flag="similar", suppressed=False, level="force")
    row = board_row(_headline(GAP, estimate=gap), CTX)
    assert (row.cells["value"].word, row.cells["value"].note) == ("+5.1 pts", "-1.3 to +13.2 · n 2,869 / 121")
    assert (row.cells["target"].state, row.cells["target"].word) == ("similar", "No evidence of a gap")
    assert any("minority ethnic 79.3%" in d for d in row.details)
    worse = board_row(_headline(GAP, estimate=Row(**{**gap.__dict__, "flag": "worse"})), CTX)
    assert (worse.cells["target"].state, worse.cells["target"].word) == ("worse", "Significant gap")
    hidden = board_row(_headline(GAP, estimate=Row(**{**gap.__dict__, "suppressed": True})), CTX)
    assert (hidden.cells["value"].word, hidden.cells["target"].word) == (KEY_WORD["suppressed"], CANNOT_TELL)


@pytest.mark.parametrize(("verdict", "state", "word"), [("met", "better", "Met"), ("missed", "worse", "Missed"),
                                                        ("not distinguishable from target", "similar",
                                                         "Not distinguishable")])
def test_target_verdicts(verdict, state, word):
    cell = board_row(_headline(target=Row(**{**TARGET.__dict__, "verdict": verdict})), CTX).cells["target"]
    assert (cell.state, cell.word) == (state, word)


def test_the_key_has_a_distinct_shape_for_every_state_and_no_arrow():
    entries = key_entries()
    assert [e[0] for e in entries] == list(KEY_STATES)
    glyphs = [KEY_GLYPH[s] for s in KEY_STATES]
    assert len(set(glyphs)) == len(glyphs)
    assert not set(glyphs) & set(DIRECTION_GLYPH.values())


AREAS = pd.DataFrame({"area_code": ["AB01", "AB02", "CD01", "CD02"], "area_name": ["Zed", "alpha", "Mid", "beta"],
                      "division_name": ["A", "A", "C", "C"]})


def test_the_search_is_checked_and_matches_name_or_code_as_plain_text():
    assert clean_search(None) == "" and clean_search(["AB"]) == "" and clean_search({"$ne": 1}) == ""
    assert clean_search("  Ab0 ") == "ab0" and len(clean_search("x" * 500)) == SEARCH_MAX
    assert list(matching(AREAS, "ab0").area_code) == ["AB01", "AB02"]
    assert list(matching(AREAS, "ET").area_code) == []  # not cleaned: matched as given
    assert list(matching(AREAS, clean_search("ET")).area_code) == ["CD02"]
    assert list(matching(AREAS, ".*").area_code) == []  # a plain substring, not a pattern


def test_sorting_by_value_puts_withheld_and_missing_last_in_either_order():
    keyed = {("x", "AB01"): Row(value=10.0, suppressed=False), ("x", "AB02"): Row(value=30.0, suppressed=False),
             ("x", "CD01"): Row(value=99.0, suppressed=True)}
    desc = list(sorted_areas(AREAS, keyed, "x", "desc").area_code)
    asc = list(sorted_areas(AREAS, keyed, "x", "asc").area_code)
    assert desc[:2] == ["AB02", "AB01"] and asc[:2] == ["AB01", "AB02"]
    assert set(desc[2:]) == set(asc[2:]) == {"CD01", "CD02"}  # no value: last, whichever the order
    assert list(sorted_areas(AREAS, keyed, "name", "asc").area_name) == ["alpha", "beta", "Mid", "Zed"]
    assert list(sorted_areas(AREAS, keyed, "division", "desc").area_code) == ["CD02", "CD01", "AB02", "AB01"]
