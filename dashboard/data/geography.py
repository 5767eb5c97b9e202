"""Areas and their boundaries: the list of local policing areas and one polygon each.

Boundaries may come as GeoJSON, GeoPackage, Shapefile or KML in any coordinate reference
system; they are reprojected to British National Grid (EPSG:27700) for joins and areas, and
to WGS84 with clockwise rings, simplified, for display (plotly's geo maps read
counter-clockwise rings as "the globe minus the polygon").
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..config import ForceConfig
from .problems import Findings
from .tables import ROW, ColumnSpec, read_checked

JOIN_CRS = "EPSG:27700"
DISPLAY_CRS = "EPSG:4326"
# The maps are drawn 560 px high (dashboard/figures/maps.py) and at most about 1,050 px wide (the
# map column of a 1920 px projector): each view, the force or one division, is fitted into that box.
MAP_PIXELS = (1050, 560)


def population_columns(config: ForceConfig) -> dict[str, tuple[str, str]]:
    """Optional profile columns of areas.csv: column -> (dimension, category)."""
    out = {}
    for dim, prefix in (("age_band", "pop_age_"), ("sex", "pop_sex_"), ("ethnicity", "pop_eth_")):
        for cat in config.subgroups.get(dim, ()):
            if cat == "not_stated":
                continue
            out[prefix + cat.replace("-", "_").replace("+", "_plus")] = (dim, cat)
    return out


def area_specs(config: ForceConfig) -> list[ColumnSpec]:
    specs = [
        ColumnSpec("area_code", "code", "Unique code of the local policing area (as in the boundaries)",
                   unique=True, example="HE01"),
        ColumnSpec("area_name", "text", "Name shown on screen", example="Ashford"),
        ColumnSpec("division_code", "code", "Code of the division (BCU) the area belongs to",
                   allowed=config.division_codes, example=config.division_codes[0]),
        ColumnSpec("population", "int", "Resident population (for rates per 1,000); blank if unknown",
                   nullable=True, minimum=0, example="8123"),
    ]
    for col, (dim, cat) in population_columns(config).items():
        specs.append(ColumnSpec(col, "int", f"Residents by {dim.replace('_', ' ')}: {cat}", required=False,
                                nullable=True, minimum=0, example="1024"))
    return specs


def read_areas(path: Path, config: ForceConfig, findings: Findings) -> pd.DataFrame | None:
    specs = area_specs(config)
    areas = read_checked(path, specs, findings)
    if areas is None:
        return None
    blank_pop = areas["population"].isna()
    if blank_pop.any():
        findings.add_rows(path, "population_unknown",
                          "population is blank: crime rates per 1,000 will not be shown for this area",
                          areas.loc[blank_pop, ROW], "population", severity="warning")
    _check_profile_sums(areas, config, path, findings)
    names = {d.code: d.name for d in config.divisions}
    areas["division_name"] = areas["division_code"].map(names)
    return areas


def _check_profile_sums(areas: pd.DataFrame, config: ForceConfig, path, findings: Findings) -> None:
    cols = population_columns(config)
    for dim in ("sex", "ethnicity", "age_band"):
        group = [c for c, (d, _) in cols.items() if d == dim and c in areas.columns]
        if not group:
            continue
        total = areas[group].sum(axis=1, min_count=len(group))
        ok = areas["population"].isna() | total.isna()
        bad = ~ok & ((total > areas["population"]) if dim == "age_band" else (total != areas["population"]))
        rule = "must not exceed" if dim == "age_band" else "must add up to"
        if bad.any():
            findings.add_rows(path, f"{dim}_profile_sum", f"the {dim.replace('_', ' ')} columns {rule} population",
                              areas.loc[bad, ROW], ", ".join(group), total[bad].astype("Int64"))


def long_population(areas: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Population profile as a long table: area_code, dimension, category, population."""
    cols = [c for c in population_columns(config) if c in areas.columns]
    if not cols:
        return pd.DataFrame({"area_code": pd.Series(dtype="str"), "dimension": pd.Series(dtype="str"),
                             "category": pd.Series(dtype="str"), "population": pd.Series(dtype="Int64")})
    long = areas[["area_code", *cols]].melt(id_vars="area_code", value_vars=cols, var_name="column",
                                            value_name="population")
    mapping = population_columns(config)
    long["dimension"] = long["column"].map(lambda c: mapping[c][0])
    long["category"] = long["column"].map(lambda c: mapping[c][1])
    return long[["area_code", "dimension", "category", "population"]].reset_index(drop=True)


