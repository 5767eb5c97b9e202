"""Every combination of inputs serves (issue #12): a force with crime only, with aggregated
survey tables only, and with both. Every page answers through the pages router, every callback
the page has answers 200 (image downloads through their figure builders), each absent part is
said in one sentence, the meeting pack builds; and crime rates count only the areas with a
known population, checked against numbers worked out by hand.

The sources are six areas written by tests/combinations.py, ingested once per module.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from dashboard.app import create_app, page_paths
from dashboard.config import Display, load_config
from dashboard.data.store import Store
from dashboard.derived_matrix import _crime_index
from dashboard.figures.common import NO_VALUE
from dashboard.ingest import run_ingest
from dashboard.live import snapshot_config
from dashboard.views import choices, words
from tests.combinations import write_source
from tests.conftest import need
from tests.protocol import PageDriver, fetch_pack

SHAPES = {"crime": (True, False), "aggregated": (False, True), "both": (True, True)}
AREA = "NO1"


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, object]:
    out = {}
    for name, (crime, aggregated) in SHAPES.items():
        base = tmp_path_factory.mktemp(f"combo-{name}")
        result = run_ingest(write_source(base / "source", crime, aggregated), base / "store")
        assert result.code == 0, result.findings.report_text(name)
        out[name] = base / "store"
    return out


@pytest.fixture(scope="module")
def drivers(stores) -> dict[str, PageDriver]:
    out = {}
    for name, store in stores.items():
        app = create_app(store)
        out[name] = PageDriver(app, app.server.test_client(), click_location=AREA)
    return out


def _text(node) -> str:
    """Every string in a callback answer or a layout's JSON."""
    if isinstance(node, str):
        return node + " "
    if isinstance(node, dict):
        return "".join(_text(v) for v in node.values())
    if isinstance(node, list):
        return "".join(_text(v) for v in node)
    return ""


@pytest.mark.parametrize("shape, path", [(shape, path) for shape in SHAPES for path in page_paths(AREA)])
def test_every_page_and_every_callback_answers(drivers, shape, path):
    answers = drivers[shape].open(path)
    failed = {out: (status, _text(body)[:300]) for out, (status, body) in answers.items() if status != 200}
    assert not failed, failed
    assert len(answers) > 1  # the page and at least the URL callback


def test_crime_only_pages_say_what_is_absent_and_draw_the_crime(drivers):
    driver = drivers["crime"]
    for path in ("/", "/trends", "/equality"):
        assert words.NO_SURVEY_RESULTS in _text(driver.open(path)["page"][1]), path
    # The overview gives the force's and each division's recorded crime, with the areas left out.
    overview = _text(driver.open("/")["page"][1])
    assert "overview-crime" in overview and "Testshire Police" in overview and "Northshire" in overview
    assert "2 areas have no known population" in overview
    # Trends draws the force's rates over the periods, one line per crime type.
    status, body = driver.open("/trends")["trends-crime.figure"]
    lines = body["response"]["trends-crime"]["figure"]["data"]
    assert status == 200 and {t["name"] for t in lines} == {"Burglary", "Drugs"}
    # The map shows the crime rates instead: every area, none for an area without a population.
    answers = driver.open("/map")
    assert driver.components['{"key":"indicator","type":"state-default"}'][1]["data"] == "crime:Burglary"
    drawn = answers["..map-graph.figure...map-caption.children...map-drawn.data.."][1]["response"]["map-graph"]
    trace = drawn["figure"]["data"][0]
    z = dict(zip(trace["locations"], trace["z"]))
    assert len(z) == 6 and z["NO1"] == pytest.approx(4.0)
    # An area without a rate is still drawn, in the grey foot of the colour scale, below every rate.
    assert z["NO2"] == trace["zmin"] < min(v for k, v in z.items() if k not in ("NO2", "SO2"))
    assert trace["colorscale"][0][1] == trace["colorscale"][1][1] == NO_VALUE
    assert "no value" in dict(zip(trace["locations"], trace["text"]))["NO2"]
    rows = answers["..map-table.data...map-bars.figure...map-table.columns.."][1]["response"]["map-table"]["data"]
    notes = {r["area_name"]: r["note"] for r in rows}
    assert "population not known" in notes["Northfield"] and "population not known" not in notes["Northgate"]
    area = _text(driver.open(f"/area/{AREA}")["page"][1])
    assert words.NO_AREA_RESULTS in area and "area-crime" in area and words.NO_CRIME_RATES not in area
    # The area's figures, and how many areas the force's rates leave out.
    assert "2024/25 (2024-04 to 2024-06, 3 months of crime data)" in area
    assert "leave out the 2 areas whose population is not known" in area
    unknown = _text(driver.open("/area/NO2")["page"][1])
    assert "population is not known" in unknown and "9 recorded crimes" in unknown


