"""The meeting pack: `dashboard pack --division NAME --out FILE` writes an A4 PDF that poppler
renders, with the division's name on page one and every section; the same pack is served at
/pack/<division>.pdf. Charts go through kaleido and the system Chromium, as in production."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from dashboard.app import create_app
from dashboard.cli import main
from dashboard.data.store import Store
from dashboard.live import snapshot_config
from dashboard.views.headline import significant_changes
from tests.conftest import need
from tests.localserve import chromium_path

pytestmark = pytest.mark.slow
SECTIONS = ["Headline indicators", "Targets", "Significant changes only", "Recorded crime", "Crime and worry matrix",
            "Equality: gaps between groups", "Definitions and methods"]


@pytest.fixture(autouse=True)
def _tools():
    need(bool(shutil.which("pdftoppm")) and bool(shutil.which("pdftotext")),
         "poppler-utils (pdftoppm, pdftotext) is needed to render the pack (apt-get install poppler-utils)")
    need(bool(chromium_path()), "Chromium is needed for the pack's charts (apt-get install chromium)")


def _text(pdf, *pages: str) -> str:
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_pack_for_a_division_renders_with_its_name_on_page_one(demo_store, tmp_path, capsys):
    out = tmp_path / "pack.pdf"
    assert main(["pack", "--division", "north worcestershire", "--out", str(out), "--store", str(demo_store)]) == 0
    assert out.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 5 and all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 2000 for p in pages)
    first = _text(out, "-l", "1")
    assert "North Worcestershire division" in first
    assert "Synthetic demonstration data" in first
    snapshot = Store(demo_store).open()
    assert snapshot.id in first
    whole = _text(out)
    positions = [whole.find(s) for s in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), positions
    # Every matrix area of the division is listed, with its published level.
    m = snapshot.table("matrix")
    m = m[(m.period == m.period.max()) & (m.division_code == "NW")]
    names = snapshot.table("areas").set_index("area_code")["area_name"]
    matrix_text = whole[whole.find("Crime and worry matrix"):whole.find("Equality: gaps")]
    assert all(names[c] in matrix_text for c in m.area_code)
    # A headline value appears as published, with its interval.
    est = snapshot.table("estimates")
    e = est[(est.indicator == "spi1e") & (est.period == "2008/09") & (est.level == "division")
            & (est.geography_code == "NW") & (est.subgroup_dimension == "all")].iloc[0]
    assert f"{e.value:.1f}% (95% CI {e.lower_95:.1f}–{e.upper_95:.1f}" in " ".join(first.split())
    # Definitions: polarity words from the one vocabulary (SPI 3b's gap is better nearer zero).
    flat = " ".join(whole.split())
    definitions = flat[flat.find("Definitions and methods"):]
    assert "nearer zero is better" in definitions
    policy = snapshot.table("significance_policy").iloc[0]
    assert policy["label"] in flat and "Area comparisons the published rule tested here" in flat


def test_unknown_division_is_refused_with_the_names(demo_store, tmp_path, capsys):
    assert main(["pack", "--division", "Atlantis", "--out", str(tmp_path / "x.pdf"), "--store", str(demo_store)]) == 1
    err = capsys.readouterr().err
    assert "Atlantis" in err and "North Worcestershire (NW)" in err
    assert not (tmp_path / "x.pdf").exists()


def test_significant_changes_lists_only_the_published_flags(demo_store):
    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    sig, area_tests = significant_changes(snapshot, config, "all", "2008/09")
    assert len(sig) and set(sig["flag"]) <= {"better", "worse"} and not sig["suppressed"].any()
    # Nothing is re-tested in the view: the listed rows are exactly the published better/worse
    # changes of the period, at every level (areas: the policy's flags over all the force's areas).
    chg = snapshot.table("changes")
    chg = chg[(chg.period == "2008/09") & (chg.subgroup_dimension == "all")
              & chg.indicator.isin([i.id for i in config.indicators])]
    for level in ("force", "division", "area"):
        published = chg[(chg.level == level) & chg.flag.isin(["better", "worse"])]
        listed = sig[sig.level == level]
        assert set(zip(listed.geography_code, listed.indicator, listed.compared_with)) == set(
            zip(published.geography_code, published.indicator, published.compared_with)), level
    assert area_tests == (chg.level.eq("area") & chg.flag.isin(["better", "similar", "worse"])).sum() > 1000
    assert set(sig["verdict"]) <= {"better", "worse"}


def test_the_pack_lists_the_areas_the_published_rule_flags(demo_store):
    from dashboard.pack import area_flag_rows

    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    rows, tested = area_flag_rows(snapshot, config, "NW", "2008/09")
    ac = snapshot.table("area_comparisons")
    ac = ac[(ac.period == "2008/09") & (ac.division_code == "NW")
            & ac.indicator.isin([i.id for i in config.indicators])]
    names = snapshot.table("areas").set_index("area_code")["area_name"]
    assert tested == ac.flag.isin(["better", "similar", "worse"]).sum()
    flagged = ac[ac.flag.isin(["better", "worse"])]
    assert sorted(r[0] for r in rows) == sorted(names[flagged.area_code])


def test_the_pack_is_served_for_the_selected_division(demo_store):
    client = create_app(demo_store).server.test_client()
    r = client.get("/pack/SH.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF-")
    assert "meeting-pack-SH-" in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "no-store"
    again = client.get("/pack/SH.pdf")  # kept per snapshot: the same bytes, not built twice
    assert again.data == r.data
    missing = client.get("/pack/XX.pdf")
    assert missing.status_code == 404 and b"choose one of" in missing.data


def test_a_divisions_changes_stay_in_the_division(demo_store):
    """The division filter holds in the pack: no other division's area appears in its changes."""
    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    sig, _ = significant_changes(snapshot, config, "SH", "2008/09")
    areas = snapshot.table("areas")
    sh = set(areas.loc[areas.division_code == "SH", "area_code"])
    assert set(sig.loc[sig.level == "area", "geography_code"]) <= sh
    assert set(sig.loc[sig.level != "area", "geography_code"]) <= {"SH"}
