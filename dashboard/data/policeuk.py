"""police.uk street-level crime CSVs, exactly as downloaded, joined to area polygons.

Every input row ends in exactly one of four outcomes, and the accounting table says how many
of each per file: ``joined`` to an area, ``no_location`` (blank coordinates, as police.uk
publishes some), ``outside`` every area polygon, or ``duplicate_id`` (a non-blank Crime ID seen
before: counted once, the repeat reported). ASB rows have no Crime ID by design and are never
duplicates. A point on a boundary shared by two areas goes to the first area by code, and the
number of such ties is reported.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from ..config import ForceConfig
from .problems import Findings
from .tables import ROW, ColumnSpec, check_formulas, convert, read_table

log = logging.getLogger(__name__)

CRIME_TYPES = (
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs",
    "Other crime", "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting",
    "Theft from the person", "Vehicle crime", "Violence and sexual offences",
)
# Older police.uk files used earlier category names; they map to today's 14 types.
LEGACY_TYPES = {
    "Violent crime": "Violence and sexual offences",
    "Public disorder and weapons": "Public order",
}
HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
          "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]

SPECS = [
    ColumnSpec("Crime ID", "code", "police.uk crime identifier; blank for anti-social behaviour", nullable=True),
    ColumnSpec("Month", "code", "Month of the record, YYYY-MM", example="2018-10"),
    ColumnSpec("Reported by", "text", "Force that recorded it"),
    ColumnSpec("Falls within", "text", "Force whose area it falls within"),
    ColumnSpec("Longitude", "float", "WGS84 longitude; blank when there is no location", nullable=True,
               minimum=-180, maximum=180),
    ColumnSpec("Latitude", "float", "WGS84 latitude; blank when there is no location", nullable=True,
               minimum=-90, maximum=90),
    ColumnSpec("Location", "text", "Anonymised location, e.g. 'On or near High Street'", nullable=True),
    ColumnSpec("LSOA code", "code", "Lower layer super output area code", nullable=True),
    ColumnSpec("LSOA name", "text", "Lower layer super output area name", nullable=True),
    ColumnSpec("Crime type", "code", "One of police.uk's 14 crime types", allowed=CRIME_TYPES + tuple(LEGACY_TYPES)),
    ColumnSpec("Last outcome category", "text", "Latest outcome; blank for ASB", nullable=True),
    ColumnSpec("Context", "text", "Free-text context (usually blank)", nullable=True),
]

ACCOUNT_COLUMNS = ["file", "month", "rows", "joined", "no_location", "outside", "duplicate_id", "boundary_ties"]


def read_crime_file(path: Path, config: ForceConfig, findings: Findings) -> pd.DataFrame | None:
    raw = read_table(path, findings, HEADER)
    if raw is None:
        return None
    header = [c for c in raw.columns if c != ROW]
    if header != HEADER:
        for i, expected in enumerate(HEADER):
            got = header[i] if i < len(header) else None
            if got != expected:
                findings.add(path, "policeuk_header",
                             f"police.uk header changed: column {i + 1} should be {expected!r} but is "
                             f"{got!r} (expected header: {','.join(HEADER)})", row=1, column=expected,
                             value=got)
                break
        else:
            findings.add(path, "policeuk_header", f"police.uk header has extra columns: {header[len(HEADER):]}",
                         row=1, column=header[len(HEADER)])
        return None
    check_formulas(raw, path, findings)
    df = convert(raw, SPECS, path, findings)
    months = pd.to_datetime(df["Month"], format="%Y-%m", errors="coerce")
    bad = months.isna() & df["Month"].notna()
    if bad.any():
        findings.add_rows(path, "not_month", "not a month like 2018-10", df.loc[bad, ROW], "Month",
                          df.loc[bad, "Month"])
    start, end = pd.Timestamp(config.periods[0].start), pd.Timestamp(config.periods[-1].end)
    outside = months.notna() & ((months < start) | (months >= end))
    if outside.any():
        findings.add_rows(path, "period_outside", f"month is outside the configured periods "
                          f"({config.periods[0].label} to {config.periods[-1].label})",
                          df.loc[outside, ROW], "Month", df.loc[outside, "Month"])
    df["Crime type"] = df["Crime type"].replace(LEGACY_TYPES)
    df["source_file"] = str(path)
    return df


def join_crime(crime: pd.DataFrame, boundaries: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Assign every row to an area or to an outcome; return (rows, counts, accounting).

    ``rows`` has one line per input row with ``outcome`` and ``area_code``; ``counts`` is
    area × month × crime type; ``accounting`` is one line per file and sums to the input rows.
    """
    rows = crime[["source_file", ROW, "Crime ID", "Month", "Crime type", "Longitude", "Latitude"]].copy()
    rows = rows.rename(columns={"Crime ID": "crime_id", "Month": "month", "Crime type": "crime_type"})
    rows["area_code"] = pd.Series(pd.NA, index=rows.index, dtype="str")
    rows["outcome"] = "outside"
    rows["boundary_tie"] = False

    has_id = rows["crime_id"].notna()
    dup = has_id & rows.duplicated("crime_id", keep="first")
    no_loc = ~dup & (rows["Longitude"].isna() | rows["Latitude"].isna())
    rows.loc[dup, "outcome"] = "duplicate_id"
    rows.loc[no_loc, "outcome"] = "no_location"
    locate = (~dup & ~no_loc).to_numpy()

    ordered = boundaries.sort_values("area_code").reset_index(drop=True)
    to_grid = Transformer.from_crs("EPSG:4326", ordered.crs, always_xy=True)
    x, y = to_grid.transform(rows.loc[locate, "Longitude"].to_numpy(), rows.loc[locate, "Latitude"].to_numpy())
    points = shapely.points(x, y)
    pt_idx, poly_idx = shapely.STRtree(ordered.geometry.values).query(points, predicate="intersects")
    # query() sorts by point; for ties keep the lowest polygon index, i.e. the first area code.
    order = np.lexsort((poly_idx, pt_idx))
    pt_idx, poly_idx = pt_idx[order], poly_idx[order]
    first = np.ones(len(pt_idx), bool)
    first[1:] = pt_idx[1:] != pt_idx[:-1]
    hits_per_point = np.bincount(pt_idx, minlength=len(points))
    located_rows = rows.index[locate]
    target = located_rows[pt_idx[first]]
    rows.loc[target, "area_code"] = ordered["area_code"].to_numpy()[poly_idx[first]]
    rows.loc[target, "outcome"] = "joined"
    rows.loc[located_rows[hits_per_point > 1], "boundary_tie"] = True

    joined = rows[rows["outcome"] == "joined"]
    counts = (joined.groupby(["area_code", "month", "crime_type"], observed=True).size()
              .rename("count").reset_index())
    acc = rows.groupby(["source_file", "month"], dropna=False).agg(
        rows=("outcome", "size"),
        joined=("outcome", lambda s: int((s == "joined").sum())),
        no_location=("outcome", lambda s: int((s == "no_location").sum())),
        outside=("outcome", lambda s: int((s == "outside").sum())),
        duplicate_id=("outcome", lambda s: int((s == "duplicate_id").sum())),
        boundary_ties=("boundary_tie", "sum"),
    ).reset_index().rename(columns={"source_file": "file"})
    return rows.drop(columns=["Longitude", "Latitude"]), counts, acc[ACCOUNT_COLUMNS]


def report_unjoined(rows: pd.DataFrame, findings: Findings) -> None:
    """Warnings for rows that are counted but not joined to an area, so nothing is silent."""
    messages = {
        "no_location": "no location (blank coordinates): counted as 'no location', not in any area",
        "outside": "point lies outside every area polygon: counted as 'outside', not in any area",
        "duplicate_id": "Crime ID already seen in an earlier row: counted once, this repeat left out",
    }
    for outcome, message in messages.items():
        sel = rows[rows["outcome"] == outcome]
        findings.add_rows_by_file(sel, outcome, message, "Crime ID" if outcome == "duplicate_id" else "Longitude",
                                  "crime_id" if outcome == "duplicate_id" else None)
