"""A national boundary file (all 43 police force areas of England and Wales, ONS December 2023)
is cut to the areas file's codes; an area the file lacks is an error naming it."""

from __future__ import annotations

import re

import pandas as pd

from dashboard.config import DEFAULT_CONFIG, load_config
from dashboard.data import geography
from dashboard.data.problems import Findings
from dashboard.data.store import Store
from dashboard.ingest import run_ingest
from tests.conftest import need_shared_data

# Three neighbouring forces as the "areas" of a made-up force with two divisions.
AREAS = {"E23000016": ("West Mercia", "HE"), "E23000017": ("Warwickshire", "NW"),
         "E23000014": ("West Midlands", "NW")}


def _source(tmp_path, national, codes: dict) -> tuple:
    src = tmp_path / "source"
    src.mkdir()
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r"^\[inputs\]\n.*?\n\n", f'[inputs]\nareas = "areas.csv"\nboundaries = ["{national}"]\n'
                  'boundary_code_column = "PFA23CD"\n\n', text, count=1, flags=re.DOTALL | re.MULTILINE)
    (src / "force.toml").write_text(text, encoding="utf-8")
    pd.DataFrame({"area_code": list(codes), "area_name": [n for n, _ in codes.values()],
                  "division_code": [d for _, d in codes.values()], "population": [""] * len(codes)}
                 ).to_csv(src / "areas.csv", index=False)
    return src, load_config(src / "force.toml")


def test_a_national_file_is_cut_to_the_forces_areas(tmp_path):
    national = need_shared_data() / "police-force-areas-dec2023" / "PFA_DEC_2023_EW_BUC.geojson"
    src, _ = _source(tmp_path, national, AREAS)
    result = run_ingest(src, tmp_path / "store")
    assert result.code == 0, result.findings.report_text("national boundaries")
    cut = [p for p in result.findings.warnings if p.rule == "boundaries_cut"]
    assert len(cut) == 1 and cut[0].message.startswith("40 of 43 features")
    snap = Store(tmp_path / "store").open()
    assert sorted(snap.table("boundaries")["area_code"]) == sorted(AREAS)
    assert sorted(snap.table("boundaries_display")["area_code"]) == sorted(AREAS)
    # A file outside the source folder is recorded by its name only, never the server's path.
    files = {i["file"]: i["kind"] for i in snap.manifest["inputs"]}
    assert files == {"areas.csv": "areas", national.name: "boundaries"}


def test_areas_missing_from_the_national_file_are_named(tmp_path):
    national = need_shared_data() / "police-force-areas-dec2023" / "PFA_DEC_2023_EW_BUC.geojson"
    codes = AREAS | {"E23000099": ("Nowhere", "HE"), "W15000009": ("Nowhere else", "NW")}
    src, config = _source(tmp_path, national, codes)
    findings = Findings()
    areas = geography.read_areas(src / "areas.csv", config, findings)
    bounds = geography.read_boundaries([national], config, findings, keep=set(codes))
    geography.match_areas(areas, bounds, src / "areas.csv", findings)
    missing = [p for p in findings.errors if p.rule == "no_boundary"]
    assert sorted(p.value for p in missing) == ["E23000099", "W15000009"]
    assert all(p.value in p.message and national.name in p.message for p in missing)
    assert [p.row for p in sorted(missing, key=lambda p: p.value)] == [5, 6]  # their rows of areas.csv
    # Without a single code of the force in the file, every area is named.
    findings = Findings()
    none = geography.read_boundaries([national], config, findings, keep={"E23000099"})
    geography.match_areas(areas.iloc[3:4], none, src / "areas.csv", findings)
    assert [p.value for p in findings.errors] == ["E23000099"]


def test_without_an_areas_list_nothing_is_cut(tmp_path):
    national = need_shared_data() / "police-force-areas-dec2023" / "PFA_DEC_2023_EW_BUC.geojson"
    _, config = _source(tmp_path, national, AREAS)
    findings = Findings()
    bounds = geography.read_boundaries([national], config, findings, keep=None)
    assert len(bounds) == 43 and not [p for p in findings.problems if p.rule == "boundaries_cut"]
