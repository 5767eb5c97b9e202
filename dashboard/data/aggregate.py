"""Respondent rows -> the tidy survey results table (sums only; the statistics come later).

One row per indicator × level (area, division, force) × geography × period × subgroup, holding
the sufficient statistics every estimate needs: unweighted base and positives, sum of weights,
weighted positives, sum of squared weights, and Kish's effective base (Σw)² / Σw². Respondents
whose answer is a "missing" code (don't know, refused) are left out of every base.

Aggregated tables come in the same shape (:func:`aggregated_results`), their area rows summed
to division and force where those are not supplied (:func:`roll_up`); with rolling windows
each published period pools its window's periods (:func:`rolling_results`). Both pool
independent samples by one rule (:func:`pooled`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import periods
from ..config import ForceConfig, Indicator
from .tables import ROW

RESULT_COLUMNS = ["indicator", "survey", "level", "geography_code", "period", "subgroup_dimension", "subgroup",
                  "n_unweighted", "positives_unweighted", "sum_weights", "weighted_positives", "sum_weights_sq",
                  "effective_base", "design_effect", "source"]


def effective_base(n, sum_weights, sum_weights_sq, design_effect):
    """The base every interval and test uses, by one rule.

    Where the survey's configuration gives a design effect, it is the *total* design effect as
    survey producers publish it (clustering, stratification and the loss from weighting
    together), so the effective base is n / deff and the weights' own loss is not counted a
    second time. Where none is configured (NaN), Kish's effective base (Σw)² / Σw², which for
    an unweighted survey is n.

    References
    ----------
    .. [1] Kish, L. (1965). Survey Sampling. Wiley, §8.2 (design effect), §11.7 (weighting).
    .. [2] Office for National Statistics, Crime Survey for England and Wales technical report:
       published design effects include the effect of weighting.
    """
    n, sw, sw2 = (np.asarray(a, float) for a in (n, sum_weights, sum_weights_sq))
    deff = np.asarray(design_effect, float)
    return np.where(np.isnan(deff), sw**2 / sw2, n / deff)


def _configured_deff(surveys: pd.Series, config: ForceConfig) -> pd.Series:
    deffs = {k: (np.nan if s.design_effect is None else s.design_effect) for k, s in config.surveys.items()}
    return surveys.map(deffs).astype(float)


def score_indicator(df: pd.DataFrame, ind: Indicator, config: ForceConfig) -> tuple[np.ndarray, np.ndarray]:
    """(valid, positive) boolean arrays for one indicator over respondent rows."""
    if ind.kind == "proportion":
        answers = df[ind.question]
        missing = set(config.missing_codes(ind.question))
        valid = answers.notna() & ~answers.isin(missing)
        positive = valid & answers.isin(ind.positive)
        return valid.to_numpy(bool), positive.to_numpy(bool)
    if ind.kind == "strand_score":
        strands = df[list(ind.strands)]
        scores = strands.apply(lambda s: s.map(ind.strand_scores))
        valid = scores.notna().all(axis=1)
        positive = valid & (scores.sum(axis=1) >= ind.high_threshold)
        return valid.to_numpy(bool), positive.to_numpy(bool)
    raise ValueError(f"indicator {ind.id} of kind {ind.kind!r} is derived, not scored from answers")


def survey_results(respondents: dict[str, pd.DataFrame], areas: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Sufficient statistics for every scored indicator at every level, period and subgroup.

    All indicators are stacked into one long frame of valid answers first, so each level ×
    subgroup dimension is a single groupby however many indicators there are.
    """
    division_of = areas.set_index("area_code")["division_code"]
    stacked = []
    for ind in config.indicators:
        if ind.kind == "gap" or ind.survey not in respondents:
            continue
        df = respondents[ind.survey]
        valid, positive = score_indicator(df, ind, config)
        level = config.surveys[ind.survey].level
        w = df["weight"].to_numpy(float)[valid]
        part = pd.DataFrame({
            "indicator": ind.id, "survey": ind.survey, "period": df["period"].to_numpy()[valid],
            "force": config.force_code,
            "division": df["area_code"].map(division_of).to_numpy()[valid] if level != "force" else None,
            "area": df["area_code"].to_numpy()[valid] if level == "area" else None,
            "n": 1, "pos": positive[valid].astype(np.int64), "w": w, "wpos": w * positive[valid], "w2": w**2,
        })
        for dim in ("age_band", "sex", "ethnicity", "crime_type"):
            part[dim] = df[dim].to_numpy()[valid] if dim in df.columns else None
        stacked.append(part)
    if not stacked:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in RESULT_COLUMNS})
    long = pd.concat(stacked, ignore_index=True)
    sums = {"n": "n_unweighted", "pos": "positives_unweighted", "w": "sum_weights", "wpos": "weighted_positives",
            "w2": "sum_weights_sq"}
    parts = []
    for level in ("force", "division", "area"):
        for dim in ("all", "age_band", "sex", "ethnicity", "crime_type"):
            if level == "area" and dim != "all" and not config.area_subgroups:
                continue
            keys = ["indicator", "survey", level, "period"] + ([] if dim == "all" else [dim])
            g = long.dropna(subset=keys).groupby(keys, observed=True, sort=False)[list(sums)].sum().reset_index()
            g = g.rename(columns={level: "geography_code", **sums})
            g["level"] = level
            g["subgroup_dimension"] = dim
            g["subgroup"] = "all" if dim == "all" else g.pop(dim)
            parts.append(g)
    out = pd.concat(parts, ignore_index=True)
    out["design_effect"] = _configured_deff(out["survey"], config)
    out["effective_base"] = effective_base(out["n_unweighted"], out["sum_weights"], out["sum_weights_sq"],
                                           out["design_effect"])
    out["source"] = "respondent"
    out["n_unweighted"] = out["n_unweighted"].astype("int64")
    out["positives_unweighted"] = out["positives_unweighted"].astype("int64")
    order = {ind.id: i for i, ind in enumerate(config.indicators)}
    out = out.sort_values(["indicator", "level", "subgroup_dimension", "geography_code", "period", "subgroup"],
                          key=lambda s: s.map(order) if s.name == "indicator" else s, kind="stable")
    return out[RESULT_COLUMNS].reset_index(drop=True)


