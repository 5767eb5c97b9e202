"""Recorded crime per 1,000 residents, computed at ingest from the crime counts (police.uk rows
joined to areas) and the areas' populations, whatever else the force supplies.

One computation serves every reader: the published ``crime_rates`` table (each period's own
months of crime data) and the crime side of the crime/worry matrix (its rolling window) both
come from :func:`window_rates`.

A rate needs its population. An area whose population is blank (allowed in areas.csv) has its
count published and no rate; a division's or the force's rate is the sum of crimes over the sum
of residents of its areas *with a known population only*, numerator and denominator alike, and
the rows say how many areas (and how many crimes) that leaves out. Dividing every area's crimes
by the known areas' residents overstated the force's rate (issue #12: 21.6 instead of 15.4 per
1,000 with 69 of 257 wards blank).

Intervals are exact (Garwood) Poisson intervals on the count (``dashboard.stats.rates``): the
population is a census figure, taken as known.
"""

from __future__ import annotations

import pandas as pd

from .config import ForceConfig
from .stats.rates import rate_per_1000

COLUMNS = ["measure", "level", "geography_code", "period", "months", "window", "count", "population", "rate",
           "lower", "upper", "areas_left_out", "count_left_out"]


def period_windows(crime_counts: pd.DataFrame, config: ForceConfig) -> list[tuple[str, list[str]]]:
    """(period, its months that have crime data) for every configured period with any: a period
    the crime files cover only in part is published with the months it has (``months`` says how
    many), never scaled up to a whole period."""
    have = set(crime_counts["month"])
    out = []
    for p in config.periods:
        last = pd.Timestamp(p.end) - pd.Timedelta(days=1)
        months = [str(m) for m in pd.period_range(pd.Timestamp(p.start), last, freq="M")]
        present = [m for m in months if m in have]
        if present:
            out.append((p.label, present))
    return out


def measures(crime_counts: pd.DataFrame, config: ForceConfig) -> dict[str, tuple[str, ...]]:
    """Every police.uk crime type in the data, and the configured baskets (``basket:NAME``)."""
    out = {t: (t,) for t in sorted(crime_counts["crime_type"].unique())}
    out.update({f"basket:{k}": tuple(v) for k, v in config.crime_baskets.items()})
    return out


def area_counts(crime_counts: pd.DataFrame, areas: pd.DataFrame, months: list[str],
                measures_: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """Crimes per area (rows, every area in ``areas`` order) and measure (columns) over ``months``."""
    window = crime_counts[crime_counts["month"].isin(months)]
    by_type = window.groupby(["area_code", "crime_type"])["count"].sum().unstack(fill_value=0)
    by_type = by_type.reindex(index=areas["area_code"], fill_value=0)
    return pd.DataFrame({name: by_type[[t for t in types if t in by_type.columns]].sum(axis=1)
                         for name, types in measures_.items()}, index=by_type.index).astype("int64")


def window_rates(counts: pd.DataFrame, areas: pd.DataFrame, config: ForceConfig, confidence: float) -> pd.DataFrame:
    """Rates per 1,000 by area, division and force for each measure (a column of ``counts``,
    areas × measures as from :func:`area_counts`), division and force over the areas with a
    known population only. Columns: measure, level, geography_code, count, population, rate,
    lower, upper, areas_left_out, count_left_out."""
    pop = areas.set_index("area_code")["population"].astype(float).reindex(counts.index)
    known = pop.notna().to_numpy()
    division = areas.set_index("area_code")["division_code"].reindex(counts.index).to_numpy()
    parts = []
    for name in counts.columns:
        c = counts[name].to_numpy()
        parts.append(pd.DataFrame({"measure": name, "level": "area", "geography_code": counts.index,
                                   "count": c, "population": pop.to_numpy(), "areas_left_out": (~known).astype(int),
                                   "count_left_out": 0}))
        frame = pd.DataFrame({"division": division, "count": c, "population": pop.to_numpy(), "known": known})
        groups = [("division", code, frame[frame["division"] == code]) for code in config.division_codes]
        groups.append(("force", config.force_code, frame))
        parts.append(pd.DataFrame([{
            "measure": name, "level": level, "geography_code": code,
            "count": int(g.loc[g["known"], "count"].sum()),
            "population": g.loc[g["known"], "population"].sum() if g["known"].any() else float("nan"),
            "areas_left_out": int((~g["known"]).sum()), "count_left_out": int(g.loc[~g["known"], "count"].sum()),
        } for level, code, g in groups]))
    out = pd.concat(parts, ignore_index=True)
    out["rate"], out["lower"], out["upper"] = rate_per_1000(out["count"], out["population"], confidence)
    return out


def crime_rates(crime_counts: pd.DataFrame | None, areas: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """The published ``crime_rates`` table: every period with crime data, over its own months;
    empty without crime data or without any known population."""
    if crime_counts is None or crime_counts.empty or areas["population"].isna().all():
        return pd.DataFrame(columns=COLUMNS)
    kinds = measures(crime_counts, config)
    parts = []
    for period, months in period_windows(crime_counts, config):
        rates = window_rates(area_counts(crime_counts, areas, months, kinds), areas, config,
                             config.policy.confidence)
        parts.append(rates.assign(period=period, months=len(months), window=f"{months[0]} to {months[-1]}"))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def build(crime_counts: pd.DataFrame | None, areas: pd.DataFrame, config: ForceConfig) -> dict[str, pd.DataFrame]:
    """The crime tables to publish: ``crime_rates`` where there is anything to publish."""
    rates = crime_rates(crime_counts, areas, config)
    return {"crime_rates": rates} if len(rates) else {}
