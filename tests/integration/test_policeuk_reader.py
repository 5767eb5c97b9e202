"""The police.uk reader's two paths agree: the fast one (pyarrow, used columns, one pass of the
checks over every file) and the careful one (every cell as text, file by file). A bad cell in
one of many files is still reported with that file, its row and its column."""

from __future__ import annotations

import shutil

import pandas as pd

from dashboard.config import load_config
from dashboard.data import policeuk
from dashboard.data.problems import Findings
from dashboard.data.tables import ROW


def _copy(demo_source, tmp_path, n=3):
    files = sorted((demo_source / "crime").glob("*.csv"))[:n]
    out = []
    for f in files:
        shutil.copy(f, tmp_path / f.name)
        out.append(tmp_path / f.name)
    return out


def test_fast_and_careful_paths_give_the_same_rows(demo_source, tmp_path):
    config = load_config(demo_source / "force.toml")
    files = _copy(demo_source, tmp_path)
    assert all(policeuk._fast_read(f) is not None for f in files)  # the fast path is the one compared
    findings = Findings()
    fast = policeuk.read_crime_files(files, config, findings)
    assert not findings.errors
    careful = []
    for f in files:
        raw = policeuk._careful_read(f, findings)
        df = policeuk._validate(raw, f, config, findings)
        df["source_file"] = str(f)
        careful.append(df)
    careful = pd.concat(careful, ignore_index=True)
    cols = [ROW, *policeuk.USED]
    pd.testing.assert_frame_equal(fast[cols].astype(str), careful[cols].astype(str))
    assert list(fast["source_file"].astype(str)) == list(careful["source_file"])


def test_a_bad_cell_in_one_of_many_files_names_that_file_and_row(demo_source, tmp_path):
    config = load_config(demo_source / "force.toml")
    files = _copy(demo_source, tmp_path)
    frame = pd.read_csv(files[1], dtype=str, keep_default_na=False)
    frame.loc[7, "Longitude"] = "west of here"  # spreadsheet row 9
    frame.to_csv(files[1], index=False)
    text = files[2].read_text(encoding="utf-8").splitlines()
    files[2].write_text("\n".join(text[:5] + [""] + text[5:]) + "\n", encoding="utf-8")  # a blank line: careful path
    findings = Findings()
    assert policeuk.read_crime_files(files, config, findings) is None
    errors = findings.errors
    assert [(e.file, e.row, e.column, e.rule) for e in errors] == [(str(files[1]), 9, "Longitude", "not_number")]