def read_boundaries(paths: list[Path], config: ForceConfig, findings: Findings,
                    keep: set[str] | None = None) -> gpd.GeoDataFrame | None:
    """Read every boundary file, check each feature, reproject to British National Grid.

    With ``keep`` (the area codes of the areas file), a file may be national (every ward or
    local authority of England, say): its features are cut to those codes *before* any check,
    so another force's invalid or overlapping polygons are none of this ingest's business, and
    a warning says how many features were left out. An area of ``keep`` that no file has is an
    error of :func:`match_areas`."""
    code_col = config.inputs.boundary_code_column
    parts, read_any = [], False
    for path in paths:
        try:
            kwargs = {"layer": config.inputs.boundary_layer} if config.inputs.boundary_layer else {}
            gdf = gpd.read_file(path, engine="pyogrio", **kwargs)
        except Exception as exc:  # pyogrio raises several types for unreadable files
            findings.add(path, "unreadable", f"the boundary file could not be read: {exc}")
            continue
        if gdf.empty:
            findings.add(path, "no_rows", "the boundary file has no features")
            continue
        if gdf.crs is None:
            findings.add(path, "no_crs", "the boundary file has no coordinate reference system "
                         "(a Shapefile needs its .prj file; say which CRS the coordinates are in)")
            continue
        if code_col not in gdf.columns:
            cols = [c for c in gdf.columns if c != "geometry"]
            findings.add(path, "missing_column", f"the area code column named in inputs.boundary_code_column "
                         f"is missing (columns found: {', '.join(cols)})", column=code_col)
            continue
        gdf = gdf[[code_col, "geometry"]].rename(columns={code_col: "area_code"})
        gdf["area_code"] = gdf["area_code"].astype("str").str.strip()
        gdf["source_file"] = str(path)
        gdf[ROW] = np.arange(1, len(gdf) + 1)
        if keep is not None:
            mine = gdf["area_code"].isin(keep).to_numpy()
            if not mine.all():
                findings.add(path, "boundaries_cut",
                             f"{int((~mine).sum()):,} of {len(gdf):,} features have a code that is not in the areas "
                             f"file and were left out (the file is cut to the force's {int(mine.sum()):,} areas)",
                             column=code_col, severity="warning")
            gdf = gdf.loc[mine].reset_index(drop=True)
            read_any = True
            if gdf.empty:
                continue
        if str(gdf.crs) != JOIN_CRS:
            gdf = gdf.to_crs(JOIN_CRS)
        parts.append(gdf)
    if not parts:
        if read_any:  # files read, none of the force's areas in them: match_areas names every one
            return gpd.GeoDataFrame({"area_code": pd.Series(dtype="str"), "source_file": pd.Series(dtype="str"),
                                     ROW: pd.Series(dtype="int64")}, geometry=gpd.GeoSeries([], crs=JOIN_CRS))
        return None
    gdf = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=JOIN_CRS)
    return _check_geometry(gdf, config, findings)


def _check_geometry(gdf: gpd.GeoDataFrame, config: ForceConfig, findings: Findings) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.values
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for rec in gdf.loc[empty].itertuples():
        findings.add(rec.source_file, "empty_geometry", "the feature has no geometry", row=rec.source_row,
                     column="geometry", value=rec.area_code)
    kinds = gdf.geometry.geom_type
    bad_kind = ~empty & ~kinds.isin(["Polygon", "MultiPolygon"])
    for rec, kind in zip(gdf.loc[bad_kind].itertuples(), kinds[bad_kind]):
        findings.add(rec.source_file, "not_polygon", f"the feature is a {kind}, not a polygon", row=rec.source_row,
                     column="geometry", value=rec.area_code)
    usable = ~empty & ~bad_kind
    invalid = usable & ~gdf.geometry.is_valid
    for rec in gdf.loc[invalid].itertuples():
        reason = shapely.is_valid_reason(rec.geometry)
        if config.inputs.repair_invalid_geometry:
            findings.add(rec.source_file, "invalid_geometry_repaired", f"invalid polygon repaired: {reason}",
                         row=rec.source_row, column="geometry", value=rec.area_code, severity="warning")
        else:
            findings.add(rec.source_file, "invalid_geometry", f"invalid polygon: {reason} (fix it, or set "
                         "inputs.repair_invalid_geometry = true to repair it on ingest)", row=rec.source_row,
                         column="geometry", value=rec.area_code)
    if config.inputs.repair_invalid_geometry and invalid.any():
        repaired = shapely.make_valid(gdf.loc[invalid].geometry.values)
        gdf.loc[invalid, "geometry"] = shapely.collection_extract(repaired, 3)
    dup = gdf["area_code"].duplicated(keep=False)
    for rec in gdf.loc[dup].itertuples():
        findings.add(rec.source_file, "duplicate", "area code appears on more than one feature "
                     "(dissolve the parts into one multipolygon)", row=rec.source_row, column="area_code",
                     value=rec.area_code)
    ok = usable & (~invalid | config.inputs.repair_invalid_geometry)
    _check_overlaps(gdf.loc[ok], config.inputs.overlap_tolerance_m2, findings)
    return gdf


