"""police.uk street-level crime CSVs, exactly as downloaded, joined to area polygons.

Every input row ends in exactly one of four outcomes, and the accounting table says how many
of each per file: ``joined`` to an area, ``no_location`` (blank coordinates, as police.uk
publishes some), ``outside`` every area polygon, or ``duplicate_id`` (a non-blank Crime ID seen
before: counted once, the repeat reported). ASB rows have no Crime ID by design and are never
duplicates. A point on a boundary shared by two areas goes to the first area by code, and the
number of such ties is reported.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from pyproj import Transformer

from ..config import ForceConfig
from .problems import Findings
from .tables import ROW, ColumnSpec, check_formulas, convert, read_table

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
    ColumnSpec("Month", "code", "Month of the record, YYYY-MM", example="2030-01"),
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

CHUNK = 500_000  # points per spatial query
OUTCOMES = ("joined", "no_location", "outside", "duplicate_id")
ACCOUNT_COLUMNS = ["file", "month", "rows", "joined", "no_location", "outside", "duplicate_id", "boundary_ties"]


# The columns the dashboard uses. The others are checked in the header only: they are never
# published, shown or exported, so their cells are not read.
USED = ["Crime ID", "Month", "Longitude", "Latitude", "Crime type"]
USED_SPECS = [s for s in SPECS if s.name in USED]


def _header_problem(path: Path, header: list[str], findings: Findings) -> bool:
    """Report a police.uk header that is not exactly the expected one; True if it is not."""
    if header == HEADER:
        return False
    for i, expected in enumerate(HEADER):
        got = header[i] if i < len(header) else None
        if got != expected:
            findings.add(path, "policeuk_header",
                         f"police.uk header changed: column {i + 1} should be {expected!r} but is "
                         f"{got!r} (expected header: {','.join(HEADER)})", row=1, column=expected, value=got)
            return True
    findings.add(path, "policeuk_header", f"police.uk header has extra columns: {header[len(HEADER):]}",
                 row=1, column=header[len(HEADER)])
    return True


def _validate(raw: pd.DataFrame, path, config: ForceConfig, findings: Findings) -> pd.DataFrame:
    """Formulas, types and allowed values, months inside the configured periods (used columns)."""
    check_formulas(raw[[ROW, *USED]], path, findings)
    df = convert(raw[[ROW, *USED]], USED_SPECS, path, findings)
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
    return df


def _careful_read(path: Path, findings: Findings) -> pd.DataFrame | None:
    """Every cell as text with its spreadsheet row, through the general reader (exact errors)."""
    raw = read_table(path, findings, HEADER)
    if raw is None:
        return None
    if _header_problem(path, [c for c in raw.columns if c != ROW], findings):
        return None
    return raw


def _fast_read(path: Path) -> pd.DataFrame | None:
    """The used columns of a well-formed police.uk CSV, read by pyarrow; None when anything is
    unusual (not UTF-8, blank or ragged lines, another header, Excel...), and the careful reader
    then says exactly what."""
    if path.suffix.lower() != ".csv":
        return None
    try:
        with open(path, "rb") as fh:
            first = fh.readline().decode("utf-8-sig")
        if [h.strip() for h in next(csv.reader([first]))] != HEADER:
            return None
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=True),
                               parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
                               convert_options=pacsv.ConvertOptions(
                                   column_types={c: pa.string() for c in HEADER}, include_columns=USED,
                                   strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[]))
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError, StopIteration, csv.Error):
        return None
    if table.num_rows == 0:
        return None
    frame = table.to_pandas()
    if (frame[USED] == "").all(axis=1).any():  # blank lines: the careful reader skips and counts them
        return None
    frame[ROW] = np.arange(2, len(frame) + 2)
    return frame


def read_crime_files(paths: list[Path], config: ForceConfig, findings: Findings) -> pd.DataFrame | None:
    """Every police.uk file, checked as one table: the usual case, valid files, costs one pass
    of the checks; if that pass finds anything, each file is checked on its own so every
    problem names its file and row. None when there are no readable files."""
    raws, names = [], []
    for path in paths:
        raw = _fast_read(Path(path))
        if raw is None:
            raw = _careful_read(Path(path), findings)
            if raw is None:
                continue
            raw = raw[[ROW, *USED]]
        raws.append(raw)
        names.append(str(path))
    if not raws:
        return None
    file_code = np.repeat(np.arange(len(raws), dtype=np.int32), [len(r) for r in raws])
    together = pd.concat(raws, ignore_index=True)
    del raws
    scratch = Findings()
    df = _validate(together, "police.uk crime files", config, scratch)
    if scratch.errors:
        for i, name in enumerate(names):
            _validate(together[file_code == i], name, config, findings)
        return None
    df["source_file"] = pd.Categorical.from_codes(file_code, categories=names)
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
    tree = shapely.STRtree(ordered.geometry.values)
    n_points = len(x)
    # Points are made and queried a chunk at a time: a GEOS point costs far more than its two
    # coordinates, and millions of them at once would dominate the ingest's memory.
    parts = []
    for lo in range(0, n_points, CHUNK):
        p_idx, g_idx = tree.query(shapely.points(x[lo:lo + CHUNK], y[lo:lo + CHUNK]), predicate="intersects")
        parts.append((p_idx + lo, g_idx))
    pt_idx = np.concatenate([p for p, _ in parts]) if parts else np.zeros(0, np.intp)
    poly_idx = np.concatenate([g for _, g in parts]) if parts else np.zeros(0, np.intp)
    del parts
    # query() sorts by point; for ties keep the lowest polygon index, i.e. the first area code.
    order = np.lexsort((poly_idx, pt_idx))
    pt_idx, poly_idx = pt_idx[order], poly_idx[order]
    first = np.ones(len(pt_idx), bool)
    first[1:] = pt_idx[1:] != pt_idx[:-1]
    hits_per_point = np.bincount(pt_idx, minlength=n_points)
    located_rows = rows.index[locate]
    target = located_rows[pt_idx[first]]
    rows.loc[target, "area_code"] = ordered["area_code"].to_numpy()[poly_idx[first]]
    rows.loc[target, "outcome"] = "joined"
    rows.loc[located_rows[hits_per_point > 1], "boundary_tie"] = True

    joined = rows[rows["outcome"] == "joined"]
    counts = (joined.groupby(["area_code", "month", "crime_type"], observed=True).size()
              .rename("count").reset_index())
    keys = [rows["source_file"], rows["month"].fillna("")]
    acc = (pd.crosstab(keys, rows["outcome"]).reindex(columns=OUTCOMES, fill_value=0)
           .join(rows.groupby(keys, observed=True)["boundary_tie"].sum().rename("boundary_ties")))
    acc["rows"] = acc[list(OUTCOMES)].sum(axis=1)
    acc = acc.reset_index()
    acc.columns = ["file", "month", *acc.columns[2:]]
    acc["month"] = acc["month"].replace("", None)
    return rows.drop(columns=["Longitude", "Latitude"]), counts, acc[ACCOUNT_COLUMNS].astype(
        {c: "int64" for c in ACCOUNT_COLUMNS[2:]})


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
