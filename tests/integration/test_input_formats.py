"""Each supported input format ingests: boundaries as GeoJSON, GeoPackage, Shapefile and KML in
any CRS; surveys as Excel; aggregated survey tables."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from dashboard.data.store import Store
from dashboard.ingest import run_ingest


def _point_config_at(src, boundaries: str, code_column: str) -> None:
    path = src / "force.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('boundaries = ["boundaries.geojson"]', f'boundaries = ["{boundaries}"]')
    text = text.replace('boundary_code_column = "area_code"', f'boundary_code_column = "{code_column}"')
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name, driver, crs, code_column", [
    ("areas.gpkg", "GPKG", "EPSG:27700", "area_code"),
    ("areas.shp", "ESRI Shapefile", "EPSG:27700", "area_code"),
    ("areas.kml", "KML", "EPSG:4326", "Name"),
    ("areas-wgs84.geojson", "GeoJSON", "EPSG:4326", "area_code"),
    ("areas-utm.gpkg", "GPKG", "EPSG:32630", "area_code"),
])
def test_boundary_formats_and_crs(source_copy, tmp_path, name, driver, crs, code_column):
    gdf = gpd.read_file(source_copy / "boundaries.geojson").to_crs(crs)
    original_area = gdf.to_crs(27700).geometry.area.sum()
    gdf = gdf.rename(columns={"area_code": code_column})[[code_column, "geometry"]]
    gdf.to_file(source_copy / name, driver=driver)
    (source_copy / "boundaries.geojson").unlink()
    _point_config_at(source_copy, name, code_column)
    store = tmp_path / "store"
    result = run_ingest(source_copy, store)
    assert result.code == 0, result.findings.report_text(name)
    bounds = Store(store).open().table("boundaries")
    assert bounds.crs.to_epsg() == 27700 and len(bounds) == 145
    assert bounds.geometry.area.sum() == pytest.approx(original_area, rel=1e-4)


def test_excel_survey_file(source_copy, tmp_path):
    csv_path = source_copy / "surveys" / "uss-synthetic.csv"
    df = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    df.to_excel(source_copy / "surveys" / "uss.xlsx", index=False)
    csv_path.unlink()
    result = run_ingest(source_copy, tmp_path / "store")
    assert result.code == 0, result.findings.report_text("xlsx")
    snap = Store(tmp_path / "store").open()
    assert "surveys/uss.xlsx" in {i["file"] for i in snap.manifest["inputs"]}
    years = pd.to_datetime(df["fieldwork_date"]).dt.to_period("Q-MAR").dt.qyear  # financial year ending
    expected = {f"{y - 1}/{y % 100:02d}": int(n) for y, n in years.value_counts().items()}
    assert snap.manifest["control_totals"]["respondents"]["USS"] == expected  # every row read, in its year


def test_aggregated_tables(source_copy, tmp_path):
    (source_copy / "aggregated").mkdir()
    (source_copy / "surveys" / "bcs-synthetic.csv").unlink()  # the BCS arrives as tables instead
    pd.DataFrame({
        "geography_level": ["force", "force"], "geography_code": ["WM", "WM"], "period": ["2007/08", "2007/08"],
        "indicator": ["spi2a", "kdi"], "subgroup_dimension": ["", ""], "subgroup": ["", ""],
        "positives": ["", "512.5"], "estimate": ["52.5", ""], "base": ["1002", "991"], "effective_base": ["830", ""],
    }).to_csv(source_copy / "aggregated" / "bcs-2007.csv", index=False)
    result = run_ingest(source_copy, tmp_path / "store")
    assert result.code == 0, result.findings.report_text("aggregated")
    r = Store(tmp_path / "store").open().table("survey_results")
    agg = r[r["source"] == "aggregated"].set_index("indicator")
    assert agg.loc["spi2a", "weighted_positives"] / agg.loc["spi2a", "sum_weights"] == pytest.approx(0.525)
    # A supplied effective base is the producer's own: used as given, the design effect not applied again.
    assert agg.loc["spi2a", "effective_base"] == pytest.approx(830)
    # A blank one: the base over the BCS's configured total design effect (1.5).
    assert agg.loc["kdi", "effective_base"] == pytest.approx(991 / 1.5)
    est = Store(tmp_path / "store").open().table("estimates")
    force = est[(est.level == "force") & (est.subgroup_dimension == "all") & (est.period == "2007/08")]
    assert force.set_index("indicator").loc["spi2a", "effective_base"] == pytest.approx(830)
    # Control totals: a survey that arrives as tables is counted by its summed bases.
    totals = Store(tmp_path / "store").open().manifest["control_totals"]
    assert totals["aggregated_bases"] == {"BCS": {"2007/08": 1002 + 991}} and "BCS" not in totals["respondents"]


def test_aggregated_result_that_clashes_with_respondent_data_is_rejected(source_copy, tmp_path):
    (source_copy / "aggregated").mkdir()
    pd.DataFrame({"geography_level": ["force"], "geography_code": ["WM"], "period": ["2007/08"],
                  "indicator": ["spi1e"], "estimate": ["83.5"], "base": ["3000"]}
                 ).to_csv(source_copy / "aggregated" / "uss.csv", index=False)
    result = run_ingest(source_copy, tmp_path / "store")
    assert result.code == 1
    assert any(p.rule == "conflicts_with_respondents" for p in result.findings.errors)
