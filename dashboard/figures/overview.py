"""Force overview: every indicator for the force and each division in one period."""

from __future__ import annotations

import pandas as pd

from ..config import ForceConfig
from ..stats.disclosure import suppress
from ..stats.proportions import weighted_proportion


def estimates(results: pd.DataFrame, config: ForceConfig, confidence: float = 0.95) -> pd.DataFrame:
    """Survey results rows -> value, interval and base, after disclosure control."""
    est = weighted_proportion(results["weighted_positives"], results["sum_weights"], results["n_unweighted"],
                              results["effective_base"], results["design_effect"], confidence)
    out = results[["indicator", "survey", "level", "geography_code", "period", "subgroup_dimension",
                   "subgroup"]].copy()
    out["value"], out["lower"], out["upper"] = est.value, est.lower, est.upper
    out["base"] = results["n_unweighted"].to_numpy()
    out["effective_base"] = est.effective_base
    out["method"] = est.method
    return suppress(out, config.suppression_threshold, config.small_base_flag)


def overview_frame(results: pd.DataFrame, config: ForceConfig, period: str | None = None) -> pd.DataFrame:
    """One row per indicator × geography (force first, then divisions) for one period.

    ``period`` defaults to the latest period with any result. Gap indicators are derived later
    by the statistics layer and are not listed here.
    """
    if period is None:
        period = max(results["period"].unique())
    sel = results[(results["period"] == period) & (results["subgroup_dimension"] == "all")
                  & results["level"].isin(["force", "division"])]
    est = estimates(sel, config)
    order = {ind.id: i for i, ind in enumerate(config.indicators)}
    geo_order = {config.force_code: 0, **{d.code: i + 1 for i, d in enumerate(config.divisions)}}
    est["indicator_order"] = est["indicator"].map(order)
    est["geography_order"] = est["geography_code"].map(geo_order)
    return est.sort_values(["indicator_order", "geography_order"]).reset_index(drop=True)