def aggregated_results(agg: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Aggregated tables in the same shape: with no weights known, Σw = base and Σw² = base²/n_eff.

    A supplied effective base is the producer's own and is used as it is (the design effect is
    not applied to it again); where it is blank, the configured total design effect (n / deff)
    or, with none, the base itself."""
    if agg is None or agg.empty:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    survey_of = {i.id: i.survey for i in config.indicators}
    base = agg["base"].astype(float)
    deff = _configured_deff(agg["indicator"].map(survey_of), config)
    n_eff = agg["effective_base"].astype(float).fillna(base / deff.fillna(1.0))
    positives = agg["positives"].fillna(agg["estimate"] / 100 * base)
    out = pd.DataFrame({
        "indicator": agg["indicator"], "survey": agg["indicator"].map(survey_of),
        "level": agg["geography_level"], "geography_code": agg["geography_code"], "period": agg["period"],
        "subgroup_dimension": agg["subgroup_dimension"], "subgroup": agg["subgroup"],
        "n_unweighted": agg["base"].astype("int64"), "positives_unweighted": positives.round().astype("int64"),
        "sum_weights": base, "weighted_positives": positives, "sum_weights_sq": base ** 2 / n_eff,
        "effective_base": n_eff,
    })
    # Recorded as the total design effect the effective base implies (n / n_eff).
    out["design_effect"] = base / n_eff
    out["source"] = "aggregated"
    return out[RESULT_COLUMNS]


ADDITIVE = ["n_unweighted", "positives_unweighted", "sum_weights", "weighted_positives", "sum_weights_sq"]
GROUP = ["indicator", "survey", "level", "geography_code", "period", "subgroup_dimension", "subgroup"]


def pooled(parts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Results rows of independent samples pooled within ``keys``: one row per group.

    The five sums (``ADDITIVE``: unweighted base and positives, Σw, Σw·positive, Σw²) are sums
    over respondents, so they add. The effective base does not: the pooled estimate is
    p = Σ_i s_i p_i / Σ_i s_i with s_i the parts' weight sums, and for independent parts its
    variance is Σ_i s_i² V_i / (Σ_i s_i)² with V_i = p(1 - p) / n_eff,i, so

        n_eff = (Σ_i s_i)² / Σ_i (s_i² / n_eff,i),

    the effective base of a stratified estimator (Kish 1965, §11.7; Cochran 1977, §5.3). With
    Kish's part bases n_eff,i = s_i² / Σw²_i it is Kish's base of the pooled weights; with one
    configured total design effect it is Σ n_i / deff; for aggregated parts (s_i = base) it is
    (Σ base_i)² / Σ (base_i² / n_eff,i), which is Σ n_eff,i when every part has the same design
    effect. ``design_effect`` stays NaN where every part's is (Kish's rule applies again to the
    pooled sums) and is n / n_eff otherwise. ``source`` joins the parts' sources.

    References
    ----------
    .. [1] Kish, L. (1965). Survey Sampling. Wiley, §11.7.
    .. [2] Cochran, W. G. (1977). Sampling Techniques, 3rd ed. Wiley, §5.3 (variance of the
       stratified mean from independent strata).
    """
    work = parts.assign(_inv=parts["sum_weights"] ** 2 / parts["effective_base"],
                        _deff_known=parts["design_effect"].notna())
    g = work.groupby(keys, sort=False, dropna=False)
    out = g[ADDITIVE + ["_inv"]].sum()
    out["effective_base"] = out["sum_weights"] ** 2 / out.pop("_inv")
    known = g["_deff_known"].any()
    out["design_effect"] = np.where(known, out["n_unweighted"] / out["effective_base"], np.nan)
    out["source"] = g["source"].agg(lambda s: "+".join(sorted(set(s))))
    out = out.reset_index()
    for col in ("n_unweighted", "positives_unweighted"):
        out[col] = out[col].astype("int64")
    return out


