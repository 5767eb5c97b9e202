"""Small input sets of each shape a force may have (crime only, aggregated survey tables only),
written directly by the tests: six areas in two divisions, a few crimes, a few survey rows.

The force, its ids and its numbers are made up here and share nothing with the demo's, so a
page that still assumes an id of the demo's configuration fails on them.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import Transformer

FORCE = "TF"
DIVISIONS = {"NO": "Northshire", "SO": "Southshire"}
# area code -> (name, division, population or None): two blank populations, one per division.
AREAS = {
    "NO1": ("Northgate", "NO", 1000), "NO2": ("Northfield", "NO", None), "NO3": ("Norbury", "NO", 2000),
    "SO1": ("Southgate", "SO", 1500), "SO2": ("Southfield", "SO", None), "SO3": ("Sowerby", "SO", 500),
}
# (area, month, crime type) -> crimes. Areas with a blank population have crimes too: they must
# be left out of the division's and the force's rates, numerator and denominator alike.
CRIMES = {
    ("NO1", "2024-04", "Burglary"): 3, ("NO1", "2024-05", "Burglary"): 1, ("NO1", "2024-05", "Drugs"): 2,
    ("NO2", "2024-04", "Burglary"): 5, ("NO2", "2024-06", "Drugs"): 4,
    ("NO3", "2024-06", "Burglary"): 2,
    ("SO1", "2024-04", "Drugs"): 6, ("SO1", "2024-06", "Burglary"): 3,
    ("SO2", "2024-05", "Burglary"): 7,
    ("SO3", "2024-04", "Burglary"): 1,
}
PERIODS = ["2023/24", "2024/25"]

CONFIG_HEAD = f"""
[force]
code = "{FORCE}"
name = "Testshire Police"
short_name = "Testshire"

{"".join(f'[[divisions]]{chr(10)}code = "{c}"{chr(10)}name = "{n}"{chr(10)}{chr(10)}' for c, n in DIVISIONS.items())}
[periods]
kind = "financial_year"
start_month = 4
labels = {PERIODS!r}

[statistics]
suppression_threshold = 30
small_base_flag = 60
panel_suppression_threshold = 30
"""

# The survey sections: only a force with survey data has them (a crime-only force has none).
SURVEY_CONFIG = """
[surveys.RES]
name = "Residents' panel"
level = "area"
weighted = false

[answer_scales.agree3]
codes = { 1 = "Agree", 2 = "Neither", 3 = "Disagree", 9 = "Don't know" }
missing = [9]

[questions]
q_trust = { scale = "agree3", text = "Do you trust the police here?" }
q_heard = { scale = "agree3", text = "Do the police listen to you?" }

[survey_columns]
RES = ["q_trust", "q_heard"]

[subgroups]
age_band = ["18-39", "40+"]
sex = ["female", "male"]
ethnicity = ["group_a", "group_b", "not_stated"]

[[indicators]]
id = "trust"
short_name = "Trust"
name = "Trust in the local police"
definition = "Percentage who agree they trust the police in their area."
survey = "RES"
kind = "proportion"
question = "q_trust"
positive = [1]
polarity = "higher"

[[indicators]]
id = "heard"
short_name = "Listened to"
name = "The police listen"
definition = "Percentage who agree the police listen to them."
survey = "RES"
kind = "proportion"
question = "q_heard"
positive = [1]
polarity = "higher"

[[indicators]]
id = "trust_gap"
short_name = "Trust gap"
name = "Trust: group A minus group B"
definition = "Trust among group A minus trust among group B, percentage points."
survey = "RES"
kind = "gap"
of = "trust"
subgroup = "ethnicity"
groups = ["group_a", "group_b"]
polarity = "nearer_zero"
"""


def _square(code: str) -> shapely.Polygon:
    """A 1 km square on the British National Grid, north row for NO, south row for SO."""
    x = 380_000 + 1_000 * (int(code[-1]) - 1)
    y = 251_000 if code.startswith("NO") else 250_000
    return shapely.box(x, y, x + 1_000, y + 1_000)


def _geography(source: Path) -> None:
    pd.DataFrame([{"area_code": code, "area_name": name, "division_code": div,
                   "population": "" if pop is None else pop} for code, (name, div, pop) in AREAS.items()]
                 ).to_csv(source / "areas.csv", index=False)
    gpd.GeoDataFrame({"area_code": list(AREAS)}, geometry=[_square(c) for c in AREAS], crs="EPSG:27700"
                     ).to_file(source / "boundaries.geojson", driver="GeoJSON")


def _crime_file(source: Path) -> None:
    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    rows = []
    for (area, month, crime_type), n in CRIMES.items():
        centre = _square(area).centroid
        lon, lat = to_wgs84.transform(centre.x, centre.y)
        for k in range(n):
            rows.append({"Crime ID": f"{area}-{month}-{crime_type[:3]}-{k}", "Month": month,
                         "Reported by": "Testshire Police", "Falls within": "Testshire Police",
                         "Longitude": f"{lon:.6f}", "Latitude": f"{lat:.6f}", "Location": "On or near Test Street",
                         "LSOA code": "", "LSOA name": "", "Crime type": crime_type,
                         "Last outcome category": "", "Context": ""})
    (source / "crime").mkdir()
    pd.DataFrame(rows).to_csv(source / "crime" / "2024-street.csv", index=False)


def _aggregated_file(source: Path) -> None:
    """Results for every area, division and the force in both periods, with an ethnicity split
    at force and division level (for the gap)."""
    rows = []
    geographies = ([("area", c, 80) for c in AREAS] + [("division", d, 240) for d in DIVISIONS]
                   + [("force", FORCE, 480)])
    for k, period in enumerate(PERIODS):
        for level, code, base in geographies:
            for indicator, share in (("trust", 0.55 + 0.02 * k), ("heard", 0.40)):
                rows.append({"geography_level": level, "geography_code": code, "period": period,
                             "indicator": indicator, "subgroup_dimension": "", "subgroup": "",
                             "positives": round(share * base), "base": base})
            if level != "area":
                for group, share in (("group_a", 0.58), ("group_b", 0.47)):
                    rows.append({"geography_level": level, "geography_code": code, "period": period,
                                 "indicator": "trust", "subgroup_dimension": "ethnicity", "subgroup": group,
                                 "positives": round(share * base / 2), "base": base // 2})
    (source / "aggregated").mkdir()
    pd.DataFrame(rows).to_csv(source / "aggregated" / "residents.csv", index=False)


def write_source(source: Path, crime: bool, aggregated: bool) -> Path:
    """A source directory with the geography and, as asked, crime and aggregated survey tables."""
    source.mkdir(parents=True, exist_ok=True)
    _geography(source)
    inputs = ['areas = "areas.csv"', 'boundaries = ["boundaries.geojson"]', 'boundary_code_column = "area_code"']
    if crime:
        _crime_file(source)
        inputs.append('crime = ["crime/*.csv"]')
    if aggregated:
        _aggregated_file(source)
        inputs.append('aggregated = ["aggregated/*.csv"]')
    text = CONFIG_HEAD + (SURVEY_CONFIG if aggregated else "") + "\n[inputs]\n" + "\n".join(inputs) + "\n"
    (source / "force.toml").write_text(text, encoding="utf-8")
    return source
