"""Every table's CSV and Excel download, and a chart's PNG/SVG/PDF, through the app's HTTP
interface as the browser calls them: the files read back with the published values,
suppression applied, and a definition and method beside every figure."""

from __future__ import annotations

import base64
import io
import json
import shutil
import struct

import pandas as pd
import pytest

from dashboard.app import create_app
from dashboard.data.store import Store
from tests.conftest import need
from tests.protocol import download_request, figure_request, state

DIVISION = state("division")


def _post(client, body, output):
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.data[:300]
    return json.loads(r.data)["response"][output]["data"]


def _both(client, prefix, states):
    csv = _post(client, download_request(prefix, "csv", states), f"{prefix}-download")
    xlsx = _post(client, download_request(prefix, "xlsx", states), f"{prefix}-download")
    assert csv["filename"].endswith(".csv") and xlsx["filename"].endswith(".xlsx")
    frame = pd.read_csv(io.StringIO(csv["content"]))
    book = pd.read_excel(io.BytesIO(base64.b64decode(xlsx["content"])))
    pd.testing.assert_frame_equal(frame, book, check_dtype=False)
    return frame


@pytest.fixture(scope="module")
def client(demo_store):
    return create_app(demo_store).server.test_client()


@pytest.fixture(scope="module")
def snapshot(demo_store):
    return Store(demo_store).open()


def test_overview_table_matches_published_estimates(client, snapshot):
    frame = _both(client, "overview", [(DIVISION, "value", "all")])
    est = snapshot.table("estimates").set_index(["indicator", "level", "geography_code", "period",
                                                 "subgroup_dimension", "subgroup"])
    assert len(frame) > 40 and set(frame["level"]) == {"force", "division"}
    for r in frame.itertuples():
        e = est.loc[(r.indicator_id, r.level, r.geography_code, r.period, "all", "all")]
        if e["suppressed"]:
            assert pd.isna(r.value_pct) and r.suppression_reason
        else:
            assert r.value_pct == round(e["value"], 1) and r.unweighted_base == e["base"]
    assert frame["definition"].notna().all() and frame["method"].str.contains("Wilson").all()


def test_matrix_table_has_every_area_of_the_division(client, snapshot):
    frame = _both(client, "matrix", [(state("mperiod"), "value", "latest"), (DIVISION, "value", "SW")])
    m = snapshot.table("matrix")
    m = m[(m.period == m.period.max()) & (m.division_code == "SW")].set_index("area_code")
    assert set(frame["area_code"]) == set(m.index)
    for r in frame.itertuples():
        assert r.resource_level == m.loc[r.area_code, "resource_level"]
        assert r.crime_index == round(m.loc[r.area_code, "crime_index"], 1)
    assert frame["method"].str.contains("Garwood").all()


def test_trend_table_holds_estimates_and_changes(client, snapshot):
    frame = _both(client, "trends", [(DIVISION, "value", "HE"), (state("area"), "value", "none")])
    assert set(frame["row_type"]) == {"estimate", "change"}
    est = frame[frame.row_type == "estimate"]
    assert set(est["geography_code"]) == {"HE"} and est["period"].nunique() == 4
    changes = frame[frame.row_type == "change"]
    published = snapshot.table("changes")
    published = published[(published.level == "division") & (published.geography_code == "HE")
                          & (published.subgroup_dimension == "all")]
    assert len(changes) == len(published)
    assert (changes["flag"].value_counts().sort_index() == published["flag"].value_counts().sort_index()).all()
    assert changes["flag_rule"].notna().all() and "significant_95" not in changes.columns
    assert changes["method"].str.contains(snapshot.table("significance_policy").iloc[0]["force_text"],
                                          regex=False).all()


def test_gap_table_and_area_table(client, snapshot):
    gaps = _both(client, "equality-gap-table", [(DIVISION, "value", "all")])
    published = snapshot.table("gaps")
    assert len(gaps) == published["level"].isin(["force", "division"]).sum()
    assert gaps.loc[gaps.suppressed, "gap_pts"].isna().all()
    assert (gaps.loc[gaps.suppressed, "flag"] == "suppressed").all() and "significant_95" not in gaps.columns
    area = _both(client, "area-table", [("area-code", "data", "NW05")])
    mine = area[area.level == "area"]
    assert set(mine["geography_code"]) == {"NW05"} and mine["flag"].notna().any()
    assert set(area["level"]) == {"area", "division", "force"}


def test_rug_and_definitions(client, snapshot):
    rug = _both(client, "rug", [(DIVISION, "value", "all"), (state("rug"), "value", "areas")])
    comp = snapshot.table("area_comparisons")
    comp = comp[comp.period == comp.period.max()]
    assert len(rug) == comp.indicator.isin(set(rug.indicator_id)).sum() > 1000
    merged = rug.merge(comp, left_on=["indicator_id", "geography_code"], right_on=["indicator", "area_code"])
    assert (merged["flag_x"] == merged["flag_y"]).all() and (merged["flag_rule_x"] == merged["flag_rule_y"]).all()
    assert merged.loc[merged["suppressed_y"], "value_x"].isna().all()
    assert not {"vs_force_95", "vs_force_998", "bh_significant"} & set(rug.columns)
    divisions = _both(client, "rug", [(DIVISION, "value", "NW"), (state("rug"), "value", "divisions")])
    assert set(divisions["geography_code"]) == {"NW"} and divisions["lower_95"].notna().any()
    published = snapshot.table("division_comparisons").set_index(["indicator", "period", "division_code"])
    for r in divisions.itertuples():
        assert r.flag == published.loc[(r.indicator_id, r.period, "NW"), "flag"]
    definitions = _both(client, "definitions", [])
    assert "spi1e" in set(definitions["indicator_id"]) and definitions["definition"].notna().all()


def test_a_chart_downloads_as_png_svg_and_pdf(client):
    need(bool(shutil.which("chromium")), "chromium is needed for image exports")
    states = [(DIVISION, "value", "all")]  # the chart is rebuilt on the server from the page's selections
    png = base64.b64decode(_post(client, figure_request("equality-gap", "png", states), "equality-gap-image-download")
                           ["content"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24])[0] == 1200
    svg = _post(client, figure_request("equality-gap", "svg", states), "equality-gap-image-download")
    text = base64.b64decode(svg["content"]).decode() if svg.get("base64") else svg["content"]
    assert text.lstrip().startswith("<svg") and "Gap, pts" in text
    pdf = _post(client, figure_request("equality-gap", "pdf", states), "equality-gap-image-download")
    assert base64.b64decode(pdf["content"]).startswith(b"%PDF-") and pdf["filename"] == "gaps.pdf"
