"""Statistics computed once at ingest and published with the snapshot, so views only read.

Joins the tidy survey results (and MSF values) with the pure functions of ``dashboard.stats``.
Every table passes through the disclosure function: an estimate on too small a base is
withheld here, before anything can show or export it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import periods
from .config import ForceConfig
from .data.aggregate import effective_base
from .stats import areas as area_stats
from .stats.benchmark import compare_to_msf, msf_average
from .stats.differences import newcombe_difference
from .stats.disclosure import cell_suppression, geography_parents, rolling_differences, suppress
from .stats.outcomes import Comparison, hmic_outcome, overall_outcome
from .stats.proportions import weighted_proportion
from .stats.shrinkage import shrink
from .stats.targets import target_verdict
from .stats.trend import trend_from_sums

KEY = ["indicator", "survey", "level", "geography_code", "period", "subgroup_dimension", "subgroup"]
# Published interval columns are named for their level: the policy's confidence (95%, checked
# when the configuration is read) and the 99.8% control level of funnel plots.
INTERVAL_LEVELS = {"95": 0.95, "998": 0.998}
ESTIMATE_METHOD = "wilson score interval on the effective base (n / total design effect, or Kish)"


def _prepared(results: pd.DataFrame) -> pd.DataFrame:
    """Proportion and effective base for every results row (the base was settled once, at
    aggregation: :func:`dashboard.data.aggregate.effective_base`)."""
    out = results[KEY + ["n_unweighted"]].copy()
    out["p"] = results["weighted_positives"] / results["sum_weights"]
    out["n_eff"] = results["effective_base"]
    out["hidden"] = _hidden(results)
    return out


def _hidden(results: pd.DataFrame) -> np.ndarray:
    """The disclosure decision for each results row, made once by :func:`with_disclosure`."""
    return results["hidden"].to_numpy(bool)


def with_disclosure(results: pd.DataFrame, areas: pd.DataFrame, config: ForceConfig,
                    singles: pd.DataFrame | None = None) -> pd.DataFrame:
    """``results`` with ``hidden``: the cells withheld from every published table, primary (base
    below the threshold) and secondary (so that no withheld cell can be worked out by
    subtracting published figures: :func:`dashboard.stats.disclosure.cell_suppression`).
    With rolling windows, ``singles`` (the single periods pooled into them) decides which
    windows two published windows would give away by difference
    (:func:`dashboard.stats.disclosure.rolling_differences`): those are primary too."""
    parent_of = geography_parents(areas, config.force_code)
    also = (rolling_differences(results, singles, config.period_labels, config.rolling_periods,
                                config.suppression_threshold)
            if singles is not None and config.rolling_periods > 1 else None)
    decision = cell_suppression(results, parent_of, config.suppression_threshold, also_primary=also)
    return results.assign(hidden=decision["hidden"].to_numpy())


def estimates(results: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Value with Wilson intervals (95% and 99.8%) on the effective base, suppressed where due."""
    out = results[KEY].copy()
    for tag, conf in INTERVAL_LEVELS.items():
        e = weighted_proportion(results["weighted_positives"], results["sum_weights"], results["n_unweighted"],
                                results["effective_base"], conf)
        out["value"] = e.value
        out[f"lower_{tag}"], out[f"upper_{tag}"] = e.lower, e.upper
    out["base"] = results["n_unweighted"].to_numpy()
    out["effective_base"] = results["effective_base"].to_numpy()
    out["confidence"] = config.policy.confidence
    out["method"] = ESTIMATE_METHOD
    return suppress(out, config.suppression_threshold, config.small_base_flag, hidden=_hidden(results),
                    value_columns=("value", "lower_95", "upper_95", "lower_998", "upper_998", "effective_base"))