def rolling_results(results: pd.DataFrame, config: ForceConfig) -> pd.DataFrame:
    """Each published period's result pooled over its rolling window (``dashboard.periods``).

    With ``[periods] rolling = N`` > 1 the result for period P is :func:`pooled` over the N
    consecutive periods ending at P: quarters' samples are independent, so their sums add and
    their effective bases combine as :func:`pooled` says. A window is pooled for an indicator
    only if that indicator has results in every one of its periods (a survey that did not run
    in one quarter gives no "12 months" figure); periods without a full window of configured
    periods are not published. With N = 1 the results are returned as they are.
    """
    n = config.rolling_periods
    if n == 1 or results.empty:
        return results
    have = results.groupby("indicator")["period"].agg(set)
    out = []
    for label in periods.published_labels(config):
        win = set(periods.window(config, label))
        full = [ind for ind, got in have.items() if win <= got]
        part = results[results["period"].isin(win) & results["indicator"].isin(full)]
        if part.empty:
            continue
        out.append(pooled(part, [k for k in GROUP if k != "period"]).assign(period=label))
    if not out:
        return pd.DataFrame({c: pd.Series(dtype=results[c].dtype) for c in RESULT_COLUMNS})
    return pd.concat(out, ignore_index=True)[RESULT_COLUMNS]


def _rounding_pp(agg: pd.DataFrame) -> pd.Series:
    """How far (percentage points) rounding alone can move each supplied row's percentage:
    half a unit in the last decimal given, of ``estimate`` (as a percentage) or of
    ``positives`` (over the base) when positives were given."""
    def half_unit(x: pd.Series) -> pd.Series:
        out = pd.Series(0.5e-4, index=x.index)
        for d in (3, 2, 1, 0):
            out = out.mask((x - x.round(d)).abs() < 1e-9, 0.5 * 10.0 ** -d)
        return out
    from_positives = 100 * half_unit(agg["positives"].fillna(0)) / agg["base"].astype(float)
    return from_positives.where(agg["positives"].notna(), half_unit(agg["estimate"].fillna(0)))


