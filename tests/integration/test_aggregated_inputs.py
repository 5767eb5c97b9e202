"""Aggregated area tables only, in quarters with rolling 12 months: rolled up to division and
force, pooled over four quarters, compared with the non-overlapping window a year earlier; the
roll-up checked against supplied division rows; every input file in the manifest and on the Data
page; no shrunken estimate pretending to be a number in a two-area division. One small ingest
(five areas, one indicator) for the whole module; the numbers are worked by hand below."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from dashboard import periods
from dashboard.config import DEFAULT_CONFIG
from dashboard.data.store import Store
from dashboard.ingest import run_ingest
from tests.protocol import page_request

QUARTERS = ["2023 Q1", "2023 Q2", "2023 Q3", "2023 Q4", "2024 Q1", "2024 Q2", "2024 Q3", "2024 Q4"]
# Division NW has three areas, HE two (fewer than shrinkage_min_areas = 3).
AREAS = [("N1", "NW"), ("N2", "NW"), ("N3", "NW"), ("H1", "HE"), ("H2", "HE")]


def _force_toml() -> str:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = re.sub(r"^\[periods\]\n.*?\n\n", '[periods]\nkind = "quarter"\nlabels = ['
                  + ", ".join(f'"{q}"' for q in QUARTERS) + ']\nbaseline = "2023 Q4"\nrolling = 4\n\n',
                  text, count=1, flags=re.DOTALL | re.MULTILINE)
    text = re.sub(r"^target = .*\n", "", text, flags=re.MULTILINE)  # financial-year targets
    text = re.sub(r"^\[inputs\]\n.*?\n\n", '[inputs]\nareas = "areas.csv"\nboundaries = ["boundaries.geojson"]\n'
                  'boundary_code_column = "area_code"\naggregated = ["aggregated/*.csv"]\n\n',
                  text, count=1, flags=re.DOTALL | re.MULTILINE)
    keep = {"NW", "HE"}
    return re.sub(r'\[\[divisions\]\]\ncode = "(\w+)"\nname = "[^"]*"\n\n',
                  lambda m: m.group(0) if m.group(1) in keep else "", text)


def _positives(area: int, quarter: int) -> int:
    return 40 + 5 * area + quarter  # of a base of 100


@pytest.fixture(scope="module")
def agg_store(tmp_path_factory):
    src = tmp_path_factory.mktemp("agg-source")
    (src / "force.toml").write_text(_force_toml(), encoding="utf-8")
    pd.DataFrame({"area_code": [a for a, _ in AREAS], "area_name": [f"Area {a}" for a, _ in AREAS],
                  "division_code": [d for _, d in AREAS], "population": [5000] * len(AREAS)}
                 ).to_csv(src / "areas.csv", index=False)
    gpd.GeoDataFrame({"area_code": [a for a, _ in AREAS]},
                     geometry=[box(380000 + 1000 * i, 250000, 380999 + 1000 * i, 251000) for i in range(len(AREAS))],
                     crs="EPSG:27700").to_file(src / "boundaries.geojson", driver="GeoJSON")
    rows = [{"geography_level": "area", "geography_code": a, "period": q, "indicator": "confidence_local",
             "positives": _positives(i, k), "estimate": "", "base": 100}
            for k, q in enumerate(QUARTERS) for i, (a, _) in enumerate(AREAS)
            if (a, q) != ("H2", "2023 Q1")]  # H2 has no row in 2023 Q1
    rows += [
        # HE in 2023 Q2: its areas sum to 117 of 200 (58.5%); this row says 70.0% of 200.
        {"geography_level": "division", "geography_code": "HE", "period": "2023 Q2", "indicator": "confidence_local",
         "positives": "", "estimate": "70.0", "base": 200},
        # NW in 2023 Q3: its areas sum to 141 of 300 = 47.0%, as this row says.
        {"geography_level": "division", "geography_code": "NW", "period": "2023 Q3", "indicator": "confidence_local",
         "positives": "", "estimate": "47.0", "base": 300},
    ]
    (src / "aggregated").mkdir()
    pd.DataFrame(rows).to_csv(src / "aggregated" / "confidence-quarters.csv", index=False)
    store = tmp_path_factory.mktemp("agg-store")
    result = run_ingest(src, store)
    assert result.code == 0, result.findings.report_text("aggregated quarters")
    return store, result


def test_area_rows_roll_up_and_pool_over_four_quarters(agg_store):
    store, _ = agg_store
    snap = Store(store).open()
    est = snap.table("estimates")
    est = est[est["subgroup_dimension"] == "all"].set_index(["level", "geography_code", "period"])
    # Published: only the quarters with four quarters up to them.
    assert set(est.index.get_level_values("period")) == set(QUARTERS[3:])
    # Force, 12 months to 2024 Q4: each quarter k has 250 + 5k positives of 500 -> 1,110 of 2,000.
    f = est.loc[("force", "WM", "2024 Q4")]
    assert (f["base"], f["value"], f["effective_base"]) == (2000, pytest.approx(55.5), pytest.approx(2000))
    # HE over 2024: H1 59 + 60 + 61 + 62, H2 64 + 65 + 66 + 67 = 504 of 800.
    assert est.loc[("division", "HE", "2024 Q4"), "value"] == pytest.approx(63.0)
    # 12 months to 2023 Q4: 2023 Q1 without H2 (190 of 400), 2023 Q2 with HE as supplied (140 + NW's 138
    # of 500), 2023 Q3 with NW as supplied (141 + HE's 119), 2023 Q4 265 -> 993 of 1,900.
    assert est.loc[("force", "WM", "2023 Q4"), "base"] == 1900
    assert est.loc[("force", "WM", "2023 Q4"), "value"] == pytest.approx(100 * 993 / 1900)
    # An area over four quarters: N1 has 40 + 41 + 42 + 43 of 400 to 2023 Q4.
    assert est.loc[("area", "N1", "2023 Q4"), "value"] == pytest.approx(100 * 166 / 400)


def test_changes_compare_windows_that_do_not_overlap(agg_store):
    store, _ = agg_store
    chg = Store(store).open().table("changes")
    force = chg[(chg["level"] == "force") & (chg["subgroup_dimension"] == "all")]
    prev = force[force["compared_with"] == "previous"]
    # Only 12 months to 2024 Q4 has a full window four quarters earlier (12 months to 2023 Q4).
    assert list(zip(prev["period"], prev["reference_period"])) == [("2024 Q4", "2023 Q4")]
    assert prev["difference"].iloc[0] == pytest.approx(55.5 - 100 * 993 / 1900)
    base = force[force["compared_with"] == "baseline"]
    assert list(base["period"]) == ["2024 Q4"]  # 2024 Q1 to Q3 share quarters with the baseline's window
    # Two windows that do not overlap are too few for the recent-trend test (at least three).
    trends = Store(store).open().table("trends") if "trends" in Store(store).open().manifest["tables"] else None
    assert trends is None or trends.empty


def test_division_force_and_comparison_figures_from_area_rows_only(agg_store):
    store, result = agg_store
    snap = Store(store).open()
    est = snap.table("estimates")
    assert {"area", "division", "force"} <= set(est["level"])
    assert set(snap.table("division_comparisons")["division_code"]) == {"NW", "HE"}
    assert len(snap.table("area_comparisons")) == 5 * len(QUARTERS[3:])
    results = snap.table("survey_results")
    assert set(results.loc[results["level"] != "area", "source"]) >= {"aggregated+aggregated_rolled_up"}
    warnings = {(p.rule, p.value) for p in result.findings.warnings}
    # The supplied HE row disagrees with its areas: a warning naming the file and row; NW's agrees.
    disagree = [p for p in result.findings.warnings if p.rule == "roll_up_disagrees"]
    assert len(disagree) == 1 and disagree[0].value == "HE" and disagree[0].file.endswith("confidence-quarters.csv")
    assert disagree[0].row == 2 + 5 * len(QUARTERS) - 1  # header, then the area rows less H2's 2023 Q1
    assert "70.00% of 200" in disagree[0].message and "58.50% of 200" in disagree[0].message
    # HE in 2023 Q1 is summed from H1 alone: said.
    assert ("rolled_up_partly", "HE") in warnings
    assert not result.findings.errors


def test_shrinkage_in_a_two_area_division_is_absent_with_its_reason(agg_store):
    store, _ = agg_store
    ac = Store(store).open().table("area_comparisons").set_index(["area_code", "period"])
    he = ac.loc[("H1", "2024 Q4")]
    assert pd.isna(he["shrunk_value"]) and he["shrink_note"] == "not computed: fewer than 3 areas in the division"
    nw = ac.loc[("N1", "2024 Q4")]
    assert 0 < nw["shrunk_value"] < 100 and pd.isna(nw["shrink_note"])
    # The Area page says so in the shrunken estimate's column, and never prints "nan".
    from dashboard.app import create_app

    client = create_app(store).server.test_client()
    page = client.post("/_dash-update-component", json=page_request("/area/H1"))
    assert page.status_code == 200
    body = json.dumps(page.get_json())
    assert "not computed: fewer than 3 areas in the division" in body and not re.search(r"\bnan\b", body, re.IGNORECASE)


def test_every_input_in_the_manifest_and_on_the_data_page(agg_store):
    from dashboard.app import create_app

    store, _ = agg_store
    snap = Store(store).open()
    inputs = {i["file"]: i for i in snap.manifest["inputs"]}
    assert set(inputs) == {"areas.csv", "boundaries.geojson", "aggregated/confidence-quarters.csv"}
    assert inputs["aggregated/confidence-quarters.csv"]["kind"] == "aggregated survey"
    assert all(len(i["sha256"]) == 64 and i["bytes"] > 0 for i in inputs.values())
    client = create_app(store).server.test_client()
    page = client.post("/_dash-update-component", json=page_request("/data"))
    assert page.status_code == 200
    body = json.dumps(page.get_json())
    assert "aggregated/confidence-quarters.csv" in body and "aggregated survey" in body
    assert ("Results are for calendar quarters (2023 Q1: January 2023 to March 2023); each published figure "
            "pools the 4 quarters ending at its period (12 months to 2024 Q4: January 2024 to December 2024)") in body
    assert str(store.parent) not in body and snap.manifest["source_dir"] not in body


def test_period_words_of_the_published_quarters(agg_store):
    store, _ = agg_store
    from dashboard.config import load_config

    config = load_config(Store(store).open().path / "force.toml")
    assert periods.period_phrase(config, "2024 Q4") == "12 months to 2024 Q4"
    assert periods.comparison_period(config, "2024 Q4") == "2023 Q4"
