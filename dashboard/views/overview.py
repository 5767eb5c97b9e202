"""Force overview: every indicator for the force and each division in one period."""

from __future__ import annotations

import pandas as pd

from ..config import ForceConfig


def overview_frame(estimates: pd.DataFrame, config: ForceConfig, period: str | None = None) -> pd.DataFrame:
    """One row per indicator × geography (force first, then divisions) for one period.

    ``estimates`` is the published, already disclosure-controlled estimates table. ``period``
    defaults to the latest period with any result.
    """
    if period is None:
        period = max(estimates["period"].unique())
    sel = estimates[(estimates["period"] == period) & (estimates["subgroup_dimension"] == "all")
                    & estimates["level"].isin(["force", "division"])].copy()
    order = {ind.id: i for i, ind in enumerate(config.indicators)}
    geo_order = {config.force_code: 0, **{d.code: i + 1 for i, d in enumerate(config.divisions)}}
    sel["indicator_order"] = sel["indicator"].map(order)
    sel["geography_order"] = sel["geography_code"].map(geo_order)
    return sel.sort_values(["indicator_order", "geography_order"]).reset_index(drop=True)
