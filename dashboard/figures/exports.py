"""Tables for download: the figures on screen with their definitions and method, suppression
already applied (values withheld, the reason given), as CSV or XLSX bytes."""

from __future__ import annotations

import io

import pandas as pd


def area_table_export(values: pd.DataFrame, indicator, config, period: str, division_label: str) -> pd.DataFrame:
    """The map's table as a self-describing frame: one row per area."""
    out = pd.DataFrame({
        "area_code": values["area_code"], "area_name": values["area_name"], "division": values["division_name"],
        "indicator_id": indicator.id, "indicator": indicator.name, "period": period,
        "value_pct": values["value"].round(1).where(~values["suppressed"]),
        "lower_95_pct": values["lower_95"].round(1).where(~values["suppressed"]),
        "upper_95_pct": values["upper_95"].round(1).where(~values["suppressed"]),
        "unweighted_base": values["base"],
        "suppressed": values["suppressed"],
        "suppression_reason": values["suppressed"].map(
            lambda s: f"base below {config.suppression_threshold}" if s else ""),
        "compared_with_force_95": values["vs_force_95"],
        "resource_level": values.get("resource_level"),
        "definition": indicator.definition,
        "method": "Wilson 95% interval on the Kish effective base; area vs force by z-test against the force "
                  "value (docs/methods.md)",
        "geography": division_label,
    })
    return out


def to_csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def to_xlsx(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        frame.to_excel(xl, sheet_name=sheet[:31], index=False)
    return buf.getvalue()