def _flag_rows(out: pd.DataFrame, config: ForceConfig, family: list[str], difference: str = "difference") -> None:
    """Set ``flag``, ``flag_rule`` and ``adjusted_p`` on a table of differences, in place:
    force and division rows by their own test at the policy's confidence (few comparisons, as
    in HMIC's Appendix 2); area rows under the area rule within each ``family``."""
    policy = config.policy
    polarity = out["indicator"].map({i.id: i.polarity for i in config.indicators})
    out["confidence"] = policy.confidence
    out["flag"] = "suppressed"
    out["adjusted_p"] = np.nan
    out["flag_rule"] = policy.force_rule_name
    open_ = ~out["suppressed"]
    big = open_ & (out["level"] != "area")
    for pol, idx in out[big].groupby(polarity[big]).groups.items():
        sig = out.loc[idx, "p_value"].to_numpy(float) < 1 - policy.confidence
        out.loc[idx, "flag"] = area_stats.polarity_words(out.loc[idx, difference], sig, pol)
    areas = open_ & (out["level"] == "area")
    n_areas = int(out.loc[areas, "geography_code"].nunique()) if areas.any() else 0
    for _, idx in out[areas].groupby(family, observed=True, sort=False).groups.items():
        pol = polarity[idx[0]]
        flag, adjusted = area_stats.flag_family(out.loc[idx, "p_value"], out.loc[idx, difference], pol, policy)
        out.loc[idx, "flag"], out.loc[idx, "adjusted_p"] = flag, adjusted
    out.loc[areas, "flag_rule"] = policy.change_rule_name(n_areas)


def _direction(difference: pd.Series) -> np.ndarray:
    return np.select([difference > 0, difference < 0], ["up", "down"], "none")


