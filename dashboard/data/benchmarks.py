"""Most-similar-force values and the force-supplied crime/worry matrix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import ForceConfig
from .problems import Findings
from .tables import ROW, ColumnSpec, read_checked

MATRIX_LEVELS = ("low", "medium", "high")


def msf_specs(config: ForceConfig) -> list[ColumnSpec]:
    return [
        ColumnSpec("force", "text", "Peer force name, as listed in msf.peers (or this force)",
                   allowed=(*config.msf_peers, config.force_name),
                   example=config.msf_peers[0] if config.msf_peers else ""),
        ColumnSpec("period", "code", "Period label", allowed=config.period_labels,
                   example=config.period_labels[-1] if config.period_labels else ""),
        ColumnSpec("indicator", "code", "Indicator id", allowed=tuple(i.id for i in config.indicators),
                   example=config.indicators[0].id if config.indicators else ""),
        ColumnSpec("value", "float", "The force's published value (percentage)", minimum=0, maximum=100,
                   example="81.7"),
        ColumnSpec("base", "int", "Unweighted base of that value", minimum=1, example="3012"),
    ]


def read_msf(path: Path, config: ForceConfig, findings: Findings) -> pd.DataFrame | None:
    specs = msf_specs(config)
    df = read_checked(path, specs, findings)
    if df is None:
        return None
    dup = (df.duplicated(["force", "period", "indicator"], keep=False)
           & df[["force", "period", "indicator"]].notna().all(axis=1))
    if dup.any():
        findings.add_rows(path, "duplicate", "force, period and indicator appear together more than once",
                          df.loc[dup, ROW], "force", df.loc[dup, "force"])
    return df


def matrix_specs(config: ForceConfig) -> list[ColumnSpec]:
    return [
        ColumnSpec("area_code", "code", "Area code", example="HE01"),
        ColumnSpec("period", "code", "Period label", allowed=config.period_labels,
                   example=config.period_labels[-1] if config.period_labels else ""),
        ColumnSpec("crime_level", "code", "The force's crime level for the area", allowed=MATRIX_LEVELS,
                   example="high"),
        ColumnSpec("worry_level", "code", "The force's worry level for the area", allowed=MATRIX_LEVELS,
                   example="low"),
        ColumnSpec("resource_level", "text", "The force's colour-coded resource level", example="amber"),
    ]


def read_matrix(path: Path, config: ForceConfig, findings: Findings, known_areas: set[str]) -> pd.DataFrame | None:
    specs = matrix_specs(config)
    df = read_checked(path, specs, findings)
    if df is None:
        return None
    unknown = df["area_code"].notna() & ~df["area_code"].isin(known_areas)
    if unknown.any():
        findings.add_rows(path, "unknown_area", "area code is not in the areas file", df.loc[unknown, ROW],
                          "area_code", df.loc[unknown, "area_code"])
    dup = df.duplicated(["area_code", "period"], keep=False) & df["area_code"].notna()
    if dup.any():
        findings.add_rows(path, "duplicate", "area and period appear together more than once",
                          df.loc[dup, ROW], "area_code", df.loc[dup, "area_code"])
    return df