def _check_overlaps(gdf: gpd.GeoDataFrame, tolerance_m2: float, findings: Findings) -> None:
    geoms = gdf.geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if not len(left):
        return
    area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    for i, j, a in zip(left[area > tolerance_m2], right[area > tolerance_m2], area[area > tolerance_m2]):
        ri, rj = gdf.iloc[i], gdf.iloc[j]
        findings.add(ri["source_file"], "overlapping_polygons",
                     f"overlaps area {rj['area_code']} (feature {rj[ROW]}) by {a:,.0f} m²; areas must not "
                     "overlap, or crimes would be counted twice", row=int(ri[ROW]), column="geometry",
                     value=ri["area_code"])


def match_areas(areas: pd.DataFrame, boundaries: gpd.GeoDataFrame, areas_file, findings: Findings) -> None:
    """Every area needs exactly one boundary and every boundary an area."""
    in_areas, in_bounds = set(areas["area_code"].dropna()), set(boundaries["area_code"])
    files = ", ".join(sorted({Path(f).name for f in boundaries["source_file"]})) or "none"
    for rec in areas.loc[~areas["area_code"].isin(in_bounds) & areas["area_code"].notna()].itertuples():
        findings.add(areas_file, "no_boundary", f"area {rec.area_code} has no polygon in the boundary files "
                     f"({files})", row=rec.source_row, column="area_code", value=rec.area_code)
    for rec in boundaries.loc[~boundaries["area_code"].isin(in_areas)].itertuples():
        findings.add(rec.source_file, "unknown_area", "boundary code is not in the areas file", row=rec.source_row,
                     column="area_code", value=rec.area_code)


def display_geometry(boundaries: gpd.GeoDataFrame, divisions: pd.Series | None = None) -> gpd.GeoDataFrame:
    """Every area's shape for the maps in the browser: simplified to the screen, WGS84, exterior
    rings clockwise. Joins always use the full geometry.

    A map fits the areas it shows (the force, or one division: ``divisions``, area code ->
    division) into ``MAP_PIXELS``, and the shapes cross the wire once for every view, so each
    division's areas are simplified at that division's own scale, one pixel in metres: finer
    for a small town division, coarser for a rural one. They are simplified as a coverage
    (``shapely.coverage_simplify``, GEOS's CoverageSimplifier, Visvalingam-Whyatt: triangles
    under about a square pixel go), so a border two areas share is simplified once, the same for
    both, and no gap or overlap opens between neighbours. Boundaries that are not a clean
    coverage (shared borders not edge-matched) are simplified one by one, topology preserved,
    at half a pixel (Douglas-Peucker's tolerance is a distance). Where two divisions meet, each
    side is simplified at its own division's scale: they differ by less than a pixel of the
    force's view, the only one that draws both."""
    simple = boundaries[["area_code", "geometry"]].reset_index(drop=True)
    groups = (pd.Series("", index=simple.index) if divisions is None
              else simple["area_code"].map(divisions).fillna("").astype(str))
    geoms = simple.geometry.values.copy()
    for _, rows in simple.groupby(groups, sort=False).groups.items():
        part = np.asarray(simple.geometry.values[rows])
        x0, y0, x1, y1 = shapely.total_bounds(part)
        pixel = max((x1 - x0) / MAP_PIXELS[0], (y1 - y0) / MAP_PIXELS[1])
        if shapely.coverage_is_valid(part):
            geoms[rows] = shapely.coverage_simplify(part, pixel)
        else:
            geoms[rows] = shapely.simplify(part, pixel / 2, preserve_topology=True)
    simple = gpd.GeoDataFrame({"area_code": simple["area_code"], "geometry": geoms}, crs=boundaries.crs)
    simple = simple.to_crs(DISPLAY_CRS)
    simple["geometry"] = shapely.orient_polygons(simple.geometry.values, exterior_cw=True)
    return simple.reset_index(drop=True)
