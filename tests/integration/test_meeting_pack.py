"""The meeting pack: `dashboard pack --division NAME --out FILE` writes an A4 PDF that poppler
renders, with the division's name on page one and every section; the same pack is served at
/pack/<division>.pdf. Charts go through kaleido and the system Chromium, as in production.

The pack is lean (issue 13): the force's at most 8 pages, a division's at most 6, an area's
profile exactly one, and no page less than a quarter full (``page_fill``), for West Mercia's
demo and for Eastmoor (aggregated quarterly results, no matrix)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from dashboard.app import create_app
from dashboard.cli import main
from dashboard.data.store import Store
from dashboard.live import snapshot_config
from dashboard.views.headline import significant_changes
from tests.conftest import need
from tests.localserve import chromium_path
from tests.protocol import fetch_pack

pytestmark = pytest.mark.slow
SECTIONS = ["Headline indicators", "Targets", "Significant changes only", "Commander's worklist", "Recorded crime",
            "Crime and worry matrix", "Equality: gaps between groups", "Definitions and methods"]
FORCE_PAGES, DIVISION_PAGES = 8, 6
QUARTER = 0.25
MM_TOP, MM_BOTTOM = 15, 18  # the pack's top and bottom margins (the footer is below the bottom one)


@pytest.fixture(autouse=True)
def _tools():
    need(bool(shutil.which("pdftoppm")) and bool(shutil.which("pdftotext")),
         "poppler-utils (pdftoppm, pdftotext) is needed to render the pack (apt-get install poppler-utils)")
    need(bool(chromium_path()), "Chromium is needed for the pack's charts (apt-get install chromium)")


def _text(pdf, *pages: str) -> str:
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def page_fill(pdf: bytes | Path, dpi: int = 40) -> list[float]:
    """How full each page is, measured on the drawn page: poppler renders it in grey
    (``pdftoppm -gray``); the fill is the lowest pixel row with any ink (darker than 200 of 255:
    text, table rules, chart lines and marks alike) below the top margin, as a fraction of the
    height between the top and bottom margins. The footer sits below the bottom margin and does
    not count. A page whose content stops in the first quarter reads under 0.25."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "in.pdf"
        if isinstance(pdf, bytes):
            path.write_bytes(pdf)
        else:
            path = Path(pdf)
        subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), str(path), f"{d}/p"], check=True)
        fills = []
        for f in sorted(Path(d).glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[-1])):
            magic, width, height, _maxval, data = f.read_bytes().split(maxsplit=4)
            assert magic == b"P5"
            w, h = int(width), int(height)
            image = np.frombuffer(data[-w * h:], dtype=np.uint8).reshape(h, w)
            top, bottom = round(MM_TOP * dpi / 25.4), h - round(MM_BOTTOM * dpi / 25.4)
            inked = np.flatnonzero((image[top:bottom] < 200).any(axis=1))
            fills.append(float(inked.max() + 1) / (bottom - top) if len(inked) else 0.0)
    return fills


def assert_lean(pdf, most_pages: int, what: str) -> list[float]:
    fills = page_fill(pdf)
    assert 1 <= len(fills) <= most_pages, f"{what}: {len(fills)} pages (at most {most_pages})"
    assert min(fills) >= QUARTER, f"{what}: a page less than a quarter full: {[round(f, 2) for f in fills]}"
    return fills


def test_pack_for_a_division_renders_with_its_name_on_page_one(demo_store, tmp_path, capsys):
    out = tmp_path / "pack.pdf"
    assert main(["pack", "--division", "north worcestershire", "--out", str(out), "--store", str(demo_store)]) == 0
    assert out.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert_lean(out, DIVISION_PAGES, "North Worcestershire's pack")
    assert len(pages) >= 4 and all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 2000 for p in pages)
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
    assert policy["label"] in flat and "areas are on the worklist" in flat
    # The 145-row table is not printed: the pack says where the full table and the whole worklist are.
    assert "Crime and worry page (/matrix), 'Download CSV'" in flat and "Worklist page (/worklist)" in flat


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


def test_a_divisions_pack_lists_every_area_of_its_worklist_and_the_force_pack_the_worst(demo_store):
    from dashboard.pack import FORCE_PACK_KINDS, worklist_rows
    from dashboard.views.worklist import worklist

    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    wl = worklist(snapshot, config, "NW")
    rows = worklist_rows(wl, force_pack=False)
    ac = snapshot.table("area_comparisons")
    ac = ac[(ac.period == "2008/09") & (ac.division_code == "NW") & ac.flag.isin(["better", "worse"])
            & ac.indicator.isin([i.id for i in config.indicators])]
    names = snapshot.table("areas").set_index("area_code")["area_name"]
    listed = {r[0] for r in rows}
    assert {f"{names[c]} ({c})" for c in ac.area_code} <= listed
    assert len(rows) == wl.rows[["level", "geography_code"]].drop_duplicates().shape[0]
    # Every reason of an area is in its row, under its heading.
    first = wl.rows[wl.rows.level == "area"].iloc[0]
    row = next(r for r in rows if r[0] == f"{first.geography_name} ({first.geography_code})")
    assert any(first.short in items for items in row[2].values())
    force = worklist(snapshot, config, "all")
    serious = force.rows[[(k, v) in FORCE_PACK_KINDS for k, v in zip(force.rows.kind, force.rows.verdict)]]
    assert len(worklist_rows(force, force_pack=True)) == serious[["level", "geography_code"]].drop_duplicates().shape[0]