def test_aggregated_only_map_and_cards_use_the_fallbacks(drivers, stores):
    driver = drivers["aggregated"]
    answers = driver.open("/map")
    # No [display] in this force's configuration: the first area indicator with results.
    assert driver.components['{"key":"indicator","type":"state-default"}'][1]["data"] == "trust"
    figure = answers["..map-graph.figure...map-caption.children...map-drawn.data.."][1]["response"]
    assert len(figure["map-graph"]["figure"]["data"][0]["locations"]) == 6
    assert "Trust in the local police" in _text(figure["map-caption"])
    cards = _text(driver.open("/")["overview-board.children"][1])
    # No indicator is assessed or has a target: every indicator with results gets a board row.
    assert "Trust in the local police" in cards and "The police listen" in cards
    area = _text(driver.open(f"/area/{AREA}")["page"][1])
    assert words.NO_CRIME_RATES in area and "area-funnel" in area
    gaps = driver.open("/equality")
    assert "Trust gap" in _text(gaps["page"][1]) and words.NO_PROFILE in _text(gaps["page"][1])
    drawn = gaps["..equality-gap.figure...equality-gap-table.children.."][1]["response"]
    assert drawn["equality-gap"]["figure"]["data"]


def test_display_choices_follow_the_configuration_then_the_fallbacks(stores):
    snapshot = Store(stores["aggregated"]).open()
    config = snapshot_config(snapshot)
    assert choices.map_indicator(snapshot, config) == "trust"
    def shown(**display):
        return config.model_copy(update={"display": Display(**display)})

    assert choices.map_indicator(snapshot, shown(map_indicator="heard")) == "heard"
    # A configured indicator without area results is not drawn on an empty map.
    assert choices.map_indicator(snapshot, shown(map_indicator="trust_gap")) == "trust"
    # No indicator is assessed or has a target: every indicator with results, each gap with
    # results right after the indicator it is the gap of.
    assert [i.id for i in choices.headline_indicators(snapshot, config)] == ["trust", "trust_gap", "heard"]
    assert [i.id for i in choices.headline_indicators(
        snapshot, shown(headline=("heard",)))] == ["heard"]
    assert [i.id for i in choices.equality_indicators(config)] == ["trust_gap"]
    crime = Store(stores["crime"]).open()
    assert choices.map_indicator(crime, config) is None and not choices.has_survey_results(crime)
    assert choices.headline_indicators(crime, config) == []


@pytest.mark.parametrize("shape, present, absent", [
    ("crime", words.NO_SURVEY_RESULTS, "Headline indicators"),
    ("aggregated", "Headline indicators", words.NO_SURVEY_RESULTS),
])
def test_the_pack_builds_for_each_shape(drivers, tmp_path, shape, present, absent):
    response = fetch_pack(drivers[shape].client.get, "/pack/all.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    need(bool(shutil.which("pdftotext")), "poppler-utils (pdftotext) is needed to read the pack")
    (tmp_path / "pack.pdf").write_bytes(response.data)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "pack.pdf"), "-"], check=True, capture_output=True,
                                   text=True).stdout.split())
    assert present in text and absent not in text
    assert ("Recorded crime" in text) and ((words.NO_CRIME_RATES in text) == (shape == "aggregated"))
    # A crime-only pack is titled for what it holds and carries none of the survey methods.
    crime_only = shape == "crime"
    assert ("Recorded crime: meeting pack" in text) == crime_only and ("Wilson" in text) != crime_only


