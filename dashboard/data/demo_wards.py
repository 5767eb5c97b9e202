"""West Mercia on its 2013 wards with police.uk crime and no survey: an example force built from
real public files (``dashboard demo --force west-mercia-wards --data SHARED_DATA``).

``write_wards(out_dir, shared)`` reads the public files in ``shared`` (by default
``../shared/data`` beside the repository; they are never copied into the repository) and
writes a source directory:

* ``boundaries/wards_<LAD>.geojson`` - the December 2013 ward polygons of each local
  authority, copied unchanged (code column ``WD13CD``);
* ``crime/*.csv`` - the police.uk street-level months, copied unchanged;
* ``areas.csv`` - one row per ward: its code and name, its local authority as the division,
  and its ONS mid-2020 population where a 2020 ward of the same local authority has exactly
  the same name. Ward codes all changed between 2013 and 2020, and several authorities were
  re-warded, so 69 of the 257 wards have no match: their population is left blank, as the
  input format allows, and no population is guessed for them;
* ``force.toml`` - ``data/forces/west-mercia-wards.toml`` with one ``[[divisions]]`` per local
  authority: the code in the ward file's name, the name the population file gives it (or the
  code where it gives none);
* ``ATTRIBUTION.txt`` - the sources and their licences (Open Government Licence v3).

The same files give the same bytes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from ..config import DEFAULT_CONFIG
from .demo import csv_bytes, write_files

CONFIG = DEFAULT_CONFIG.parent / "west-mercia-wards.toml"
DEFAULT_SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
WARDS = "wards-2013-westmercia"
POPULATION = "population-ward-mid2020/SAPE23DT8a_mid2020_ward_persons.csv"
CRIME = "policeuk-street-westmercia"
# SAPE23DT8a as saved to CSV: four title lines above the header; counts with thousands separators.
POPULATION_TITLE_ROWS = 4
POP_LA, POP_LA_NAME, POP_WARD_NAME, POP_ALL = ("LA Code (2021 boundaries)", "LA name (2021 boundaries)",
                                               "Ward Name 1", "All Ages")
WARD_CODE, WARD_NAME = "WD13CD", "WD13NM"
ATTRIBUTION = """Sources (public data, used unchanged; see ../shared/data/*/SOURCE.md):
- Ward boundaries, December 2013 (WD13), via martinjc/UK-GeoJSON: Contains Ordnance Survey,
  Office of National Statistics, National Records Scotland and LPS Intellectual Property data
  (c) Crown copyright and database right [2016]. Open Government Licence v3; Ordnance Survey
  data covered by OS OpenData Licence.
- Ward populations, mid-2020 (ONS SAPE23DT8a, experimental statistics): Source: Office for
  National Statistics licensed under the Open Government Licence v.3.0.
- Street-level crime, West Mercia Police, 2018-10 to 2019-02 (data.police.uk): Contains public
  sector information licensed under the Open Government Licence v3.0.
Populations are matched to 2013 wards by local authority and ward name; wards with no match
have a blank population.
"""


def write_wards(out_dir: Path, shared: Path = DEFAULT_SHARED) -> list[Path]:
    """Write the crime-only ward force's source directory to ``out_dir``; returns the files written."""
    shared = Path(shared)
    ward_files = sorted((shared / WARDS).glob("wards_*.geojson"))
    crime_files = sorted((shared / CRIME).glob("*.csv"))
    population_file = shared / POPULATION
    for what, found in ((f"{shared / WARDS}/wards_*.geojson", ward_files), (f"{shared / CRIME}/*.csv", crime_files),
                        (str(population_file), population_file.is_file())):
        if not found:
            raise FileNotFoundError(f"public data missing: {what} (pass --data DIR, the folder of ../shared/data)")
    wards = pd.DataFrame([{"area_code": f["properties"][WARD_CODE], "area_name": f["properties"][WARD_NAME],
                           "division_code": _lad(path)}
                          for path in ward_files
                          for f in json.loads(path.read_text(encoding="utf-8"))["features"]])
    population = read_population(population_file, set(wards["division_code"]))
    areas = wards.merge(population[[POP_LA, POP_WARD_NAME, POP_ALL]], how="left",
                        left_on=["division_code", "area_name"], right_on=[POP_LA, POP_WARD_NAME])
    areas = areas[["area_code", "area_name", "division_code"]].assign(population=areas[POP_ALL].astype("Int64"))
    names = population.drop_duplicates(POP_LA).set_index(POP_LA)[POP_LA_NAME]
    divisions = "".join(f"\n[[divisions]]\ncode = {json.dumps(lad)}\nname = {json.dumps(names.get(lad, lad))}\n"
                        for lad in dict.fromkeys(wards["division_code"]))

    files: dict[str, bytes] = {
        "force.toml": (CONFIG.read_text(encoding="utf-8") + "\n# One division per local authority, written by "
                       "`dashboard demo --force west-mercia-wards`.\n" + divisions).encode(),
        "ATTRIBUTION.txt": ATTRIBUTION.encode(),
        "areas.csv": csv_bytes(areas),
    }
    written = write_files(out_dir, files)
    for folder, paths in (("boundaries", ward_files), ("crime", crime_files)):
        (Path(out_dir) / folder).mkdir(parents=True, exist_ok=True)
        for path in paths:
            written.append(Path(shutil.copyfile(path, Path(out_dir) / folder / path.name)))
    return written


def _lad(path: Path) -> str:
    """The local authority code in a ward file's name (``wards_E06000019.geojson``)."""
    return path.stem.split("_", 1)[1]


def read_population(path: Path, authorities: set[str]) -> pd.DataFrame:
    """The mid-2020 wards of the given local authorities with their population (whole people).
    A ward name that appears twice in one authority matches nothing (it would be a guess)."""
    pop = pd.read_csv(path, skiprows=POPULATION_TITLE_ROWS, thousands=",", dtype={POP_ALL: "Int64"},
                      usecols=[POP_LA, POP_LA_NAME, POP_WARD_NAME, POP_ALL])
    pop = pop[pop[POP_LA].isin(authorities) & pop[POP_ALL].notna()]
    return pop.drop_duplicates([POP_LA, POP_WARD_NAME], keep=False).reset_index(drop=True)