def roll_up(agg: pd.DataFrame, raw: pd.DataFrame, areas: pd.DataFrame, config: ForceConfig,
            findings) -> pd.DataFrame:
    """Division and force rows summed from the aggregated rows below them, where not supplied.

    ``agg`` is :func:`aggregated_results` of ``raw`` (same index). Per indicator × period ×
    subgroup, a division's row is :func:`pooled` over its areas' rows, and the force's over the
    divisions' rows (supplied or rolled up); the effective bases combine as independent
    samples per area (:func:`pooled`), and a survey's configured design effect is already in
    each area's effective base. A roll-up that leaves out an area or division with no row is
    published with a warning naming them. Where a division or force row is supplied *and* its
    parts are, the two are compared: a warning (not an error) names the file and row when the
    bases differ or the percentages differ by more than the rounding of the figures given
    (:func:`_rounding_pp`); the supplied row is the one published. Returns the added rows.
    """
    if agg.empty:
        return agg.iloc[0:0]
    division_of = areas.set_index("area_code")["division_code"]
    members = {"division": areas.groupby("division_code")["area_code"].agg(set).to_dict(),
               "force": {config.force_code: set(config.division_codes)}}
    cell = ["indicator", "survey", "period", "subgroup_dimension", "subgroup"]
    work = agg.assign(rounding=_rounding_pp(raw.loc[agg.index]), raw_index=agg.index)
    # A warning names the files that hold the period's rows, not every file given.
    files = raw.groupby(raw["period"].astype(str))["source_file"].agg(lambda f: ", ".join(sorted(set(f)))).to_dict()
    added = []
    for level, below in (("division", "area"), ("force", "division")):
        rows = work[work["level"] == below]
        if rows.empty:
            continue
        parent = rows["geography_code"].map(division_of) if level == "division" else config.force_code
        have = rows.assign(parent=parent).groupby(cell + ["parent"])["geography_code"].agg(set)
        rows = rows.assign(geography_code=parent, level=level)
        keys = cell + ["level", "geography_code"]
        sums = pooled(rows, keys).merge(rows.groupby(keys)["rounding"].max().reset_index(), on=keys)
        supplied = work[work["level"] == level]
        m = sums.merge(supplied, on=keys, how="left", suffixes=("", "_sup"), indicator=True)
        _report_disagreements(m[m["_merge"] == "both"], raw, level, below, findings)
        new = m[m["_merge"] == "left_only"]
        for rec in new[keys].itertuples(index=False):
            missing = sorted(members[level].get(rec.geography_code, set())
                             - have[(rec.indicator, rec.survey, rec.period, rec.subgroup_dimension,
                                     rec.subgroup, rec.geography_code)])
            if missing:
                findings.add(files.get(str(rec.period), ""), "rolled_up_partly",
                             f"{rec.indicator} {rec.period} {rec.subgroup_dimension}={rec.subgroup}: the {level} "
                             f"{rec.geography_code} is summed from the {below} rows given; none for "
                             + ", ".join(missing), column="geography_code", value=rec.geography_code,
                             severity="warning")
        new = new[GROUP + ADDITIVE + ["effective_base", "design_effect", "rounding"]].assign(
            source="aggregated_rolled_up", raw_index=-1)
        added.append(new[RESULT_COLUMNS])
        work = pd.concat([work, new], ignore_index=True)  # the force sums supplied and rolled-up divisions
    if not added:
        return agg.iloc[0:0]
    return pd.concat(added, ignore_index=True)


def _report_disagreements(both: pd.DataFrame, raw: pd.DataFrame, level: str, below: str, findings) -> None:
    """A warning for each supplied row that its parts' sum contradicts beyond rounding."""
    p_sum = 100 * both["weighted_positives"] / both["sum_weights"]
    p_sup = 100 * both["weighted_positives_sup"] / both["sum_weights_sup"]
    tolerance = both["rounding"] + both["rounding_sup"]
    off = (both["n_unweighted"] != both["n_unweighted_sup"]) | ((p_sum - p_sup).abs() > tolerance + 1e-9)
    for (_, rec), ps, pp, tol in zip(both[off].iterrows(), p_sum[off], p_sup[off], tolerance[off]):
        src = raw.loc[int(rec["raw_index"])]
        findings.add(src["source_file"], "roll_up_disagrees",
                     f"{rec['indicator']} {rec['period']} {rec['subgroup_dimension']}={rec['subgroup']}: the "
                     f"{level} row gives {pp:.2f}% of {int(rec['n_unweighted_sup']):,} but its {below} rows sum "
                     f"to {ps:.2f}% of {int(rec['n_unweighted']):,} (rounding allows {tol:.2f} points); the "
                     f"{level} row as supplied is published", row=int(src[ROW]), column="base",
                     value=rec["geography_code"], severity="warning")