def test_crime_rates_count_only_areas_with_a_known_population(stores):
    """tests/combinations.py by hand, 2024/25 (April to June 2024: three months of crime data):
    Burglary NO1 3+1 = 4, NO2 5 (population blank), NO3 2, SO1 3, SO2 7 (blank), SO3 1; Drugs
    NO1 2, NO2 4 (blank), SO1 6. Known populations: NO1 1,000, NO3 2,000, SO1 1,500, SO3 500."""
    rates = Store(stores["crime"]).open().table("crime_rates")
    assert set(rates["period"]) == {"2024/25"}  # 2023/24 has no crime data: no rows
    r = rates.set_index(["measure", "level", "geography_code"])
    force = r.loc[("Burglary", "force", "TF")]
    assert (force["count"], force["population"], force["areas_left_out"], force["count_left_out"]) == (10, 5000, 2, 12)
    assert force["rate"] == pytest.approx(2.0)  # 10 / 5,000 × 1,000; all 22 over 5,000 would say 4.4
    # R: poisson.test(10)$conf.int = 4.795389 18.390356 (exact, Garwood), per 5,000 residents.
    assert (force["lower"], force["upper"]) == pytest.approx((4.795389 / 5, 18.390356 / 5), rel=1e-6)
    assert r.loc[("Burglary", "division", "NO"), ["count", "population", "rate", "count_left_out"]].tolist() \
        == pytest.approx([6, 3000, 2.0, 5])
    assert r.loc[("Burglary", "division", "SO"), ["count", "population", "rate", "count_left_out"]].tolist() \
        == pytest.approx([4, 2000, 2.0, 7])
    assert r.loc[("Drugs", "force", "TF"), ["count", "rate", "count_left_out"]].tolist() == pytest.approx([8, 1.6, 4])
    assert r.loc[("Drugs", "division", "SO"), ["rate", "areas_left_out", "count_left_out"]].tolist() \
        == pytest.approx([3.0, 1, 0])
    blank = r.loc[("Burglary", "area", "NO2")]
    assert blank["count"] == 5 and np.isnan(blank["rate"]) and blank["areas_left_out"] == 1
    assert r.loc[("Burglary", "area", "NO1"), "rate"] == pytest.approx(4.0)
    assert (rates["months"] == 3).all() and (rates["window"] == "2024-04 to 2024-06").all()


def test_matrix_crime_index_is_against_the_rate_of_areas_with_a_known_population():
    """Two areas with the same rate of every crime type and a third, without a population, with
    many crimes: the two sit at the force average (100, but for the half crime added to every
    count), the third has no index. Dividing every area's crimes by the known population put
    them far below 100 (issue #12: a median ward crime index of 59)."""
    config = load_config()
    division = config.division_codes[0]
    areas = pd.DataFrame({"area_code": ["A", "B", "C"], "division_code": division,
                          "population": [1000.0, 2000.0, np.nan]})
    types = sorted({mi.crime_type for mi in config.matrix.indicators if mi.side == "crime"})
    counts = pd.DataFrame([{"area_code": a, "month": "2024-04", "crime_type": t, "count": n}
                           for a, n in (("A", 1000), ("B", 2000), ("C", 9000)) for t in types])
    index, lower, upper, _, _ = _crime_index(counts, areas, config, ["2024-04"])
    assert index[:2] == pytest.approx([100 * 1000.5 / 1000, 100 * 2000.5 / 2000], rel=1e-9)
    assert lower[0] < 100 < upper[0] and np.isnan(index[2])


@pytest.fixture(scope="module")
def respondents_only(mini_source, tmp_path_factory) -> PageDriver:
    """The mini demo with its respondent-level surveys only: no aggregated tables, crime, MSF or
    supplied matrix (so no matrix either)."""
    base = tmp_path_factory.mktemp("combo-respondents")
    source = base / "source"
    shutil.copytree(mini_source, source)
    config = source / "force.toml"
    text = config.read_text(encoding="utf-8")
    head, inputs = text.split("\n[inputs]\n", 1)
    inputs, rest = inputs.split("\n[", 1)
    inputs = "\n".join(line for line in inputs.splitlines()
                       if not line.startswith(("aggregated = ", "crime = ", "msf = ", "matrix = ")))
    config.write_text(f"{head}\n[inputs]\n{inputs}\n\n[{rest}", encoding="utf-8")
    result = run_ingest(source, base / "store")
    assert result.code == 0, result.findings.report_text("respondent-level only")
    snapshot = Store(base / "store").open()
    assert "crime_rates" not in snapshot.manifest["tables"] and "matrix" not in snapshot.manifest["tables"]
    app = create_app(base / "store")
    return PageDriver(app, app.server.test_client(), click_location="HE01")


@pytest.mark.parametrize("path", page_paths("HE01"))
def test_respondent_level_only_serves_every_page(respondents_only, path):
    answers = respondents_only.open(path)
    failed = {out: (status, _text(body)[:300]) for out, (status, body) in answers.items() if status != 200}
    assert not failed, failed
    if path == "/matrix":
        assert "No crime/worry matrix is published for this force" in _text(answers["page"][1])
