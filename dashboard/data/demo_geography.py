"""Synthetic geography for the demonstration data sets: divisions, areas and their people.

A force is a layout of convex division outlines on British National Grid, each with its number
of areas and resident population. The default (``DIVISION_LAYOUT``) is a 70 km by 106 km
block (7,420 km², the size of West Mercia) cut into five contiguous divisions laid out roughly
as the real ones lie; another synthetic force passes its own layout and origin. Each
division is tiled by the Voronoi cells of its area seeds (relaxed a few times so that cells
are compact), clipped to the division, so areas are contiguous, never overlap, and each
division is one block. Coordinates are kept at full precision (rounding them would open
slivers of overlap along the diagonal division edges); the same seed gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon

ORIGIN = (320_000.0, 230_000.0)  # south-west corner of the synthetic force, metres (EPSG:27700)

# Division outlines in km offsets from ORIGIN; areas count and resident population.
DIVISION_LAYOUT = {  # every outline is convex, so clipped Voronoi cells are single polygons
    "HE": ([(0, 0), (38, 0), (38, 50), (0, 52)], 28, 175_000),
    "SW": ([(38, 0), (70, 0), (70, 45), (38, 50)], 33, 290_000),
    "NW": ([(38, 50), (70, 45), (70, 75), (50, 78)], 30, 270_000),
    "SH": ([(0, 52), (38, 50), (50, 78), (50, 106), (0, 106)], 32, 285_000),
    "TW": ([(50, 78), (70, 75), (70, 106), (50, 106)], 22, 160_000),
}

NAME_STARTS = ["Ash", "Bar", "Brook", "Cran", "Dun", "Elm", "Fern", "Glen", "Hol", "Kings", "Lang",
               "Mill", "Nor", "Oak", "Pen", "Red", "Stan", "Thorn", "Wil", "Yar", "Chal", "Ever",
               "Har", "Lin", "Marl"]
NAME_ENDS = ["ford", "ley", "ton", "bury", "wick", "field", "worth", "ham", "stone", "combe",
             "dale", "hurst"]

ADULT_BANDS = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
ADULT_SHARES = np.array([0.14, 0.15, 0.17, 0.18, 0.15, 0.11, 0.10])  # of residents aged 16+
ADULT_FRACTION = 0.80
MINORITY_SHARE = 0.023  # West Mercia: 2.3% of residents are minority ethnic


@dataclass(frozen=True)
class DemoArea:
    code: str
    name: str
    division: str
    geometry: Polygon  # EPSG:27700


def division_polygon(code: str, layout=DIVISION_LAYOUT, origin=ORIGIN) -> Polygon:
    """A division's outline in metres (EPSG:27700) from its km offsets from ``origin``."""
    coords = layout[code][0]
    return Polygon([(origin[0] + x * 1000, origin[1] + y * 1000) for x, y in coords])


def _points_in(poly: Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    pts = np.empty((0, 2))
    while len(pts) < n:
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(n * 2, 2))
        pts = np.vstack([pts, cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])]])
    return pts[:n]


def _cells(seeds: np.ndarray, poly: Polygon) -> list[Polygon]:
    """Voronoi cells of the seeds clipped to the polygon, in the order of the seeds."""
    regions = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=poly)
    cells = [shapely.intersection(g, poly) for g in shapely.get_parts(regions)]
    ordered: list[Polygon | None] = [None] * len(seeds)
    points = shapely.points(seeds)
    for cell in cells:
        hit = np.flatnonzero(shapely.contains(cell, points))
        ordered[int(hit[0])] = cell
    return ordered  # type: ignore[return-value]


def build_areas(rng: np.random.Generator, relax: int = 4, total: int | None = None,
                layout=DIVISION_LAYOUT, origin=ORIGIN) -> list[DemoArea]:
    """The areas of a synthetic force: the layout's (145 by default), or about ``total``
    (benchmarks), shared among the divisions in the layout's proportions. Codes are the
    division's code and a two-digit number."""
    names = [s + e for s in NAME_STARTS for e in NAME_ENDS]
    order = rng.permutation(len(names))
    default_total = sum(n for _, n, _ in layout.values())
    areas: list[DemoArea] = []
    k = 0
    for div, (_, n, _) in layout.items():
        if total is not None:
            n = max(1, round(n * total / default_total))
        poly = division_polygon(div, layout, origin)
        seeds = _points_in(poly, n, rng)
        for _ in range(relax):  # Lloyd relaxation: move each seed to its cell's centroid
            seeds = np.array([[c.centroid.x, c.centroid.y] for c in _cells(seeds, poly)])
        cells = _cells(seeds, poly)
        # Number areas west to east within bands from north to south, as a reader scans a map.
        rank = np.lexsort((seeds[:, 0], -np.round(seeds[:, 1] / 15_000)))
        for i, j in enumerate(rank, start=1):
            name = names[order[k % len(names)]] + ("" if k < len(names) else f" {k // len(names) + 1}")
            areas.append(DemoArea(f"{div}{i:02d}", name, div, cells[j]))
            k += 1
    return areas


def build_population(areas: list[DemoArea], rng: np.random.Generator, layout=DIVISION_LAYOUT,
                     minority_share: float = MINORITY_SHARE) -> dict[str, np.ndarray]:
    """Resident population per area (each division's total from the layout) and its age / sex /
    ethnicity profile (whole people); ``minority_share`` of the force is minority ethnic."""
    pop = np.zeros(len(areas), dtype=np.int64)
    divisions = np.array([a.division for a in areas])
    for div, (_, _, total) in layout.items():
        idx = np.flatnonzero(divisions == div)
        share = rng.gamma(3.0, 1.0, size=len(idx))
        pop[idx] = split_whole(total, share)
    adults = np.array([split_whole(int(p * ADULT_FRACTION), ADULT_SHARES * rng.uniform(0.85, 1.15, 7))
                       for p in pop])
    female = np.array([split_whole(int(p), np.array([0.49, 0.51]))[1] for p in pop])
    # Minority-ethnic residents concentrate in the denser areas.
    area_km2 = np.array([a.geometry.area / 1e6 for a in areas])
    density = pop / area_km2
    weight = density ** 0.8 * rng.uniform(0.5, 1.5, len(areas))
    minority_total = int(round(pop.sum() * minority_share))
    minority = np.minimum(split_whole(minority_total, weight * pop / (weight * pop).sum()), pop)
    return {"population": pop, "adults": adults, "female": female, "minority": minority,
            "area_km2": area_km2}


def split_whole(total: int, weights: np.ndarray) -> np.ndarray:
    """Split a whole number in proportion to weights, largest remainders first, summing exactly."""
    raw = total * np.asarray(weights, float) / np.sum(weights)
    out = np.floor(raw).astype(np.int64)
    out[np.argsort(-(raw - out), kind="stable")[: total - out.sum()]] += 1
    return out
