"""Disclosure control: the one function every view and export passes estimates through."""

from __future__ import annotations

import numpy as np
import pandas as pd


def suppress(frame: pd.DataFrame, threshold: int, small_base: int, base_column: str = "base",
             value_columns: tuple[str, ...] = ("value", "lower", "upper")) -> pd.DataFrame:
    """Withhold estimates whose unweighted base is below ``threshold``; flag small bases.

    Returns a copy with ``suppressed`` (bool), ``suppression_reason`` (text or NA) and
    ``small_base`` (bool: at or above the threshold but below ``small_base``); the value
    columns of suppressed rows are set to NaN so no export can leak them.

    Notes
    -----
    A minimum unweighted base of 50 is the usual rule for survey estimates in UK official
    statistics (e.g. the Crime Survey for England and Wales user guide); the threshold is
    configuration (``statistics.suppression_threshold``).
    """
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1 (got {threshold})")
    out = frame.copy()
    base = out[base_column].astype(float)
    hidden = base.isna() | (base < threshold)
    for col in value_columns:
        if col in out.columns:
            out[col] = out[col].astype(float).mask(hidden, np.nan)
    out["suppressed"] = hidden.to_numpy()
    reason = pd.Series(pd.NA, index=out.index, dtype="str")
    reason = reason.mask(hidden, "base " + base.fillna(0).astype(int).astype(str) + f" is below {threshold}")
    out["suppression_reason"] = reason
    out["small_base"] = (~hidden & (base < small_base)).to_numpy()
    return out
