"""Eastmoor Constabulary: a fictional force whose public attitude survey arrives as aggregated
quarterly tables (``dashboard demo --force eastmoor``).

``write_eastmoor(out_dir, seed)`` writes, byte-identically for the same seed:

* ``force.toml`` - ``data/forces/eastmoor.toml`` marked ``[dataset] synthetic = true``;
* ``areas.csv`` and ``boundaries.geojson`` (EPSG:27700) for 40 areas in 8 divisions, built by
  the same code as the West Mercia demo's (:mod:`dashboard.data.demo_geography`) from
  Eastmoor's own layout;
* ``aggregated/pas-YYYY-Qn.csv`` - one table per quarter of **area rows only**: for every
  indicator of the configuration that is not a gap, the area's valid base, weighted positives
  and effective base; for the indicators a gap is built on, the same split by the gap's
  subgroup, the ``all`` row being the sum of its groups.

The tables are what a survey contractor sends: weights are scaled to sum to the unweighted
base in every cell, so a cell's weighted positives are ``base`` times its weighted share, and
the effective base is ``base / deff`` with a design effect of 1.15 to 1.45 from weighting
(Kish 1965, §11.7). Each area has about 40 interviews a quarter (1,600 force-wide), so a
quarter alone is below the suppression threshold in an area and the rolling twelve months
(about 160) is not.

The truth behind the numbers: a force-level level per indicator in 2022 Q1, a shared movement
over the quarters (a fall through 2022 and 2023 and a partial recovery in 2024, as forces saw),
divisional and area effects on the logit scale, one division that falls further from the fifth quarter on, and a
lower rate for minority-ethnic respondents (most for Black respondents) on the measures the
gaps are built on.
Nothing here is real: every file says it is synthetic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from ..config import DEFAULT_CONFIG, ForceConfig, load_config
from .demo import SYNTHETIC_NOTE, csv_bytes, geojson_bytes, write_files
from .demo_geography import build_areas, build_population, split_whole

CONFIG = DEFAULT_CONFIG.parent / "eastmoor.toml"
ORIGIN = (540_000.0, 300_000.0)  # south-west corner, metres (EPSG:27700); nowhere in particular
# Division outlines (km offsets from ORIGIN, convex), areas, residents. The two city divisions
# are narrow and dense, the rural ones wide.
_V = [[(0, 0), (28, 0), (40, 0), (52, 0), (80, 0)],
      [(0, 36), (27, 33), (41, 37), (53, 34), (80, 35)],
      [(0, 70), (29, 70), (39, 70), (54, 70), (80, 70)]]


def _cell(col: int, row: int) -> list[tuple[int, int]]:
    return [_V[row][col], _V[row][col + 1], _V[row + 1][col + 1], _V[row + 1][col]]


LAYOUT = {
    "CN": (_cell(1, 1), 7, 205_000), "CS": (_cell(1, 0), 6, 190_000),
    "AC": (_cell(2, 1), 5, 95_000), "BF": (_cell(2, 0), 5, 110_000),
    "CV": (_cell(3, 1), 4, 60_000), "DM": (_cell(0, 1), 5, 85_000),
    "FW": (_cell(0, 0), 4, 55_000), "HB": (_cell(3, 0), 4, 45_000),
}
MINORITY_SHARE = 0.16
# Of minority-ethnic residents: Black, Asian, mixed or other.
MINORITY_MIX = np.array([0.35, 0.45, 0.20])
INTERVIEWS_PER_AREA = 40  # a quarter
# Per indicator: the force's percentage in the first quarter, the share of don't know or refused,
# how strongly it follows the shared movement and the area effects (1 = fully).
TRUTH = {
    "pas_good_job": (52.0, 0.06, 1.0, 1.0),
    "pas_matters": (60.0, 0.09, 0.9, 1.0),
    "pas_listen": (62.0, 0.08, 0.9, 0.9),
    "pas_fair": (68.0, 0.10, 0.7, 0.8),
    "pas_relied_on": (55.0, 0.07, 1.0, 1.0),
    "pas_informed": (27.0, 0.02, 0.5, 0.7),
    "pas_trust": (74.0, 0.04, 0.8, 0.9),
    "pas_worry": (34.0, 0.03, -0.6, -0.8),
}
# The shared movement per quarter (logit scale); later quarters keep the last.
MOVEMENT = [0.0, -0.03, -0.07, -0.12, -0.18, -0.22, -0.25, -0.26, -0.22, -0.17, -0.13, -0.10]
# Logit difference of each group from white respondents on the measures a gap is built on.
GROUP_EFFECTS = {"white": 0.0, "black": -0.55, "asian": -0.15, "mixed_other": -0.35}
# This division is FALL lower on the logit scale from its FALL_FROM-th quarter (counting from 0) on.
FALLING_DIVISION, FALL, FALL_FROM = "CS", -0.35, 4


def write_eastmoor(out_dir: Path, seed: int = 2024) -> list[Path]:
    """Write Eastmoor's input set to ``out_dir``; returns the files written."""
    config = load_config(CONFIG)
    missing = [i.id for i in config.indicators if i.kind != "gap" and i.id not in TRUTH]
    if missing:
        raise ValueError(f"{CONFIG}: no synthetic truth for indicator(s) {', '.join(missing)}")
    if set(LAYOUT) != set(config.division_codes):
        raise ValueError(f"{CONFIG}: divisions {sorted(config.division_codes)} differ from the layout's "
                         f"{sorted(LAYOUT)}")
    rng = np.random.default_rng(seed)
    areas = build_areas(rng, layout=LAYOUT, origin=ORIGIN)
    pop = build_population(areas, rng, layout=LAYOUT, minority_share=MINORITY_SHARE)
    ethnicity = config.subgroups["ethnicity"]
    residents = _ethnic_mix(pop, rng, ethnicity)

    files: dict[str, bytes] = {}
    text = CONFIG.read_text(encoding="utf-8")
    files["force.toml"] = (f"# {SYNTHETIC_NOTE}\n# Seed {seed}.\n\n" + text
                           + "\n[dataset]\nsynthetic = true\n").encode()
    files["README-SYNTHETIC.txt"] = (SYNTHETIC_NOTE + "\n").encode()
    table = pd.DataFrame({"area_code": [a.code for a in areas], "area_name": [a.name for a in areas],
                          "division_code": [a.division for a in areas], "population": pop["population"],
                          **{f"pop_eth_{g}": residents[:, k] for k, g in enumerate(ethnicity)}})
    files["areas.csv"] = csv_bytes(table)
    files["boundaries.geojson"] = geojson_bytes(areas, "synthetic_eastmoor_areas")
    for period, frame in _tables(config, areas, pop, residents, rng):
        files[f"aggregated/pas-{period.replace(' ', '-')}.csv"] = csv_bytes(frame)
    return write_files(out_dir, files)


