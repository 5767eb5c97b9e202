"""The maps' shapes are simplified to the screen, division by division, as a coverage: a small
town division keeps detail finer than a pixel of its own view, a large rural one loses what is
under a pixel of its view, and no gap or overlap opens between neighbours.

Two made-up divisions of 3 x 3 square areas (British National Grid metres) whose borders are
zigzags of 30 m amplitude, each border built once and shared by both its areas (an
edge-matched coverage, as real ward boundaries are): "town", 3 km across (a pixel of its view is
3000 / 560 = 5.4 m), and "rural", 60 km across (107 m a pixel)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.data.geography import JOIN_CRS, MAP_PIXELS, display_geometry

AMPLITUDE, WAVELENGTH, STEP = 30.0, 200.0, 20.0


def _zigzag(a, b) -> list[tuple[float, float]]:
    """A border from a to b (axis-parallel) that swings AMPLITUDE metres to either side."""
    (x0, y0), (x1, y1) = a, b
    length = math.hypot(x1 - x0, y1 - y0)
    n = int(length / STEP)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    out = []
    for i in range(n + 1):
        t = length * i / n
        swing = 0.0 if i in (0, n) else AMPLITUDE * math.sin(2 * math.pi * t / WAVELENGTH)
        out.append((x0 + ux * t - uy * swing, y0 + uy * t + ux * swing))
    return out


def _grid(prefix: str, x0: float, y0: float, cell: float, n: int = 3) -> gpd.GeoDataFrame:
    xs, ys = [x0 + cell * i for i in range(n + 1)], [y0 + cell * j for j in range(n + 1)]
    across = {(i, j): _zigzag((xs[i], ys[j]), (xs[i + 1], ys[j])) for i in range(n) for j in range(n + 1)}
    up = {(i, j): _zigzag((xs[i], ys[j]), (xs[i], ys[j + 1])) for i in range(n + 1) for j in range(n)}
    rows = []
    for i in range(n):
        for j in range(n):
            ring = across[i, j] + up[i + 1, j][1:] + across[i, j + 1][::-1][1:] + up[i, j][::-1][1:]
            rows.append({"area_code": f"{prefix}{i}{j}", "geometry": shapely.Polygon(ring)})
    return gpd.GeoDataFrame(rows, crs=JOIN_CRS)


@pytest.fixture(scope="module")
def shapes():
    town, rural = _grid("T", 400_000, 250_000, 1_000), _grid("R", 420_000, 250_000, 20_000)
    full = pd.concat([town, rural], ignore_index=True)
    assert shapely.coverage_is_valid(full.geometry.values)  # the made-up borders are a clean coverage
    divisions = pd.Series(["town"] * 9 + ["rural"] * 9, index=full["area_code"])
    shown = display_geometry(full, divisions)
    assert list(shown["area_code"]) == list(full["area_code"]) and shown.crs.to_epsg() == 4326
    return full, shown.to_crs(JOIN_CRS)


@pytest.mark.parametrize(("prefix", "across_m", "kept_fraction"), [("T", 3_000, 0.75), ("R", 60_000, 0.2)])
def test_each_division_is_simplified_to_a_pixel_of_its_own_view(shapes, prefix, across_m, kept_fraction):
    full, shown = shapes
    pixel = across_m / min(MAP_PIXELS)
    mine = full["area_code"].str.startswith(prefix)
    before, after = full.geometry.values[mine], shown.geometry.values[mine.to_numpy()]
    assert shapely.is_valid(after).all()
    # About a pixel from the true border at most: Visvalingam-Whyatt drops small triangles, so a
    # long thin one (a corner of the force's outline) can go a little further than a pixel.
    assert shapely.hausdorff_distance(before, after).max() <= 1.5 * pixel
    vertices = shapely.get_num_coordinates(after).sum() / shapely.get_num_coordinates(before).sum()
    if prefix == "T":  # 30 m swings are 6 pixels in the town's view: kept (all but the flattest bits)
        assert vertices >= kept_fraction
    else:  # and a quarter of a pixel in the rural division's: gone
        assert vertices <= kept_fraction


@pytest.mark.parametrize("prefix", ["T", "R"])
def test_neighbours_share_their_simplified_border(shapes, prefix):
    _, shown = shapes
    cells = shown.geometry.values[shown["area_code"].str.startswith(prefix).to_numpy()]
    left, right = shapely.STRtree(cells).query(cells, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(cells[left[pairs]], cells[right[pairs]]))
    assert overlap.max() < 1.0  # m²: reprojection noise, not a sliver
    union = shapely.union_all(cells, grid_size=0.01)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0  # no gap between neighbours
    assert shapely.area(cells).sum() == pytest.approx(union.area, rel=1e-6)


def test_exterior_rings_are_clockwise_for_plotly_geo(shapes):
    _, shown = shapes
    rings = shapely.get_exterior_ring(shown.to_crs(4326).geometry.values)
    assert not np.any(shapely.is_ccw(rings))
