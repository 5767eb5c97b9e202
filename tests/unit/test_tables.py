"""Reading and checking tabular inputs."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from dashboard.data.problems import Findings
from dashboard.data.tables import FORMULA_PATTERN, ROW, ColumnSpec, check_formulas, convert, read_table


@given(st.lists(st.text(alphabet="=+-@\t\r.0123456789abc ", max_size=5), min_size=1, max_size=30))
def test_vectorised_formula_check_matches_the_documented_pattern(values):
    f = Findings()
    check_formulas(pd.DataFrame({"c": values, ROW: range(2, len(values) + 2)}), "x.csv", f)
    assert {p.row for p in f.problems} == {i + 2 for i, v in enumerate(values) if re.match(FORMULA_PATTERN, v)}


def test_rows_are_spreadsheet_rows_even_with_blank_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n\n2,y\n,\nthree,z\n", encoding="utf-8")
    f = Findings()
    frame = read_table(path, f, ["a", "b"])
    typed = convert(frame, [ColumnSpec("a", "int", "a"), ColumnSpec("b", "text", "b")], path, f)
    assert typed[ROW].tolist() == [2, 4, 6]
    assert [(p.row, p.column, p.value, p.rule) for p in f.problems] == [(6, "a", "three", "not_number")]


def test_unknown_columns_are_warnings_not_errors(tmp_path):
    from dashboard.data.tables import check_columns

    path = tmp_path / "t.csv"
    path.write_text("a,extra\n1,2\n", encoding="utf-8")
    f = Findings()
    frame = read_table(path, f, ["a"])
    assert check_columns(frame, [ColumnSpec("a", "int", "a")], path, f)
    assert [(p.severity, p.column) for p in f.problems] == [("warning", "extra")]
