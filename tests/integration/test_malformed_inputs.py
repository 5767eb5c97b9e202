"""A corpus of malformed inputs: each is rejected (exit 1) with a message naming its file, row and
column, and the published snapshot stays byte-identical."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon

from dashboard.cli import main
from dashboard.ingest import run_ingest
from tests.conftest import tree_digest

USS = "surveys/uss-synthetic.csv"
LOCAL = "surveys/local-synthetic.csv"


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write_rows(path: Path, rows: list[list[str]], encoding="utf-8") -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def _set_cell(src: Path, rel: str, data_row: int, column: str, value: str) -> None:
    """Set one cell; ``data_row`` 1 is the first row under the header (spreadsheet row 2)."""
    rows = _rows(src / rel)
    rows[data_row][rows[0].index(column)] = value
    _write_rows(src / rel, rows)


def _rename_column(src: Path, rel: str, old: str, new: str) -> None:
    rows = _rows(src / rel)
    rows[0][rows[0].index(old)] = new
    _write_rows(src / rel, rows)


def _drop_column(src: Path, rel: str, column: str) -> None:
    rows = _rows(src / rel)
    i = rows[0].index(column)
    _write_rows(src / rel, [r[:i] + r[i + 1:] for r in rows])


def _crime_file(src: Path) -> str:
    return str(next((src / "crime").glob("*.csv")).relative_to(src))


def missing_column(src):
    _drop_column(src, USS, "q_whole")
    return USS, 1, "q_whole", "required column is missing"


def renamed_column(src):
    _rename_column(src, "areas.csv", "area_name", "Area Name")
    return "areas.csv", 1, "area_name", "rename it to 'area_name'"


def wrong_type(src):
    _set_cell(src, LOCAL, 5, "weight", "heavy")
    return LOCAL, 6, "weight", "not a number"


def unknown_area(src):
    _set_cell(src, USS, 3, "area_code", "ZZ99")
    return USS, 4, "area_code", "not in the areas file"


def answer_out_of_range(src):
    _set_cell(src, USS, 7, "q_whole", "12")
    return USS, 8, "q_whole", "not one of the allowed values"


def duplicate_respondent(src):
    rows = _rows(src / USS)
    rows[10][0] = rows[2][0]
    _write_rows(src / USS, rows)
    return USS, 11, "respondent_id", "appears more than once"


def weight_not_positive(src):
    _set_cell(src, LOCAL, 9, "weight", "0")
    return LOCAL, 10, "weight", "must be greater than 0"


def weight_missing(src):
    _set_cell(src, LOCAL, 12, "weight", "")
    return LOCAL, 13, "weight", "a value is required"


def empty_file(src):
    (src / "areas.csv").write_bytes(b"")
    return "areas.csv", None, None, "the file is empty"


def header_only(src):
    rows = _rows(src / "msf.csv")
    _write_rows(src / "msf.csv", rows[:1])
    return "msf.csv", 2, None, "no data rows"


def not_utf8(src):
    rows = _rows(src / "areas.csv")
    rows[4][1] = "Ludlow Café"
    _write_rows(src / "areas.csv", rows, encoding="cp1252")
    return "areas.csv", 5, None, "not UTF-8"


def excel_title_row(src):
    df = pd.read_csv(src / USS, dtype=str, keep_default_na=False)
    (src / USS).unlink()
    with pd.ExcelWriter(src / "surveys/uss.xlsx") as xl:
        pd.DataFrame([["Victim satisfaction survey export"], [""]]).to_excel(xl, header=False, index=False)
        df.to_excel(xl, startrow=2, index=False)
    return "surveys/uss.xlsx", 1, None, "header must be in row 1 but was found in row 3"


def excel_bad_code(src):
    df = pd.read_csv(src / USS, dtype=str, keep_default_na=False)
    df.loc[4, "q_followup"] = "0"
    (src / USS).unlink()
    df.to_excel(src / "surveys/uss.xlsx", index=False)
    return "surveys/uss.xlsx", 6, "q_followup", "not one of the allowed values"


def boundaries_without_crs(src):
    gdf = gpd.read_file(src / "boundaries.geojson")
    (src / "boundaries.geojson").unlink()
    gdf.to_file(src / "boundaries.shp")
    (src / "boundaries.prj").unlink()
    _config_replace(src, 'boundaries = ["boundaries.geojson"]', 'boundaries = ["boundaries.shp"]')
    return "boundaries.shp", None, None, "no coordinate reference system"


def invalid_polygon(src):
    gdf = gpd.read_file(src / "boundaries.geojson")
    x0, y0, x1, y1 = gdf.geometry.iloc[3].bounds
    gdf.loc[3, "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # a bow-tie
    gdf.to_file(src / "boundaries.geojson", driver="GeoJSON")
    return "boundaries.geojson", 4, "geometry", "invalid polygon: Self-intersection"


def overlapping_polygons(src):
    gdf = gpd.read_file(src / "boundaries.geojson")
    gdf.loc[0, "geometry"] = gdf.geometry.iloc[0].buffer(800)
    gdf.to_file(src / "boundaries.geojson", driver="GeoJSON")
    return "boundaries.geojson", None, "geometry", "overlaps area"


def duplicate_area_code(src):
    rows = _rows(src / "areas.csv")
    rows[6][0] = rows[5][0]
    _write_rows(src / "areas.csv", rows)
    return "areas.csv", 7, "area_code", "appears more than once"


def area_without_boundary(src):
    rows = _rows(src / "areas.csv")
    extra = list(rows[1])
    extra[0], extra[1] = "HE99", "Nowhere"
    rows.append(extra)
    _write_rows(src / "areas.csv", rows)
    _set_cell(src, USS, 2, "area_code", "HE99")
    return "areas.csv", len(rows), "area_code", "no polygon in the boundary files"


def policeuk_header_changed(src):
    rel = _crime_file(src)
    _rename_column(src, rel, "Crime type", "Crime Type")
    return rel, 1, "Crime type", "police.uk header changed"


def unknown_crime_type(src):
    rel = _crime_file(src)
    _set_cell(src, rel, 3, "Crime type", "Littering")
    return rel, 4, "Crime type", "not one of the allowed values"


def formula_text(src):
    _set_cell(src, "areas.csv", 2, "area_name", '=HYPERLINK("http://example.invalid","x")')
    return "areas.csv", 3, "area_name", "formula"


def period_outside(src):
    _set_cell(src, USS, 4, "fieldwork_date", "2003-05-01")
    return USS, 5, "fieldwork_date", "outside the configured periods"


def not_a_date(src):
    _set_cell(src, LOCAL, 4, "fieldwork_date", "31/31/2007")
    return LOCAL, 5, "fieldwork_date", "not a date"


def unknown_division(src):
    _set_cell(src, "areas.csv", 8, "division_code", "XX")
    return "areas.csv", 9, "division_code", "not one of the allowed values"


def config_unknown_key(src):
    _config_replace(src, "[statistics]\n", "[statistics]\nsupression_threshold = 30\n")
    return "force.toml", None, None, "statistics.supression_threshold: unknown key"


def msf_value_out_of_range(src):
    _set_cell(src, "msf.csv", 3, "value", "180")
    return "msf.csv", 4, "value", "must be at most 100"


def matrix_unknown_area(src):
    _set_cell(src, "matrix.csv", 5, "area_code", "QQ01")
    return "matrix.csv", 6, "area_code", "not in the areas file"


def _config_replace(src: Path, old: str, new: str) -> None:
    path = src / "force.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CASES = [missing_column, renamed_column, wrong_type, unknown_area, answer_out_of_range, duplicate_respondent,
         weight_not_positive, weight_missing, empty_file, header_only, not_utf8, excel_title_row, excel_bad_code,
         boundaries_without_crs, invalid_polygon, overlapping_polygons, duplicate_area_code, area_without_boundary,
         policeuk_header_changed, unknown_crime_type, formula_text, period_outside, not_a_date, unknown_division,
         config_unknown_key, msf_value_out_of_range, matrix_unknown_area]


@pytest.fixture(scope="module")
def published(mini_source, tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("store")
    assert main(["-q", "ingest", "--no-prepare", str(mini_source), "--store", str(store)]) == 0
    return store


def test_corpus_is_large_enough():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_malformed_input_is_rejected_with_file_row_and_column(case, source_copy, published, capsys):
    expected_file, row, column, text = case(source_copy)
    before = tree_digest(published / "snapshots"), (published / "CURRENT").read_bytes()

    code = main(["-q", "ingest", "--no-prepare", str(source_copy), "--store", str(published)])

    assert code == 1
    assert (tree_digest(published / "snapshots"), (published / "CURRENT").read_bytes()) == before
    result = run_ingest(source_copy, published)
    matches = [p for p in result.findings.errors if p.file.endswith(expected_file) and text in p.message]
    assert matches, "\n".join(map(str, result.findings.errors))
    if row is not None:
        assert row in {p.row for p in matches}, "\n".join(map(str, matches))
    if column is not None:
        assert column in {p.column for p in matches}, "\n".join(map(str, matches))
    err = capsys.readouterr().err
    assert "nothing was published" in err
    assert expected_file.split("/")[-1] in err
    report = (published / "reports" / "last-rejection.txt").read_text(encoding="utf-8")
    assert text in report


def test_utf8_with_bom_is_accepted(source_copy, published):
    for rel in ("areas.csv", USS):
        path = source_copy / rel
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = run_ingest(source_copy, published, publish=False)
    assert result.code == 0, result.findings.report_text("BOM rejected")


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ingest"])
    assert exc.value.code == 2


def test_every_problem_is_reported_not_only_the_first(source_copy, published):
    wrong_type(source_copy)
    answer_out_of_range(source_copy)
    formula_text(source_copy)
    result = run_ingest(source_copy, published)
    rules = {p.rule for p in result.findings.errors}
    assert {"not_number", "not_allowed", "formula"} <= rules
