"""Pick rows out of the published tables for a view (no Dash imports, no statistics)."""

from __future__ import annotations

import pandas as pd

from ..data.store import StoreError, per_snapshot, snapshot_at

ALL_DIVISIONS = "all"


def area_indicators(config) -> list:
    return [i for i in config.indicators if i.kind != "gap" and config.surveys[i.survey].level == "area"]


def latest_period(estimates: pd.DataFrame) -> str:
    return max(estimates["period"].unique())


def area_values(snapshot, config, indicator: str, period: str, division: str = ALL_DIVISIONS) -> pd.DataFrame:
    """One row per area (in the division, or all) with its estimate, interval, base, published
    flag against the force (``flag``, ``flag_rule``, ``flag_lower``/``flag_upper``) and resource
    level: ordered by area code. ``base`` stays NaN where disclosure control withholds it."""
    index = _area_index(snapshot.key, snapshot.variant)
    areas = snapshot.table("areas")[["area_code", "area_name", "division_code", "division_name"]]
    if division != ALL_DIVISIONS:
        areas = areas[areas["division_code"] == division]
    out = areas.merge(index["estimates"].get((indicator, period), index["no_estimates"]), on="area_code", how="left")
    out["suppressed"] = out["suppressed"].astype("boolean").fillna(True).astype(bool)
    if index["comparisons"] is not None:
        out = out.merge(index["comparisons"].get((indicator, period), index["no_comparisons"]),
                        on="area_code", how="left")
    else:
        out["flag"], out["flag_rule"] = "not tested", ""
    # An area with no published comparison was not tested, unless its estimate is withheld.
    out["flag"] = out["flag"].astype(object).where(out["flag"].notna(),
                                                   out["suppressed"].map({True: "suppressed", False: "not tested"}))
    out.loc[out["suppressed"], "flag"] = "suppressed"
    matrix = index["matrix"]
    if matrix:
        mp = period if period in matrix else max(matrix)
        out = out.merge(matrix[mp], on="area_code", how="left")
    else:
        out["resource_level"], out["rank"] = "not computed", float("nan")
    out["base"] = pd.to_numeric(out["base"], errors="coerce").astype(float)
    return out.sort_values("area_code").reset_index(drop=True)


CRIME_PREFIX = "crime:"  # a map choice that is a measure of the published crime rates, not an indicator