def changes(results: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Each period against the previous period and against the baseline (Newcombe, at the
    policy's confidence), flagged under the significance policy.

    Newcombe's interval is for two *independent* proportions, so with rolling windows
    (``[periods] rolling`` = N) "previous" is the window ending N periods earlier
    (:func:`dashboard.periods.comparison_period`: 12 months to 2024 Q2 against 12 months to
    2023 Q2), and a period is compared with the baseline only when their windows share no
    period (:func:`dashboard.periods.overlaps`)."""
    prep = _prepared(results)
    if prep.empty:
        return pd.DataFrame()
    group = [k for k in KEY if k != "period"]
    previous = {p: periods.comparison_period(config, p) for p in config.period_labels}
    apart = {p: not periods.overlaps(config, p, config.baseline_period) for p in config.period_labels}
    parts = []
    for kind in ("previous", "baseline"):
        if kind == "previous":
            left = prep.assign(reference=prep["period"].map(previous))
        else:
            left = prep[prep["period"].map(apart).fillna(False).astype(bool)].assign(
                reference=config.baseline_period)
        ref = prep.rename(columns={"period": "reference"})
        m = left.merge(ref, on=group + ["reference"], suffixes=("", "_ref")).rename(
            columns={"reference": "period_ref"})
        if m.empty:
            continue
        d = newcombe_difference(m["p"], m["n_eff"], m["p_ref"], m["n_eff_ref"], config.policy.confidence)
        parts.append(pd.DataFrame({
            **{k: m[k].to_numpy() for k in KEY}, "compared_with": kind, "reference_period": m["period_ref"].to_numpy(),
            "difference": d.difference, "lower": d.lower, "upper": d.upper,
            "p_value": d.p_value, "base": np.minimum(m["n_unweighted"], m["n_unweighted_ref"]).to_numpy(),
            "method": d.method, "hidden": (m["hidden"] | m["hidden_ref"]).to_numpy(),
        }))
    out = _suppressed_differences(parts, config, ("difference", "lower", "upper", "p_value"))
    if not out.empty:
        out["direction"] = np.where(out["suppressed"], pd.NA, _direction(out["difference"]))
        _flag_rows(out, config, ["indicator", "period", "compared_with", "subgroup_dimension", "subgroup"])
    return out


def _suppressed_differences(parts: list[pd.DataFrame], config: ForceConfig, value_columns: tuple) -> pd.DataFrame:
    """Concatenate difference tables and withhold those resting on a base below the threshold."""
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    hidden = out.pop("hidden").to_numpy(bool)
    return suppress(out, config.suppression_threshold, config.small_base_flag, value_columns=value_columns,
                    hidden=hidden)


def gaps(results: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Gap indicators (SPI 3b): group 1 minus group 2 of another indicator (Newcombe), flagged
    "worse" where the gap differs from zero under the policy for its level."""
    prep = _prepared(results)
    parts = []
    for ind in config.indicators:
        if ind.kind != "gap":
            continue
        sel = prep[(prep["indicator"] == ind.of) & (prep["subgroup_dimension"] == ind.subgroup)]
        a = sel[sel["subgroup"] == ind.groups[0]]
        b = sel[sel["subgroup"] == ind.groups[1]]
        m = a.merge(b, on=["level", "geography_code", "period"], suffixes=("_1", "_2"))
        if m.empty:
            continue
        d = newcombe_difference(m["p_1"], m["n_eff_1"], m["p_2"], m["n_eff_2"], config.policy.confidence)
        parts.append(pd.DataFrame({
            "indicator": ind.id, "level": m["level"].to_numpy(), "geography_code": m["geography_code"].to_numpy(),
            "period": m["period"].to_numpy(), "group_1": ind.groups[0], "group_2": ind.groups[1],
            "value_1": 100 * m["p_1"].to_numpy(), "value_2": 100 * m["p_2"].to_numpy(),
            "base_1": m["n_unweighted_1"].to_numpy(), "base_2": m["n_unweighted_2"].to_numpy(),
            "gap": d.difference, "lower": d.lower, "upper": d.upper,
            "p_value": d.p_value, "base": np.minimum(m["n_unweighted_1"], m["n_unweighted_2"]).to_numpy(),
            "method": d.method, "hidden": (m["hidden_1"] | m["hidden_2"]).to_numpy(),
        }))
    out = _suppressed_differences(parts, config, ("value_1", "value_2", "gap", "lower", "upper", "p_value",
                                                  "base_1", "base_2"))
    if not out.empty:
        _flag_rows(out, config, ["indicator", "period"], difference="gap")
    return out


def msf_comparisons(results: pd.DataFrame, msf: pd.DataFrame | None, config: ForceConfig) -> pd.DataFrame:
    """Force against the MSF average for every indicator and period with peer values."""
    if msf is None or msf.empty:
        return pd.DataFrame()
    prep = _prepared(results)
    force = prep[(prep["level"] == "force") & (prep["subgroup_dimension"] == "all")]
    peers = msf[msf["force"].isin(config.msf_peers)]
    rows = []
    for (ind, period), grp in peers.groupby(["indicator", "period"]):
        f = force[(force["indicator"] == ind) & (force["period"] == period) & ~force["hidden"]]
        if f.empty:
            continue
        avg = msf_average(grp["value"] / 100, grp["base"])
        d = compare_to_msf(f["p"].iloc[0], f["n_eff"].iloc[0], avg, config.policy.confidence)
        polarity = config.indicator(ind).polarity
        flag = (area_stats.polarity_words(d.difference, d.significant, polarity)
                if polarity in ("higher", "lower") else np.array(["not tested"]))
        rows.append({"indicator": ind, "period": period, "force_value": 100 * f["p"].iloc[0],
                     "msf_average": 100 * avg.value, "msf_se": 100 * avg.standard_error, "peers": avg.peers,
                     "difference": float(d.difference), "lower": float(d.lower), "upper": float(d.upper),
                     "significant": bool(d.significant), "p_value": float(d.p_value), "confidence": d.confidence,
                     "flag": str(np.asarray(flag).item()), "base": int(f["n_unweighted"].iloc[0]),
                     "method": d.method})
    return pd.DataFrame(rows)


def outcomes(chg: pd.DataFrame, msf_cmp: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Indicative HMIC outcome per indicator for the latest period at force level, plus overall."""
    latest = config.period_labels[-1]
    rows, found = [], []
    for ind in config.indicators:
        if not ind.assessed or ind.kind == "gap" or ind.polarity not in ("higher", "lower"):
            continue
        c = chg[(chg["indicator"] == ind.id) & (chg["level"] == "force") & (chg["subgroup_dimension"] == "all")
                & (chg["period"] == latest) & ~chg["suppressed"]] if not chg.empty else chg
        if c.empty:
            continue
        earlier = [Comparison(r.reference_period, float(r.difference), r.flag in ("better", "worse"))
                   for r in c.sort_values("compared_with", ascending=False).itertuples()
                   if r.compared_with == "baseline" or r.reference_period != config.baseline_period]
        m = msf_cmp[(msf_cmp["indicator"] == ind.id) & (msf_cmp["period"] == latest)] if not msf_cmp.empty else msf_cmp
        vs_msf = Comparison("MSF", float(m["difference"].iloc[0]), bool(m["significant"].iloc[0])) if len(m) else None
        o = hmic_outcome(ind.polarity, vs_msf, earlier)
        found.append(o)
        rows.append({"indicator": ind.id, "period": latest, "verdict": o.verdict, "reasons": o.text})
    if found:
        o = overall_outcome(found)
        rows.append({"indicator": "overall", "period": latest, "verdict": o.verdict, "reasons": o.text})
    return pd.DataFrame(rows)


def targets(est: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Every target against the force and each division in the target's period."""
    rows = []
    for ind in config.indicators:
        if ind.target is None:
            continue
        sel = est[(est["indicator"] == ind.id) & (est["period"] == ind.target.period)
                  & (est["subgroup_dimension"] == "all") & est["level"].isin(["force", "division"])]
        for r in sel.itertuples():
            row = {"indicator": ind.id, "period": r.period, "level": r.level, "geography_code": r.geography_code,
                   "target": ind.target.value, "value": r.value, "lower_95": r.lower_95, "upper_95": r.upper_95,
                   "base": r.base, "suppressed": r.suppressed}
            if not r.suppressed:
                t = target_verdict(r.value / 100, r.effective_base, ind.target.value, ind.polarity,
                                   config.policy.confidence)
                row.update(verdict=t.verdict, probability_meets=t.probability_meets,
                           firm_verdict_base=t.firm_verdict_base, method=t.method)
            else:
                row.update(verdict="suppressed", probability_meets=np.nan, firm_verdict_base=None, method="")
            rows.append(row)
    return pd.DataFrame(rows)


def _rest_of_force(f_row: pd.Series, part: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(p, effective base) of the force without ``part``: its sums minus the part's, so the two
    samples are independent; the effective base by the pipeline's one rule."""
    rest_w = f_row["sum_weights"] - part["sum_weights"].to_numpy(float)
    rest_p = (f_row["weighted_positives"] - part["weighted_positives"].to_numpy(float)) / rest_w
    rest_n = effective_base(f_row["n_unweighted"] - part["n_unweighted"].to_numpy(float), rest_w,
                            f_row["sum_weights_sq"] - part["sum_weights_sq"].to_numpy(float), f_row["design_effect"])
    return rest_p, rest_n


def area_comparisons(results: pd.DataFrame, areas: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Every area against the force under the significance policy (``flag``, with the limits it
    used), the difference from the rest of the force beside it, and the shrunken estimate."""
    policy = config.policy
    prep = _prepared(results[results["subgroup_dimension"] == "all"])
    division_of = areas.set_index("area_code")["division_code"]
    n_areas = len(areas)
    force_rows = results[(results["level"] == "force") & (results["subgroup_dimension"] == "all")]
    force_rows = force_rows.set_index(["indicator", "period"])
    parts = []
    for (ind_id, period), sel in prep.groupby(["indicator", "period"]):
        ind = config.indicator(ind_id)
        if ind.polarity not in ("higher", "lower"):
            continue
        area = sel[sel["level"] == "area"].copy()
        force = sel[sel["level"] == "force"]
        if area.empty or force.empty:
            continue
        p0 = float(force["p"].iloc[0])
        if not 0 < p0 < 1 or force["hidden"].iloc[0]:
            continue
        # Withheld areas (primary or secondary) are not tested and not in the family.
        shown = ~area["hidden"].to_numpy(bool)
        rest_p, rest_n = _rest_of_force(force_rows.loc[(ind_id, period)], results.loc[area.index])
        vs_rest = newcombe_difference(area["p"], area["n_eff"], rest_p, rest_n, policy.confidence)
        flags = area_stats.flag_areas(np.where(shown, area["p"], np.nan), area["n_eff"], p0, ind.polarity, policy)
        area["division_code"] = area["geography_code"].map(division_of)
        div = sel[(sel["level"] == "division") & ~sel["hidden"]].set_index("geography_code")["p"]
        sh = _shrunk_by_division(area, policy)
        parts.append(pd.DataFrame({
            "indicator": ind_id, "period": period, "area_code": area["geography_code"].to_numpy(),
            "division_code": area["division_code"].to_numpy(), "value": 100 * area["p"].to_numpy(),
            "base": area["n_unweighted"].to_numpy(), "effective_base": area["n_eff"].to_numpy(),
            "force_value": 100 * p0, "z": flags.z, "p_value": flags.p_value,
            "flag": flags.flag, "flag_rule": policy.area_rule_name(n_areas), "flag_adjusted_p": flags.adjusted_p,
            "flag_z": flags.z_critical, "flag_tau2": flags.tau2, "phi": flags.phi,
            "flag_lower": 100 * flags.lower, "flag_upper": 100 * flags.upper,
            "vs_rest_difference": vs_rest.difference, "vs_rest_lower": vs_rest.lower, "vs_rest_upper": vs_rest.upper,
            "division_value": 100 * area["division_code"].map(div).to_numpy(float),
            "shrunk_value": sh["value"], "shrunk_lower": sh["lower"], "shrunk_upper": sh["upper"],
            "shrink_weight": sh["weight"], "shrink_note": sh["note"], "confidence": policy.confidence,
            "hidden": ~shown,
        }))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    hidden = out.pop("hidden").to_numpy(bool)
    out = suppress(out, config.suppression_threshold, config.small_base_flag["area"], hidden=hidden,
                   value_columns=("value", "effective_base", "z", "p_value", "flag_adjusted_p", "flag_lower",
                                  "flag_upper", "vs_rest_difference", "vs_rest_lower", "vs_rest_upper",
                                  "shrunk_value", "shrunk_lower", "shrunk_upper", "shrink_weight"))
    out.loc[out["suppressed"], "flag"] = "suppressed"
    out.loc[out["suppressed"], "shrink_note"] = None  # a withheld row says nothing more
    return out


def division_comparisons(results: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Each division against the rest of the force (Newcombe, at the policy's confidence: five
    or so comparisons, as HMIC tested divisions), for the tartan rug."""
    confidence = config.policy.confidence
    sel_all = results[(results["subgroup_dimension"] == "all") & results["level"].isin(["force", "division"])]
    prep = _prepared(sel_all)
    parts = []
    for (ind_id, period), sel in prep.groupby(["indicator", "period"]):
        ind = config.indicator(ind_id)
        force, div = sel[sel["level"] == "force"], sel[sel["level"] == "division"]
        if ind.polarity not in ("higher", "lower") or force.empty or div.empty or force["hidden"].iloc[0]:
            continue
        rest_p, rest_n = _rest_of_force(results.loc[force.index[0]], results.loc[div.index])
        ok = rest_n > 0
        d = newcombe_difference(div["p"], div["n_eff"], np.where(ok, rest_p, 0.5), np.where(ok, rest_n, 1.0),
                                confidence)
        flag = area_stats.polarity_words(d.difference, d.significant, ind.polarity)
        flag[~ok] = "not tested"  # a division that is the whole force has no rest to compare with
        parts.append(pd.DataFrame({
            "indicator": ind_id, "period": period, "division_code": div["geography_code"].to_numpy(),
            "value": 100 * div["p"].to_numpy(), "base": div["n_unweighted"].to_numpy(),
            "effective_base": div["n_eff"].to_numpy(), "rest_value": 100 * np.where(ok, rest_p, np.nan),
            "difference": d.difference, "lower": d.lower, "upper": d.upper, "p_value": d.p_value,
            "confidence": confidence, "flag": flag, "flag_rule": config.policy.force_rule_name + " (vs rest of force)",
            "method": d.method, "hidden": div["hidden"].to_numpy()}))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    hidden = out.pop("hidden").to_numpy(bool)
    out = suppress(out, config.suppression_threshold, config.small_base_flag["division"], hidden=hidden,
                   value_columns=("value", "effective_base", "rest_value", "difference", "lower", "upper",
                                  "p_value"))
    out.loc[out["suppressed"], "flag"] = "suppressed"
    return out


def _shrunk_by_division(area: pd.DataFrame, policy) -> dict[str, np.ndarray]:
    """Shrunken estimates within each division, and ``note``: why an area has none (None where
    it has one). A division with fewer than ``shrinkage_min_areas`` areas (or fewer with a
    published estimate) has too little to estimate the spread between its areas from, so its
    areas get no shrunken estimate: the value is absent (NaN) and the note says why, so that no
    page or export shows it as a number."""
    out = {k: np.full(len(area), np.nan) for k in ("value", "lower", "upper", "weight")}
    out["note"] = np.full(len(area), None, dtype=object)
    least = policy.shrinkage_min_areas
    for div in area["division_code"].dropna().unique():
        mask = (area["division_code"] == div).to_numpy()
        if mask.sum() < least:
            out["note"][mask] = f"not computed: fewer than {least} areas in the division"
            continue
        # Withheld areas stay out of the fit: the prior (readable from the visible areas'
        # shrunken values) must not carry their counts.
        x = np.where(area["hidden"], np.nan, area["p"] * area["n_eff"])[mask]
        if np.isfinite(x).sum() < least:
            out["note"][mask] = f"not computed: fewer than {least} areas in the division have a published estimate"
            continue
        s = shrink(x, area["n_eff"].to_numpy()[mask], policy.confidence)
        out["value"][mask], out["lower"][mask], out["upper"][mask] = s.value, s.lower, s.upper
        out["weight"][mask] = s.weight_on_area
    return out


def trends(results: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Recent-trend test over the last ``trend_periods`` periods (at least ``trend_min_periods``),
    force / division / area, all respondents, at the policy's ``trend_confidence``; with
    rolling windows of N periods, over every N-th period ending at the latest (windows that do
    not overlap)."""
    policy = config.policy
    points = policy.trend_periods
    prep = _prepared(results[results["subgroup_dimension"] == "all"])
    order = {p: i for i, p in enumerate(config.period_labels)}
    prep["order"] = prep["period"].map(order)
    prep = prep.sort_values("order")
    keys = ["indicator", "level", "geography_code"]
    # Rolling windows: every N-th period ending at the latest, so that no two points share a
    # period and the test's independent binomial points hold (dashboard.periods.trend_labels).
    latest = prep.groupby(keys, sort=False)["order"].transform("max")
    prep = prep[(latest - prep["order"]) % config.rolling_periods == 0]
    recent = prep.groupby(keys, sort=False).tail(points).copy()
    recent["t"] = recent["order"] + 1.0
    recent["x"] = recent["p"] * recent["n_eff"]
    recent["xt"], recent["nt"], recent["nt2"] = recent["x"] * recent["t"], recent["n_eff"] * recent["t"], \
        recent["n_eff"] * recent["t"] ** 2
    g = recent.groupby(keys).agg(periods=("t", "size"), min_base=("n_unweighted", "min"), any_hidden=("hidden", "any"),
                                 first_period=("period", "first"), last_period=("period", "last"),
                                 x=("x", "sum"), n=("n_eff", "sum"), xt=("xt", "sum"), nt=("nt", "sum"),
                                 nt2=("nt2", "sum")).reset_index()
    g = g[(g["periods"] >= policy.trend_min_periods) & (g["min_base"] >= config.suppression_threshold)
          & ~g["any_hidden"]]
    stat, p, direction = trend_from_sums(g["x"], g["n"], g["xt"], g["nt"], g["nt2"], policy.trend_confidence)
    return pd.DataFrame({**{k: g[k].to_numpy() for k in keys}, "first_period": g["first_period"].to_numpy(),
                         "last_period": g["last_period"].to_numpy(), "periods": g["periods"].to_numpy(),
                         "statistic": stat, "p_value": p, "direction": direction, "confidence": policy.trend_confidence,
                         "method": "chi-squared test for trend (Armitage)"})


def build(results: pd.DataFrame, msf: pd.DataFrame | None, areas: pd.DataFrame,
          config: ForceConfig) -> dict[str, pd.DataFrame]:
    if "hidden" not in results.columns:
        results = with_disclosure(results, areas, config)
    est = estimates(results, config)
    chg = changes(results, config)
    msf_cmp = msf_comparisons(results, msf, config)
    tables = {
        "estimates": est, "changes": chg, "gaps": gaps(results, config), "msf_comparisons": msf_cmp,
        "outcomes": outcomes(chg, msf_cmp, config), "targets": targets(est, config),
        "area_comparisons": area_comparisons(results, areas, config), "trends": trends(results, config),
        "division_comparisons": division_comparisons(results, config),
        "significance_policy": pd.DataFrame([config.policy.record(len(areas))]),
    }
    return {k: v for k, v in tables.items() if not v.empty}