@pytest.fixture(scope="module")
def served(demo_store):
    client = create_app(demo_store).server.test_client()
    return client, fetch_pack(client.get, "/pack/all.pdf")  # built outside the request (dashboard.jobs)


def test_the_pack_is_served_for_the_selected_division(served):
    client, r = served
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF-")
    assert "meeting-pack-all-" in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "no-store"
    again = client.get("/pack/all.pdf")  # kept per snapshot: the same bytes, not built twice
    assert again.data == r.data
    missing = client.get("/pack/XX.pdf")
    assert missing.status_code == 404 and b"choose one of" in missing.data


def test_the_force_pack_is_lean_with_the_worklist_and_a_labelled_matrix(served, demo_store):
    """At most 8 pages, none less than a quarter full (it was 28 pages, 3 of them nearly blank:
    the 145-row matrix table, every area flag and every area change). The matrix chart labels
    every point with its area code and a table names the codes."""
    from dashboard.pack import labelled_matrix
    from dashboard.views.select import matrix_selection, resource_levels

    _, r = served
    assert_lean(r.data, FORCE_PAGES, "the force's pack")
    flat = " ".join(_text_bytes(r.data).split())
    positions = [flat.find(s) for s in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), positions
    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    period, m, cuts = matrix_selection(snapshot, config, "latest")
    fig = labelled_matrix(m, resource_levels(config), cuts, 0.95)
    labelled = sorted(code for trace in fig.data for code in trace.text)
    assert labelled == sorted(m.area_code) and all("text" in trace.mode for trace in fig.data)
    areas_table = flat[flat.find("Areas by resource level"):flat.find("Equality: gaps")]
    assert all(code in areas_table for code in m.area_code)


def _text_bytes(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return _text(f.name)


def test_eastmoors_force_pack_is_lean_too(example_stores):
    """Eastmoor: eight divisions, aggregated quarterly results, no matrix (its division packs are
    shorter still; West Mercia's division pack is checked above)."""
    from dashboard.pack import build_pack

    snapshot = Store(example_stores["eastmoor"].store).open()
    pdf = build_pack(snapshot, snapshot_config(snapshot), "all")
    assert_lean(pdf, FORCE_PAGES, "Eastmoor's force pack")
    flat = " ".join(_text_bytes(pdf).split())
    assert "Commander's worklist" in flat and "No crime/worry matrix is published for this force" in flat


def test_an_area_profile_is_one_page_from_its_route(served, demo_store, example_stores):
    """/profile/<code>.pdf: exactly one page at least a quarter full, for a known code only; for
    the demo area with the most worklist reasons, an Eastmoor area and a crime-only force's."""
    from dashboard.profile import build_area_profile
    from dashboard.views.worklist import worklist

    client, _ = served
    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    rows = worklist(snapshot, config, "all").rows
    busiest = rows[rows.level == "area"]["geography_code"].value_counts().index[0]
    first = client.get(f"/profile/{busiest}.pdf")  # built outside the request (dashboard.jobs), then kept
    assert first.status_code == 202 and b"area profile for" in first.data and first.headers["Retry-After"]
    r = fetch_pack(client.get, f"/profile/{busiest}.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert f"area-profile-{busiest}-" in r.headers["Content-Disposition"] and r.headers["Cache-Control"] == "no-store"
    assert len(assert_lean(r.data, 1, f"profile of {busiest}")) == 1
    text = " ".join(_text_bytes(r.data).split())
    name = snapshot.table("areas").set_index("area_code").loc[busiest, "area_name"]
    assert f"Area profile: {name} ({busiest})" in text and "On the commander's worklist" in text
    for bad in ("XX99", "HE01x", "..", "he01"):
        assert client.get(f"/profile/{bad}.pdf").status_code == 404, bad
    for name in ("eastmoor", "west-mercia-wards"):
        other = Store(example_stores[name].store).open()
        other_config = snapshot_config(other)
        code = other.table("areas")["area_code"].iloc[0]
        assert len(assert_lean(build_area_profile(other, other_config, code), 1, f"{name} {code}")) == 1


def test_a_divisions_changes_stay_in_the_division(demo_store):
    """The division filter holds in the pack: no other division's area appears in its changes."""
    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    sig, _ = significant_changes(snapshot, config, "SH", "2008/09")
    areas = snapshot.table("areas")
    sh = set(areas.loc[areas.division_code == "SH", "area_code"])
    assert set(sig.loc[sig.level == "area", "geography_code"]) <= sh
    assert set(sig.loc[sig.level != "area", "geography_code"]) <= {"SH"}