def crime_area_values(snapshot, config, choice: str, period: str, division: str = ALL_DIVISIONS) -> pd.DataFrame:
    """:func:`area_values` for a crime measure (``crime:MEASURE``): the published rate per 1,000
    (``crime_rates``) with its exact Poisson interval as value and limits and the count as base;
    no flag against the force (none is published for crime), and no rate where the area's
    population is not known."""
    areas = snapshot.table("areas")[["area_code", "area_name", "division_code", "division_name"]]
    if division != ALL_DIVISIONS:
        areas = areas[areas["division_code"] == division]
    rates = optional_table(snapshot, "crime_rates")
    cols = ["geography_code", "rate", "lower", "upper", "count"]
    mine = pd.DataFrame(columns=cols) if rates is None else rates.loc[
        (rates["level"] == "area") & (rates["period"] == period)
        & (rates["measure"] == choice.removeprefix(CRIME_PREFIX)), cols]
    out = areas.merge(mine.rename(columns={"geography_code": "area_code", "rate": "value", "lower": "lower_95",
                                           "upper": "upper_95", "count": "base"}), on="area_code", how="left")
    out = out.assign(suppressed=False, small_base=False, flag="not tested", flag_rule="")
    m = optional_table(snapshot, "matrix")
    if m is not None and not m.empty:
        mp = period if period in set(m["period"]) else max(m["period"])
        out = out.merge(m.loc[m["period"] == mp, ["area_code", "resource_level", "rank"]], on="area_code", how="left")
    else:
        out["resource_level"], out["rank"] = "not computed", float("nan")
    for c in ("value", "lower_95", "upper_95", "base"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out.sort_values("area_code").reset_index(drop=True)


@per_snapshot(maxsize=4)
def _area_index(snapshot_key: str, variant: str | None) -> dict:
    """A snapshot's area-level results split by (indicator, period) once, so that a map switch
    picks its rows instead of filtering every published estimate (snapshots never change); one
    per variant (the panel's tables are its own)."""
    snapshot = snapshot_at(snapshot_key, variant)
    e = snapshot.table("estimates")
    e = e[(e["level"] == "area") & (e["subgroup_dimension"] == "all")]
    est_cols = ["value", "lower_95", "upper_95", "base", "suppressed", "small_base"]
    e = e[["indicator", "period", "geography_code", *est_cols]].rename(columns={"geography_code": "area_code"})
    index = {"estimates": {k: g.drop(columns=["indicator", "period"]) for k, g in
                           e.groupby(["indicator", "period"], observed=True, sort=False)},
             "no_estimates": e.iloc[:0].drop(columns=["indicator", "period"])}
    ac = optional_table(snapshot, "area_comparisons")
    index["comparisons"] = None
    if ac is not None:
        cols = ["area_code", "flag", "flag_rule", "flag_lower", "flag_upper", "shrunk_value", "shrunk_lower",
                "shrunk_upper"]
        ac = ac[["indicator", "period", *[c for c in cols if c in ac.columns]]]
        index["comparisons"] = {k: g.drop(columns=["indicator", "period"]) for k, g in
                                ac.groupby(["indicator", "period"], observed=True, sort=False)}
        index["no_comparisons"] = ac.iloc[:0].drop(columns=["indicator", "period"])
    m = optional_table(snapshot, "matrix")
    index["matrix"] = {} if m is None or m.empty else {
        p: g[["area_code", "resource_level", "rank"]] for p, g in m.groupby("period", sort=False)}
    return index


def significance_policy(snapshot):
    """The published significance policy (``words.Policy``): the rule and its sentences."""
    return _policy(snapshot.key, snapshot.variant)


@per_snapshot(maxsize=4)
def _policy(snapshot_key: str, variant: str | None):
    from .words import Policy

    table = snapshot_at(snapshot_key, variant).table("significance_policy")
    return Policy.from_row(table.iloc[0].to_dict())


def optional_table(snapshot, name):
    """A table that a snapshot may not have (no crime data, no survey results...), or None."""
    try:
        return snapshot.table(name)
    except StoreError:
        return None


def respondent_profile(snapshot, config, division: str, period: str, confidence: float) -> pd.DataFrame:
    """Who answered the profiled survey (its ``survey`` column) against who lives there, by age band, sex and ethnicity:
    unweighted shares of respondents with Wilson intervals beside residents' shares, from the
    published ``respondent_profile`` counts (no respondent row is published)."""
    from ..stats.proportions import wilson_interval

    profile = optional_table(snapshot, "respondent_profile")
    pop = snapshot.table("area_population")
    areas = snapshot.table("areas")
    if profile is None or pop.empty:
        return pd.DataFrame()
    geography = config.force_code if division == ALL_DIVISIONS else division
    profile = profile[(profile["period"] == period) & (profile["geography_code"] == geography)]
    if division != ALL_DIVISIONS:
        pop = pop[pop["area_code"].isin(set(areas.loc[areas["division_code"] == division, "area_code"]))]
    rows = []
    for dim in ("age_band", "sex", "ethnicity"):
        mine = profile[profile["dimension"] == dim]
        counts = mine.set_index("category")["respondents"]
        total = int(mine["base"].iat[0]) if len(mine) else 0
        residents = pop[pop["dimension"] == dim].groupby("category")["population"].sum()
        for cat in config.subgroups[dim]:
            if cat == "not_stated" or total == 0:
                continue
            k = counts.get(cat, 0)
            if k != k:  # withheld (a role with a stricter threshold; data/aggregate.profile_for_threshold)
                continue
            k = int(k)
            lo, hi = wilson_interval(k, total, confidence)
            rows.append({"dimension": dim, "category": cat.replace("_", " "), "respondents": k, "base": total,
                         "respondents_pct": 100 * k / total, "respondents_lower": 100 * float(lo),
                         "respondents_upper": 100 * float(hi),
                         "residents_pct": (100 * residents.get(cat, 0) / residents.sum() if residents.sum()
                                           else float("nan"))})
    return pd.DataFrame(rows)


def resource_levels(config) -> list[tuple[str, str]]:
    """(level, colour) for each distinct resource level, lowest rank first; empty without a matrix."""
    if not config.matrix:
        return []
    return [(lv.level, lv.colour) for lv in sorted({lv.level: lv for lv in config.matrix.levels}.values(),
                                                   key=lambda lv: lv.rank)]


def matrix_selection(snapshot, config, period: str, division: str = ALL_DIVISIONS):
    """(period, rows, cuts) of the published matrix for a period ('latest' or a valid one) and a
    division, with area and division names, ordered by area code; None without a matrix."""
    m = optional_table(snapshot, "matrix")
    if m is None or m.empty:
        return None
    periods = set(m["period"])
    period = period if period in periods else max(periods)
    areas = snapshot.table("areas")[["area_code", "area_name", "division_name"]]
    m = m[m["period"] == period].merge(areas, on="area_code")
    if division != ALL_DIVISIONS:
        m = m[m["division_code"] == division]
    m = m.sort_values("area_code").reset_index(drop=True)
    cuts = tuple(float(m[c].iloc[0]) if len(m) else 100.0
                 for c in ("crime_cut_low", "crime_cut_high", "worry_cut_low", "worry_cut_high"))
    return period, m, cuts


def matrix_table_rows(m: pd.DataFrame) -> list[dict]:
    """One plain-text row per area: indices with intervals, band, level, engagement, the force's own."""
    def supplied(r):
        level = getattr(r, "supplied_resource_level", None)
        if level is None or level != level or level == "":
            return ""
        return f"{r.supplied_crime_level} / {r.supplied_worry_level}: {level}"

    return [{"area_code": r.area_code, "area_name": r.area_name, "division_name": r.division_name,
             "crime": "population not known" if r.crime_index != r.crime_index else
             f"{r.crime_index:.0f} ({r.crime_lower:.0f}–{r.crime_upper:.0f})",
             "worry": "suppressed" if r.worry_index != r.worry_index else
             f"{r.worry_index:.0f} ({r.worry_lower:.0f}–{r.worry_upper:.0f}), n = {r.worry_base}",
             "band": f"{r.crime_level} / {r.worry_level}".replace("nd", "not distinguishable"),
             "resource_level": r.resource_level + (" (held)" if r.held else ""), "engagement": r.engagement,
             "frequency": r.frequency, "supplied": supplied(r)}
            for r in m.itertuples()]
