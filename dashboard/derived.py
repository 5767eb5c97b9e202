"""Statistics computed once at ingest and published with the snapshot, so views only read.

Joins the tidy survey results (and MSF values) with the pure functions of ``dashboard.stats``.
Every table passes through the disclosure function: an estimate on too small a base is
withheld here, before anything can show or export it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import ForceConfig
from .stats import areas as area_stats
from .stats.benchmark import compare_to_msf, msf_average
from .stats.differences import newcombe_difference
from .stats.disclosure import suppress
from .stats.outcomes import Comparison, hmic_outcome, overall_outcome
from .stats.proportions import weighted_proportion
from .stats.shrinkage import shrink
from .stats.targets import target_verdict
from .stats.trend import trend_from_sums

KEY = ["indicator", "survey", "level", "geography_code", "period", "subgroup_dimension", "subgroup"]
LEVELS_95_998 = (0.95, 0.998)


def _prepared(results: pd.DataFrame) -> pd.DataFrame:
    """Proportion and effective base (after the survey's design effect) for every results row."""
    out = results[KEY + ["n_unweighted"]].copy()
    out["p"] = results["weighted_positives"] / results["sum_weights"]
    out["n_eff"] = results["effective_base"] / results["design_effect"]
    return out


def estimates(results: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Value with 95% and 99.8% Wilson intervals on the effective base, suppressed where due."""
    out = results[KEY].copy()
    for conf in LEVELS_95_998:
        e = weighted_proportion(results["weighted_positives"], results["sum_weights"], results["n_unweighted"],
                                results["effective_base"], results["design_effect"], conf)
        tag = _tag(conf)
        out["value"] = e.value
        out[f"lower_{tag}"], out[f"upper_{tag}"] = e.lower, e.upper
    out["base"] = results["n_unweighted"].to_numpy()
    out["effective_base"] = (results["effective_base"] / results["design_effect"]).to_numpy()
    out["method"] = "wilson score on Kish effective base / design effect"
    return suppress(out, config.suppression_threshold, config.small_base_flag,
                    value_columns=("value", "lower_95", "upper_95", "lower_998", "upper_998"))


def _tag(conf: float) -> str:
    return {0.95: "95", 0.998: "998"}[conf]


def changes(results: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Each period against the previous period and against the baseline (Newcombe, 95%)."""
    prep = _prepared(results)
    order = {p: i for i, p in enumerate(config.period_labels)}
    prep["order"] = prep["period"].map(order)
    group = [k for k in KEY if k != "period"]
    parts = []
    for kind in ("previous", "baseline"):
        ref = prep.copy()
        if kind == "previous":
            ref["order"] = ref["order"] + 1
        else:
            ref = ref[ref["period"] == config.baseline_period].drop(columns="order")
        on = group + (["order"] if kind == "previous" else [])
        m = prep.merge(ref, on=on, suffixes=("", "_ref"))
        if kind == "baseline":
            m = m[m["period"] != config.baseline_period]
        if m.empty:
            continue
        d = newcombe_difference(m["p"], m["n_eff"], m["p_ref"], m["n_eff_ref"], 0.95)
        parts.append(pd.DataFrame({
            **{k: m[k].to_numpy() for k in KEY}, "compared_with": kind, "reference_period": m["period_ref"].to_numpy(),
            "difference": d.difference, "lower": d.lower, "upper": d.upper, "significant": d.significant,
            "p_value": d.p_value, "base": np.minimum(m["n_unweighted"], m["n_unweighted_ref"]).to_numpy(),
            "method": d.method,
        }))
    return _suppressed_differences(parts, config, ("difference", "lower", "upper", "p_value"))


def _suppressed_differences(parts: list[pd.DataFrame], config: ForceConfig, value_columns: tuple) -> pd.DataFrame:
    """Concatenate difference tables and withhold those resting on a base below the threshold."""
    if not parts:
        return pd.DataFrame()
    out = suppress(pd.concat(parts, ignore_index=True), config.suppression_threshold, config.small_base_flag,
                   value_columns=value_columns)
    out.loc[out["suppressed"], "significant"] = False
    return out


def gaps(results: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Gap indicators (SPI 3b): group 1 minus group 2 of another indicator, Newcombe 95%."""
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
        d = newcombe_difference(m["p_1"], m["n_eff_1"], m["p_2"], m["n_eff_2"], 0.95)
        parts.append(pd.DataFrame({
            "indicator": ind.id, "level": m["level"].to_numpy(), "geography_code": m["geography_code"].to_numpy(),
            "period": m["period"].to_numpy(), "group_1": ind.groups[0], "group_2": ind.groups[1],
            "value_1": 100 * m["p_1"].to_numpy(), "value_2": 100 * m["p_2"].to_numpy(),
            "base_1": m["n_unweighted_1"].to_numpy(), "base_2": m["n_unweighted_2"].to_numpy(),
            "gap": d.difference, "lower": d.lower, "upper": d.upper, "significant": d.significant,
            "p_value": d.p_value, "base": np.minimum(m["n_unweighted_1"], m["n_unweighted_2"]).to_numpy(),
            "method": d.method,
        }))
    return _suppressed_differences(parts, config, ("value_1", "value_2", "gap", "lower", "upper", "p_value"))


def msf_comparisons(results: pd.DataFrame, msf: pd.DataFrame | None, config: ForceConfig) -> pd.DataFrame:
    """Force against the MSF average for every indicator and period with peer values."""
    if msf is None or msf.empty:
        return pd.DataFrame()
    prep = _prepared(results)
    force = prep[(prep["level"] == "force") & (prep["subgroup_dimension"] == "all")]
    peers = msf[msf["force"].isin(config.msf_peers)]
    rows = []
    for (ind, period), grp in peers.groupby(["indicator", "period"]):
        f = force[(force["indicator"] == ind) & (force["period"] == period)]
        if f.empty:
            continue
        avg = msf_average(grp["value"] / 100, grp["base"])
        d = compare_to_msf(f["p"].iloc[0], f["n_eff"].iloc[0], avg)
        rows.append({"indicator": ind, "period": period, "force_value": 100 * f["p"].iloc[0],
                     "msf_average": 100 * avg.value, "msf_se": 100 * avg.standard_error, "peers": avg.peers,
                     "difference": float(d.difference), "lower": float(d.lower), "upper": float(d.upper),
                     "significant": bool(d.significant), "p_value": float(d.p_value),
                     "base": int(f["n_unweighted"].iloc[0]), "method": d.method})
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
        earlier = [Comparison(r.reference_period, float(r.difference), bool(r.significant))
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
                t = target_verdict(r.value / 100, r.effective_base, ind.target.value, ind.polarity)
                row.update(verdict=t.verdict, probability_meets=t.probability_meets,
                           firm_verdict_base=t.firm_verdict_base, method=t.method)
            else:
                row.update(verdict="suppressed", probability_meets=np.nan, firm_verdict_base=None, method="")
            rows.append(row)
    return pd.DataFrame(rows)


def area_comparisons(results: pd.DataFrame, areas: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Every area against the force, the force without it, and its division; funnel limits
    (plain and overdispersed) and Benjamini-Hochberg verdicts across areas × indicators."""
    prep = _prepared(results[results["subgroup_dimension"] == "all"])
    division_of = areas.set_index("area_code")["division_code"]
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
        if not 0 < p0 < 1:
            continue
        f_row = force_rows.loc[(ind_id, period)]
        a_rows = results.loc[area.index]
        # The rest of the force: its sums minus the area's, so the two samples are independent.
        rest_w = f_row["sum_weights"] - a_rows["sum_weights"]
        rest_p = (f_row["weighted_positives"] - a_rows["weighted_positives"]) / rest_w
        rest_n = rest_w**2 / (f_row["sum_weights_sq"] - a_rows["sum_weights_sq"]) / f_row["design_effect"]
        vs_rest = newcombe_difference(area["p"], area["n_eff"], rest_p, rest_n, 0.95)
        vs_force = area_stats.compare_to_benchmark(area["p"], area["n_eff"], p0, ind.polarity)
        od = area_stats.overdispersion(area["p"], area["n_eff"], p0)
        vs_force_od = area_stats.compare_to_benchmark(area["p"], area["n_eff"], p0, ind.polarity, od.tau2)
        area["division_code"] = area["geography_code"].map(division_of)
        div = sel[sel["level"] == "division"].set_index("geography_code")["p"]
        div_p = area["division_code"].map(div).to_numpy(float)
        vs_div = area_stats.compare_to_benchmark(area["p"], area["n_eff"], np.clip(div_p, 1e-9, 1 - 1e-9),
                                                 ind.polarity)
        lim95 = area_stats.funnel_limits(p0, area["n_eff"], 0.95)
        lim998 = area_stats.funnel_limits(p0, area["n_eff"], 0.998)
        od998 = area_stats.funnel_limits_overdispersed(p0, area["n_eff"], od.tau2, 0.998)
        sh = _shrunk_by_division(area)
        parts.append(pd.DataFrame({
            "indicator": ind_id, "period": period, "area_code": area["geography_code"].to_numpy(),
            "division_code": area["division_code"].to_numpy(), "value": 100 * area["p"].to_numpy(),
            "base": area["n_unweighted"].to_numpy(), "effective_base": area["n_eff"].to_numpy(),
            "force_value": 100 * p0,
            "vs_force_95": vs_force.verdict_95, "vs_force_998": vs_force.verdict_998, "z": vs_force.z,
            "p_value": vs_force.p_value,
            "vs_force_od_998": vs_force_od.verdict_998, "tau2": od.tau2, "phi": od.phi,
            "vs_rest_difference": vs_rest.difference, "vs_rest_lower": vs_rest.lower,
            "vs_rest_upper": vs_rest.upper, "vs_rest_significant": vs_rest.significant,
            "division_value": 100 * div_p, "vs_division_95": vs_div.verdict_95,
            "vs_division_998": vs_div.verdict_998,
            "funnel_lower_95": 100 * lim95[0], "funnel_upper_95": 100 * lim95[1],
            "funnel_lower_998": 100 * lim998[0], "funnel_upper_998": 100 * lim998[1],
            "funnel_od_lower_998": 100 * od998[0], "funnel_od_upper_998": 100 * od998[1],
            "shrunk_value": sh["value"], "shrunk_lower": sh["lower"], "shrunk_upper": sh["upper"],
            "shrink_weight": sh["weight"],
        }))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    out = suppress(out, config.suppression_threshold, config.small_base_flag,
                   value_columns=("value", "z", "p_value", "vs_rest_difference", "vs_rest_lower", "vs_rest_upper",
                                  "shrunk_value", "shrunk_lower", "shrunk_upper"))
    for col in ("vs_force_95", "vs_force_998", "vs_force_od_998", "vs_division_95", "vs_division_998"):
        out.loc[out["suppressed"], col] = "suppressed"
    out.loc[out["suppressed"], "vs_rest_significant"] = False
    # False-discovery control across every area × indicator of a period (views may re-apply
    # it to just the comparisons on screen with dashboard.stats.areas.benjamini_hochberg).
    out["bh_significant"] = False
    for period, idx in out[~out["suppressed"]].groupby("period").groups.items():
        reject, adjusted = area_stats.benjamini_hochberg(out.loc[idx, "p_value"], 0.05)
        out.loc[idx, "bh_significant"] = reject
        out.loc[idx, "bh_adjusted_p"] = adjusted
    return out


def division_comparisons(results: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Each division against the force (fixed benchmark), 95% and 99.8%, for the tartan rug."""
    prep = _prepared(results[(results["subgroup_dimension"] == "all") & results["level"].isin(["force", "division"])])
    parts = []
    for (ind_id, period), sel in prep.groupby(["indicator", "period"]):
        ind = config.indicator(ind_id)
        force, div = sel[sel["level"] == "force"], sel[sel["level"] == "division"]
        if ind.polarity not in ("higher", "lower") or force.empty or div.empty:
            continue
        p0 = float(force["p"].iloc[0])
        if not 0 < p0 < 1:
            continue
        v = area_stats.compare_to_benchmark(div["p"], div["n_eff"], p0, ind.polarity)
        parts.append(pd.DataFrame({"indicator": ind_id, "period": period,
                                   "division_code": div["geography_code"].to_numpy(),
                                   "base": div["n_unweighted"].to_numpy(), "vs_force_95": v.verdict_95,
                                   "vs_force_998": v.verdict_998, "p_value": v.p_value}))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    small = out["base"] < config.suppression_threshold
    out.loc[small, ["vs_force_95", "vs_force_998"]] = "suppressed"
    return out


def _shrunk_by_division(area: pd.DataFrame) -> dict[str, np.ndarray]:
    out = {k: np.full(len(area), np.nan) for k in ("value", "lower", "upper", "weight")}
    for div in area["division_code"].dropna().unique():
        mask = (area["division_code"] == div).to_numpy()
        if mask.sum() < 3:
            continue
        x = (area["p"] * area["n_eff"]).to_numpy()[mask]
        s = shrink(x, area["n_eff"].to_numpy()[mask])
        out["value"][mask], out["lower"][mask], out["upper"][mask] = s.value, s.lower, s.upper
        out["weight"][mask] = s.weight_on_area
    return out


def trends(results: pd.DataFrame, config: ForceConfig, points: int = 5) -> pd.DataFrame:
    """Recent-trend test over the last (up to) five periods, force / division / area, all respondents."""
    prep = _prepared(results[results["subgroup_dimension"] == "all"])
    order = {p: i for i, p in enumerate(config.period_labels)}
    prep["order"] = prep["period"].map(order)
    prep = prep.sort_values("order")
    keys = ["indicator", "level", "geography_code"]
    recent = prep.groupby(keys, sort=False).tail(points).copy()
    recent["t"] = recent["order"] + 1.0
    recent["x"] = recent["p"] * recent["n_eff"]
    recent["xt"], recent["nt"], recent["nt2"] = recent["x"] * recent["t"], recent["n_eff"] * recent["t"], \
        recent["n_eff"] * recent["t"] ** 2
    g = recent.groupby(keys).agg(periods=("t", "size"), min_base=("n_unweighted", "min"),
                                 first_period=("period", "first"), last_period=("period", "last"),
                                 x=("x", "sum"), n=("n_eff", "sum"), xt=("xt", "sum"), nt=("nt", "sum"),
                                 nt2=("nt2", "sum")).reset_index()
    g = g[(g["periods"] >= 3) & (g["min_base"] >= config.suppression_threshold)]
    stat, p, direction = trend_from_sums(g["x"], g["n"], g["xt"], g["nt"], g["nt2"], 0.998)
    return pd.DataFrame({**{k: g[k].to_numpy() for k in keys}, "first_period": g["first_period"].to_numpy(),
                         "last_period": g["last_period"].to_numpy(), "periods": g["periods"].to_numpy(),
                         "statistic": stat, "p_value": p, "direction": direction, "confidence": 0.998,
                         "method": "chi-squared test for trend (Armitage)"})


def build(results: pd.DataFrame, msf: pd.DataFrame | None, areas: pd.DataFrame,
          config: ForceConfig) -> dict[str, pd.DataFrame]:
    est = estimates(results, config)
    chg = changes(results, config)
    msf_cmp = msf_comparisons(results, msf, config)
    tables = {
        "estimates": est, "changes": chg, "gaps": gaps(results, config), "msf_comparisons": msf_cmp,
        "outcomes": outcomes(chg, msf_cmp, config), "targets": targets(est, config),
        "area_comparisons": area_comparisons(results, areas, config), "trends": trends(results, config),
        "division_comparisons": division_comparisons(results, config),
    }
    return {k: v for k, v in tables.items() if not v.empty}
