"""Respondent rows -> the tidy survey results table (sums only; the statistics come later).

One row per indicator × level (area, division, force) × geography × period × subgroup, holding
the sufficient statistics every estimate needs: unweighted base and positives, sum of weights,
weighted positives, sum of squared weights, and Kish's effective base (Σw)² / Σw². Respondents
whose answer is a "missing" code (don't know, refused) are left out of every base.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import ForceConfig, Indicator

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