PROFILE_DIMENSIONS = ("age_band", "sex", "ethnicity")


def respondent_profile(respondents: dict[str, pd.DataFrame], areas: pd.DataFrame, config: ForceConfig,
                       prefer: str | None = None) -> pd.DataFrame:
    """Who answered: respondents per period × force or division × dimension × category, of one
    survey, named in the ``survey`` column.

    The survey is one whose respondent-level rows are coded to areas (a survey of residents by
    area, whose respondents can be set beside the areas' residents): ``prefer`` (the ingest
    passes the matrix's worry-side survey, the force's survey of residents) if it is one, else
    the one with the most respondents. ``base`` is the period and geography's respondents with
    a value of that dimension (``not_stated`` included), so ``respondents / base`` is the
    unweighted share the Equality page sets beside the residents' share. Every configured
    category has a row, zero included. Published instead of the respondent rows, which never
    leave the ingest.
    """
    columns = ["survey", "period", "level", "geography_code", "dimension", "category", "respondents", "base"]
    by_area = {code: df for code, df in respondents.items()
               if config.surveys[code].level == "area" and df["area_code"].notna().any()}
    if not by_area:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("respondents", "base") else "str")
                             for c in columns})
    survey = prefer if prefer in by_area else max(sorted(by_area), key=lambda code: len(by_area[code]))
    local = by_area[survey]
    division_of = areas.set_index("area_code")["division_code"]
    geographies = (("force", pd.Series(config.force_code, index=local.index)),
                   ("division", local["area_code"].map(division_of)))
    parts = []
    for level, code in geographies:
        for dim in PROFILE_DIMENSIONS:
            rows = pd.DataFrame({"period": local["period"], "geography_code": code, "category": local[dim]}).dropna()
            counts = rows.groupby(["period", "geography_code", "category"], observed=True).size()
            cells = counts.index.droplevel("category").unique()
            categories = list(dict.fromkeys([*config.subgroups.get(dim, ()), *counts.index.get_level_values(2)]))
            full = pd.MultiIndex.from_tuples([(*cell, cat) for cell in cells for cat in categories],
                                             names=counts.index.names)
            part = counts.reindex(full, fill_value=0).rename("respondents").reset_index()
            part["base"] = part.groupby(["period", "geography_code"])["respondents"].transform("sum")
            part["level"], part["dimension"] = level, dim
            parts.append(part)
    out = pd.concat(parts, ignore_index=True).assign(survey=survey)[columns]
    out[["respondents", "base"]] = out[["respondents", "base"]].astype("int64")
    return out.sort_values(["period", "level", "geography_code", "dimension"], kind="stable").reset_index(drop=True)


def profile_for_threshold(profile: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The respondent profile as a role with a stricter threshold may see it (the panel's;
    dashboard/access.py): the force's rows only (a division's count could otherwise be worked out
    as the force's minus the other divisions'), each count under ``threshold`` withheld (NaN), and
    where a dimension would then have exactly one withheld count, the next smallest withheld too,
    so that none is the base minus the others (Hundepool et al. 2012, 4.2: complementary
    suppression within a table's margin)."""
    out = profile[profile["level"] == "force"].copy()
    out["respondents"] = out["respondents"].astype("float64")
    for _, cell in out.groupby(["period", "geography_code", "dimension"], sort=False):
        small = cell.index[(cell["respondents"] > 0) & (cell["respondents"] < threshold)]
        hide = list(small)
        if len(hide) == 1:
            rest = cell.drop(index=hide)
            rest = rest[rest["respondents"] > 0]
            if len(rest):
                hide.append(rest["respondents"].idxmin())
        out.loc[hide, "respondents"] = float("nan")
    return out.reset_index(drop=True)
