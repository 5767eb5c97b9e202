"""Table downloads carry the same figures as the screen, with suppression and definitions."""

from __future__ import annotations

import base64
import io
import json
import shutil
import struct

import pandas as pd

from dashboard.app import create_app
from dashboard.data.store import Store
from tests.conftest import need
from tests.protocol import button_request, selections


def _post(client, body, output):
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.data[:300]
    return json.loads(r.data)["response"][output]["data"]


def _download(client, button: str, division="all"):
    body = button_request("map-download", ("map-csv", "map-xlsx"), button,
                          selections(indicator="confidence_local", period="latest", division=division))
    return _post(client, body, "map-download")


def test_csv_and_xlsx_match_the_published_estimates(demo_store):
    client = create_app(demo_store).server.test_client()
    csv_data = _download(client, "map-csv", "HE")
    csv = pd.read_csv(io.StringIO(csv_data["content"]))
    assert csv_data["filename"] == "confidence_local-2008-09-HE.csv"
    est = Store(demo_store).open().table("estimates")
    est = est[(est.indicator == "confidence_local") & (est.period == "2008/09") & (est.level == "area")
              & (est.subgroup_dimension == "all")].set_index("geography_code")
    assert len(csv) == (Store(demo_store).open().table("areas").division_code == "HE").sum()
    for r in csv.itertuples():
        assert r.value_pct == round(est.loc[r.area_code, "value"], 1)
        assert r.unweighted_base == est.loc[r.area_code, "base"]
    assert csv["definition"].str.contains("confidence in the police").all()
    assert csv["method"].str.contains("Wilson").all()

    xlsx_data = _download(client, "map-xlsx", "HE")
    assert xlsx_data["base64"] and xlsx_data["filename"].endswith(".xlsx")
    xlsx = pd.read_excel(io.BytesIO(base64.b64decode(xlsx_data["content"])))
    pd.testing.assert_frame_equal(xlsx[["area_code", "value_pct", "unweighted_base"]],
                                  csv[["area_code", "value_pct", "unweighted_base"]], check_dtype=False)


def test_suppressed_values_never_reach_an_export(demo_store):
    from dashboard.live import snapshot_config
    from dashboard.views.exports import area_table_export, to_csv
    from dashboard.views.select import area_values, significance_policy

    snap = Store(demo_store).open()
    config = snapshot_config(snap)
    values = area_values(snap, config, "confidence_local", "2008/09")
    values.loc[values.index[:3], "suppressed"] = True  # as the disclosure function marks small bases
    values.loc[values.index[:2], "base"] = float("nan")  # ...and withholds their bases too
    policy = significance_policy(snap)
    frame = area_table_export(values, config.indicator("confidence_local"), config, "2008/09", "force", policy)
    assert frame.loc[frame.index[:3], ["value_pct", "lower_95_pct", "upper_95_pct"]].isna().all().all()
    reason = "withheld: fewer than 50 respondents, or withheld so that another withheld figure cannot be worked out"
    assert (frame.loc[frame.index[:3], "suppression_reason"] == reason).all()
    assert frame.loc[frame.index[:2], "unweighted_base"].isna().all()
    text = to_csv(frame)
    assert reason in text


def test_the_area_export_carries_the_published_flag_and_its_rule(demo_store):
    """The file says what the screen colours: the published flag, its rule, and the policy in words."""
    client = create_app(demo_store).server.test_client()
    csv = pd.read_csv(io.StringIO(_download(client, "map-csv")["content"]))
    snap = Store(demo_store).open()
    ac = snap.table("area_comparisons")
    ac = ac[(ac.indicator == "confidence_local") & (ac.period == "2008/09")].set_index("area_code")
    assert (csv.set_index("area_code")["flag"] == ac.loc[csv["area_code"], "flag"]).all()
    assert set(csv["flag"]) <= {"better", "similar", "worse", "not tested", "suppressed"}
    assert csv["flag_rule"].notna().all()
    policy = snap.table("significance_policy").iloc[0]
    assert csv["method"].str.contains(policy["area_text"], regex=False).all()
    assert not {"compared_with_force_95", "vs_force_95", "bh_significant"} & set(csv.columns)


def _image(client, button: str, division="all"):
    body = button_request("map-image-download", ("map-png", "map-svg", "map-pdf"), button,
                          selections(indicator="confidence_local", period="latest", colour="significance",
                                     division=division))
    return _post(client, body, "map-image-download")


def test_map_exports_as_png_and_svg_offline(demo_store):
    """kaleido with the system Chromium, topojson from the local stub: a drawn map, not a blank."""
    need(bool(shutil.which("chromium")), "chromium is needed for image exports")
    client = create_app(demo_store).server.test_client()
    png = base64.b64decode(_image(client, "map-png", "SH")["content"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1200, 800) and len(png) > 20_000
    svg_data = _image(client, "map-svg", "SH")
    svg = base64.b64decode(svg_data["content"]).decode() if svg_data.get("base64") else svg_data["content"]
    assert svg_data["filename"] == "map-confidence_local-2008-09-SH.svg" and svg.lstrip().startswith("<svg")
    shropshire = (Store(demo_store).open().table("areas").division_code == "SH").sum()
    assert svg.count("choroplethlocation") == shropshire  # every area of the division drawn
    pdf = base64.b64decode(_image(client, "map-pdf", "SH")["content"])
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