def _ethnic_mix(pop: dict[str, np.ndarray], rng: np.random.Generator, categories) -> np.ndarray:
    """Residents per area in each ethnicity category (white first, as configured), summing to the
    population; the minority-ethnic mix varies from area to area."""
    if categories[0] != "white" or len(categories) != 1 + len(MINORITY_MIX):
        raise ValueError(f"Eastmoor's ethnicity categories must be white then {len(MINORITY_MIX)} others, "
                         f"got {list(categories)}")
    out = np.zeros((len(pop["population"]), len(categories)), dtype=np.int64)
    out[:, 0] = pop["population"] - pop["minority"]
    for i, m in enumerate(pop["minority"]):
        out[i, 1:] = split_whole(int(m), rng.dirichlet(MINORITY_MIX * 20))
    return out


def _tables(config: ForceConfig, areas, pop, residents, rng: np.random.Generator):
    """(period, the quarter's table of area rows), in period order."""
    n = len(areas)
    division = np.array([a.division for a in areas])
    codes = np.array([a.code for a in areas])
    divisions = list(LAYOUT)
    div_eff = dict(zip(divisions, rng.normal(0, 0.12, len(divisions)), strict=True))
    density = np.log(pop["population"] / pop["area_km2"])
    dens_z = (density - density.mean()) / density.std()
    # Denser areas are a little less positive; every area has its own lasting effect.
    area_eff = np.array([div_eff[d] for d in division]) - 0.12 * dens_z + rng.normal(0, 0.18, n)
    # Respondents' ethnicity follows the residents', with minority groups somewhat under-represented.
    resp_share = residents * np.array([1.0] + [0.8] * (residents.shape[1] - 1))
    resp_share = resp_share / resp_share.sum(axis=1, keepdims=True)
    split = {ind.of: ind.subgroup for ind in config.indicators if ind.kind == "gap"}
    if set(split.values()) - {"ethnicity"}:
        raise ValueError(f"{CONFIG}: Eastmoor's gaps are by ethnicity, got {sorted(set(split.values()))}")
    groups = config.subgroups["ethnicity"]
    scored = [ind for ind in config.indicators if ind.kind != "gap"]
    for q in range(len(config.periods)):
        period = config.periods[q].label
        move = MOVEMENT[min(q, len(MOVEMENT) - 1)]
        falling = np.where((division == FALLING_DIVISION) & (q >= FALL_FROM), FALL, 0.0)
        interviews = rng.poisson(INTERVIEWS_PER_AREA, n)
        deff = np.round(rng.uniform(1.15, 1.45, n), 2)
        rows = []
        for ind in scored:
            level, dont_know, follows, area_load = TRUTH[ind.id]
            base = interviews - rng.binomial(interviews, dont_know)
            centre = logit(level / 100) + follows * (move + falling) + area_load * area_eff
            centre = centre + rng.normal(0, 0.05, n)  # this quarter's own wobble in each area
            if ind.id in split:
                cells = np.array([rng.multinomial(b, s) for b, s in zip(base, resp_share, strict=True)])
                effects = np.array([GROUP_EFFECTS[g] for g in groups])
                shares = expit(centre[:, None] + effects[None, :])
                positives = _weighted_positives(cells, deff[:, None], shares, rng)
                for k, g in enumerate(groups):
                    rows.append(_rows(codes, period, ind.id, split[ind.id], g, cells[:, k], positives[:, k], deff))
                rows.append(_rows(codes, period, ind.id, "all", "all", cells.sum(axis=1),
                                  np.round(positives.sum(axis=1), 1), deff))
            else:
                positives = _weighted_positives(base, deff, expit(centre), rng)
                rows.append(_rows(codes, period, ind.id, "all", "all", base, positives, deff))
        frame = pd.concat(rows, ignore_index=True)
        yield period, frame[frame["base"] > 0].reset_index(drop=True)


def _weighted_positives(base, deff, share, rng: np.random.Generator) -> np.ndarray:
    """Weighted positives (weights summing to the base): the sampling error is that of the
    cell's effective base, base / deff."""
    base = np.asarray(base)
    n_eff = np.maximum(np.rint(base / deff), 1).astype(np.int64)
    hits = rng.binomial(n_eff, share)
    return np.where(base > 0, np.round(hits / n_eff * base, 1), 0.0)


def _rows(codes, period, indicator, dimension, group, base, positives, deff) -> pd.DataFrame:
    return pd.DataFrame({
        "geography_level": "area", "geography_code": codes, "period": period, "indicator": indicator,
        "subgroup_dimension": dimension, "subgroup": group, "positives": positives, "estimate": "",
        "base": base, "effective_base": np.round(base / deff, 1),
    })
