"""The crime/worry matrix, computed at ingest from recorded crime and the worry-side survey
(the survey of the configured worry-side indicators, :func:`worry_survey`).

For each period (financial year) with a full window of crime data:

* crime side: each area's count of every configured crime type over the rolling window ending
  with the period against the force's rate, from the computation that publishes the crime
  rates (``dashboard.derived_crime``: areas with a known population only);
* worry side: the configured perception measures from the worry survey, pooled over the
  configured number of periods, with Wilson intervals and empirical-Bayes estimates beside;
* a crime index and a worry index per area (index 100 = force average) with intervals, the
  classification (high / not distinguishable / low on each axis), the colour-coded resource
  level and engagement advice from the configuration, the level published after the hold
  rule, and the force's own matrix beside it where supplied.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import derived_crime
from .config import ForceConfig
from .data.aggregate import effective_base, score_indicator
from .stats import matrix as mstats
from .stats.disclosure import suppress, window_suppression
from .stats.proportions import weighted_proportion
from .stats.shrinkage import shrink

SUPPLIED_TO_BAND = {"high": "high", "medium": "nd", "low": "low"}


def matrix_periods(crime_counts: pd.DataFrame | None, config: ForceConfig) -> list[tuple[str, list[str]]]:
    """(period, months of its crime window) for periods whose whole window has crime data."""
    if crime_counts is None or crime_counts.empty or config.matrix is None:
        return []
    have = set(crime_counts["month"])
    out = []
    for p in config.periods:
        end = pd.Period(p.end, freq="M") - 1
        months = [str(end - k) for k in range(config.matrix.crime_window_months)][::-1]
        if all(m in have for m in months):
            out.append((p.label, months))
    return out


def worry_survey(config: ForceConfig) -> str | None:
    """The survey the worry side reads: that of the matrix's worry-side indicators (the
    configuration checks they come from one area-level survey), or None without a matrix."""
    return config.matrix.worry_survey if config.matrix is not None else None


def _crime_index(crime_counts, areas, config, months):
    """The crime side from the same computation as the published crime rates
    (:func:`dashboard.derived_crime.window_rates`): each area's count against the force's rate,
    which counts only the areas with a known population. An area without one has no index."""
    mis = [mi for mi in config.matrix.indicators if mi.side == "crime"]
    counts = derived_crime.area_counts(crime_counts, areas, months, {mi.id: (mi.crime_type,) for mi in mis})
    rates = derived_crime.window_rates(counts, areas, config, config.matrix.confidence)
    force_rate = rates[rates["level"] == "force"].set_index("measure")["rate"].reindex(counts.columns).to_numpy()
    pop = areas.set_index("area_code")["population"].astype(float).reindex(counts.index).to_numpy()
    c = counts.to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Half a crime added to every count keeps log ratios finite for areas with none.
        log_ratio = np.log((c + 0.5) / pop[:, None]) - np.log(np.maximum(force_rate / 1000, 1e-12))
    direction = np.array([mi.direction for mi in mis], float)
    variance = 1 / (c + 0.5)
    return mstats.composite_index(log_ratio * direction, variance, np.array([mi.weight for mi in mis]),
                                  config.matrix.confidence)


def _worry_index(respondents: pd.DataFrame, areas: pd.DataFrame, config: ForceConfig, periods: list[str]):
    """Worry index with a Taylor-linearised variance that respects the correlation between
    measures answered by the same respondents."""
    mis = [mi for mi in config.matrix.indicators if mi.side == "worry"]
    resp = respondents[respondents["period"].isin(periods) & respondents["area_code"].notna()]
    codes = areas["area_code"].to_numpy()
    idx = pd.Index(codes).get_indexer(resp["area_code"])
    keep = idx >= 0
    resp, idx = resp[keep], idx[keep]
    w = resp["weight"].to_numpy(float)
    n_areas = len(codes)
    weights = np.array([mi.weight for mi in mis])
    log_index = np.zeros(n_areas)
    u = np.zeros(len(resp))
    for mi, wt in zip(mis, weights / weights.sum()):
        valid, pos = score_indicator(resp, config.indicator(mi.indicator), config)
        s = np.bincount(idx, weights=w * valid, minlength=n_areas)
        sp = np.bincount(idx, weights=w * valid * pos, minlength=n_areas)
        force_p = sp.sum() / s.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            # Half a (mean-weighted) respondent keeps the log finite for an area where nobody said yes.
            p = np.maximum(sp, 0.5 * w.mean()) / s
            log_index += wt * mi.direction * (np.log(p) - np.log(force_p))
            u += wt * mi.direction * w * valid * (pos - p[idx]) / (p[idx] * s[idx])
    n = np.bincount(idx, minlength=n_areas).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = n / (n - 1) * np.bincount(idx, weights=u**2, minlength=n_areas)
    return mstats.index_from_log(log_index, np.sqrt(var), config.matrix.confidence), n


def worry_measures(results: pd.DataFrame, config: ForceConfig, period: str, window: list[str]) -> pd.DataFrame:
    """The worry-side measures per area pooled over the window: sums add across periods."""
    ids = [mi.indicator for mi in config.matrix.indicators if mi.side == "worry"]
    sel = results[results["indicator"].isin(ids) & results["period"].isin(window)
                  & (results["subgroup_dimension"] == "all") & results["level"].isin(["area", "force"])]
    sums = sel.groupby(["indicator", "level", "geography_code"], as_index=False)[
        ["n_unweighted", "sum_weights", "weighted_positives", "sum_weights_sq"]].sum()
    deff = sel.groupby("indicator")["design_effect"].first()
    n_eff = effective_base(sums["n_unweighted"], sums["sum_weights"], sums["sum_weights_sq"],
                           sums["indicator"].map(deff))
    e = weighted_proportion(sums["weighted_positives"], sums["sum_weights"], sums["n_unweighted"], n_eff,
                            config.policy.confidence)
    out = sums[["indicator", "level", "geography_code"]].assign(
        period=period, window=" + ".join(window), value=e.value, lower=e.lower, upper=e.upper,
        base=sums["n_unweighted"], effective_base=e.effective_base)
    out["shrunk_value"] = np.nan
    out["shrunk_lower"] = np.nan
    out["shrunk_upper"] = np.nan
    for _ind, grp in out[out["level"] == "area"].groupby("indicator"):
        if len(grp) >= config.policy.shrinkage_min_areas:
            s = shrink(grp["value"] / 100 * grp["effective_base"], grp["effective_base"], config.policy.confidence)
            out.loc[grp.index, ["shrunk_value", "shrunk_lower", "shrunk_upper"]] = np.c_[s.value, s.lower, s.upper]
    # A pooled measure is the sum of its periods: withheld whenever a period it sums is withheld
    # (or its own base is small), so no single period can be worked out by subtraction.
    hidden = window_suppression(out, results, results["hidden"], config.suppression_threshold)
    return suppress(out, config.suppression_threshold, config.small_base_flag, hidden=hidden.to_numpy(),
                    value_columns=("value", "lower", "upper", "effective_base", "shrunk_value", "shrunk_lower",
                                   "shrunk_upper"))


def build_matrix(crime_counts: pd.DataFrame | None, respondents: dict[str, pd.DataFrame], results: pd.DataFrame,
                 areas: pd.DataFrame, supplied: pd.DataFrame | None, config: ForceConfig) -> dict[str, pd.DataFrame]:
    periods = matrix_periods(crime_counts, config)
    local = respondents.get(worry_survey(config))
    if not periods or local is None or areas["population"].isna().all():
        return {}
    labels = list(config.period_labels)
    tables: dict[str, pd.DataFrame] = {}
    rows, worry_parts = [], []
    for period, months in periods:
        k = labels.index(period)
        window = labels[max(0, k - config.matrix.survey_window_periods + 1): k + 1]
        if not (local["period"] == period).any():
            continue
        c_idx, c_lo, c_hi, _, _ = _crime_index(crime_counts, areas, config, months)
        (w_idx, w_lo, w_hi, _, _), n_resp = _worry_index(local, areas, config, window)
        worry = worry_measures(results, config, period, window)
        worry_parts.append(worry)
        # The index combines the area's pooled measures: withheld (with its limits and base, from
        # which it could be rebuilt as sqrt(lower x upper)) wherever any of them is withheld.
        withheld = set(worry.loc[worry["suppressed"] & (worry["level"] == "area"), "geography_code"])
        hide = areas["area_code"].isin(withheld).to_numpy() | (n_resp < config.suppression_threshold)
        w_idx, w_lo, w_hi = (np.where(hide, np.nan, v) for v in (w_idx, w_lo, w_hi))
        if config.matrix.cut == "tertiles":
            c_cut = np.nanquantile(c_idx, [1 / 3, 2 / 3])
            w_cut = np.nanquantile(w_idx, [1 / 3, 2 / 3])
        else:
            c_cut = w_cut = (100.0, 100.0)
        crime_level = mstats.classify(c_lo, c_hi, *c_cut)
        worry_level = np.where(hide, "nd", mstats.classify(w_lo, w_hi, *w_cut))
        rows.append(pd.DataFrame({
            "area_code": areas["area_code"].to_numpy(), "division_code": areas["division_code"].to_numpy(),
            "period": period, "crime_window": f"{months[0]} to {months[-1]}", "survey_window": " + ".join(window),
            "crime_index": c_idx, "crime_lower": c_lo, "crime_upper": c_hi,
            "worry_index": w_idx, "worry_lower": w_lo, "worry_upper": w_hi,
            "worry_base": np.where(hide, np.nan, n_resp),
            "crime_cut_low": c_cut[0], "crime_cut_high": c_cut[1], "worry_cut_low": w_cut[0],
            "worry_cut_high": w_cut[1], "crime_level": crime_level, "worry_level": worry_level,
        }))
    if not rows:
        return tables
    m = pd.concat(rows, ignore_index=True)
    raw = [config.matrix.level_for(c, w) for c, w in zip(m["crime_level"], m["worry_level"])]
    m["computed_level"] = [lv.level for lv in raw]
    m = m.sort_values(["area_code", "period"], key=lambda s: s.map(labels.index) if s.name == "period" else s)
    m["resource_level"] = m.groupby("area_code")["computed_level"].transform(
        lambda s: mstats.hold_levels(list(s), config.matrix.hold_periods))
    m["held"] = m["resource_level"] != m["computed_level"]
    by_name = {lv.level: lv for lv in config.matrix.levels}
    m["rank"] = m["resource_level"].map(lambda n: by_name[n].rank)
    m["colour"] = m["resource_level"].map(lambda n: by_name[n].colour)
    m["engagement"] = m["resource_level"].map(lambda n: by_name[n].engagement)
    m["frequency"] = m["resource_level"].map(lambda n: by_name[n].frequency)
    if supplied is not None and not supplied.empty:
        s = supplied.rename(columns={"crime_level": "supplied_crime_level", "worry_level": "supplied_worry_level",
                                     "resource_level": "supplied_resource_level"})
        m = m.merge(s[["area_code", "period", "supplied_crime_level", "supplied_worry_level",
                       "supplied_resource_level"]], on=["area_code", "period"], how="left")
        has = m["supplied_crime_level"].notna()
        m["crime_agrees"] = (m["supplied_crime_level"].map(SUPPLIED_TO_BAND) == m["crime_level"]).where(has)
        m["worry_agrees"] = (m["supplied_worry_level"].map(SUPPLIED_TO_BAND) == m["worry_level"]).where(has)
        tables["matrix_agreement"] = (
            m[has].groupby("period").agg(areas=("area_code", "size"), crime_agree=("crime_agrees", "sum"),
                                         worry_agree=("worry_agrees", "sum"),
                                         both_agree=("crime_agrees",
                                                     lambda s: int((s & m.loc[s.index, "worry_agrees"]).sum())))
            .reset_index())
    tables["matrix"] = m.reset_index(drop=True)
    tables["worry_measures"] = pd.concat(worry_parts, ignore_index=True)
    return tables
