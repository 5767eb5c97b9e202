"""Tables for download: the figures on screen with their definitions and method, suppression
already applied (values withheld, the reason given), as CSV or XLSX bytes."""

from __future__ import annotations

import io

import pandas as pd

from .words import better_when, difference_method, estimate_method, interval, polarity_words, withheld_note


def area_table_export(values: pd.DataFrame, indicator, config, period: str, division_label: str,
                      policy) -> pd.DataFrame:
    """The map's table as a self-describing frame: one row per area, with the published flag
    against the force and the rule that gave it."""
    out = pd.DataFrame({
        "area_code": values["area_code"], "area_name": values["area_name"], "division": values["division_name"],
        "indicator_id": indicator.id, "indicator": indicator.name, "period": period,
        "value_pct": values["value"].round(1).where(~values["suppressed"]),
        "lower_95_pct": values["lower_95"].round(1).where(~values["suppressed"]),
        "upper_95_pct": values["upper_95"].round(1).where(~values["suppressed"]),
        "unweighted_base": values["base"],
        "suppressed": values["suppressed"],
        "suppression_reason": values["suppressed"].map(
            lambda s: withheld_note(config.suppression_threshold) if s else ""),
        "flag": values["flag"],
        "flag_rule": values["flag_rule"] if "flag_rule" in values.columns else "",
        "resource_level": values.get("resource_level"),
        "definition": indicator.definition,
        "polarity": polarity_words(indicator.polarity),
        "method": f"{estimate_method(policy.confidence)}. {policy.area_text}",
        "geography": division_label,
    })
    return out


def crime_table_export(values: pd.DataFrame, name: str, period: str, division_label: str,
                       confidence: float) -> pd.DataFrame:
    """The map's table for a crime measure: one row per area, the rate per 1,000 residents with
    its exact Poisson interval and the count (views.select.crime_area_values)."""
    return pd.DataFrame({
        "area_code": values["area_code"], "area_name": values["area_name"], "division": values["division_name"],
        "measure": name, "period": period, "rate_per_1000": values["value"].round(2),
        "lower": values["lower_95"].round(2), "upper": values["upper_95"].round(2), "crimes": values["base"],
        "resource_level": values.get("resource_level"),
        "method": f"recorded crimes per 1,000 residents, exact (Garwood) Poisson {interval(confidence)}; no rate "
                  "where the area's population is not known; not tested against the force",
        "geography": division_label,
    })


def to_csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def to_xlsx(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        frame.to_excel(xl, sheet_name=sheet[:31], index=False)
    return buf.getvalue()


def estimates_export(frame: pd.DataFrame, config, names: dict[str, str], policy) -> pd.DataFrame:
    """Published estimates as a self-describing frame; suppressed values are already withheld."""
    inds = {i.id: i for i in config.indicators}
    return pd.DataFrame({
        "indicator_id": frame["indicator"], "indicator": frame["indicator"].map(lambda i: inds[i].name),
        "survey": frame["survey"].map(lambda s: config.surveys[s].name if s in config.surveys else s),
        "level": frame["level"], "geography_code": frame["geography_code"],
        "geography": frame["geography_code"].map(names).fillna(frame["geography_code"]),
        "period": frame["period"], "subgroup_dimension": frame["subgroup_dimension"], "subgroup": frame["subgroup"],
        "value_pct": frame["value"].round(1), "lower_95_pct": frame["lower_95"].round(1),
        "upper_95_pct": frame["upper_95"].round(1), "unweighted_base": frame["base"],
        "effective_base": frame["effective_base"].round(1), "suppressed": frame["suppressed"],
        "suppression_reason": frame["suppression_reason"], "small_base": frame["small_base"],
        "definition": frame["indicator"].map(lambda i: inds[i].definition),
        "polarity": frame["indicator"].map(lambda i: polarity_words(inds[i].polarity)),
        "method": estimate_method(policy.confidence),
    })


def changes_export(changes: pd.DataFrame, config, policy) -> pd.DataFrame:
    """Published changes (vs previous period and baseline) with their published flag and the rule
    that gave it, for a trend download."""
    inds = {i.id: i for i in config.indicators}
    out = changes[["indicator", "level", "geography_code", "period", "compared_with", "reference_period"]].copy()
    out["indicator_name"] = out["indicator"].map(lambda i: inds[i].name)
    for col in ("difference", "lower", "upper"):
        out[f"{col}_pts"] = changes[col].round(2)
    out["confidence"] = changes["confidence"]
    out["p_value"] = changes["p_value"]
    out["adjusted_p"] = changes["adjusted_p"]
    out["direction"] = changes["direction"]
    out["flag"] = changes["flag"]
    out["flag_rule"] = changes["flag_rule"]
    out["base"] = changes["base"]
    out["suppressed"] = changes["suppressed"]
    out["suppression_reason"] = changes["suppression_reason"]
    out["polarity"] = out["indicator"].map(lambda i: polarity_words(inds[i].polarity))
    out["method"] = changes["method"] + "; " + changes["level"].map(policy.change_text_for)
    return out


def _months(window: str) -> str:
    """'2007-05 to 2008-04' -> 'the 12 months 2007-05 to 2008-04'."""
    try:
        start, end = (pd.Period(x.strip(), "M") for x in str(window).split(" to "))
        return f"the {(end - start).n + 1} months {window}"
    except (ValueError, TypeError):
        return f"the crime window {window}"


def matrix_export(m: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """The crime/worry matrix for a period, one row per area, indices with their intervals."""
    cols = ["area_code", "area_name", "division_code", "division_name", "period", "crime_window", "survey_window",
            "crime_index", "crime_lower", "crime_upper", "worry_index", "worry_lower", "worry_upper", "worry_base",
            "crime_level", "worry_level", "computed_level", "resource_level", "held", "engagement", "frequency",
            "supplied_crime_level", "supplied_worry_level", "supplied_resource_level"]
    out = m[[c for c in cols if c in m.columns]].copy()
    for c in ("crime_index", "crime_lower", "crime_upper", "worry_index", "worry_lower", "worry_upper"):
        out[c] = out[c].round(1)
    months = out["crime_window"].map(_months) if "crime_window" in out.columns else ""
    level = interval(confidence)
    out["method"] = ("Index 100 = force average; crime: exact (Garwood) Poisson " + level + " on " + months
                     + "; worry: weighted geometric mean of local-survey measures, Taylor-linearised " + level
                     + "; high/low only when the interval clears the cut line (docs/methods.md)")
    return out


def gaps_export(gaps: pd.DataFrame, names: dict[str, str], policy, config) -> pd.DataFrame:
    """Gap indicators: each group's value and base and the gap, with Newcombe intervals and the
    published flag ('worse': the gap differs from zero; 'similar': no evidence of a gap;
    'suppressed': cannot tell), with the indicator's definition from the configuration."""
    inds = {i.id: i for i in config.indicators}
    out = pd.DataFrame({
        "indicator_id": gaps["indicator"], "indicator": gaps["indicator"].map(lambda i: inds[i].name),
        "level": gaps["level"], "geography_code": gaps["geography_code"],
        "geography": gaps["geography_code"].map(names).fillna(gaps["geography_code"]), "period": gaps["period"],
        "group_1": gaps["group_1"], "group_1_pct": gaps["value_1"].round(1), "group_1_base": gaps["base_1"],
        "group_2": gaps["group_2"], "group_2_pct": gaps["value_2"].round(1), "group_2_base": gaps["base_2"],
        "gap_pts": gaps["gap"].round(1), "lower_pts": gaps["lower"].round(1), "upper_pts": gaps["upper"].round(1),
        "confidence": gaps["confidence"], "flag": gaps["flag"], "flag_rule": gaps["flag_rule"],
        "p_value": gaps["p_value"], "suppressed": gaps["suppressed"],
        "suppression_reason": gaps["suppression_reason"],
        "definition": gaps["indicator"].map(lambda i: inds[i].definition),
        "polarity": gaps["indicator"].map(lambda i: polarity_words(inds[i].polarity)),
        "method": gaps["method"] + "; " + gaps["flag_rule"].where(gaps["level"] == "area", policy.force_text),
    })
    return out.sort_values(["indicator_id", "level", "geography_code", "period"]).reset_index(drop=True)


def geography_names(snapshot, config) -> dict[str, str]:
    areas = snapshot.table("areas")
    return {config.force_code: config.force_name, **{d.code: d.name for d in config.divisions},
            **dict(zip(areas["area_code"], areas["area_name"]))}


def definitions_export(config, policy) -> pd.DataFrame:
    """Every indicator's definition, source, question, positive answers, polarity, target, method."""
    rows = []
    for ind in config.indicators:
        survey = config.surveys[ind.survey]
        question = config.questions[ind.question].text if ind.question in config.questions else ""
        positive = ", ".join(config.allowed_codes(ind.question)[c] for c in ind.positive) if ind.question else ""
        rows.append({
            "indicator_id": ind.id, "short_name": ind.short_name, "indicator": ind.name, "kind": ind.kind,
            "survey": survey.name, "design_effect": survey.design_effect, "definition": ind.definition,
            "question": question, "positive_answers": positive,
            "strands": ", ".join(ind.strands), "high_threshold": ind.high_threshold,
            "better_when": better_when(ind.polarity), "polarity": polarity_words(ind.polarity),
            "target_pct": ind.target.value if ind.target else None,
            "target_period": ind.target.period if ind.target else None,
            "assessed_by_hmic": ind.assessed,
            "method": f"{estimate_method(policy.confidence)}; changes and gaps: "
                      f"{difference_method(policy.confidence)}. {policy.area_text} {policy.force_text}",
        })
    return pd.DataFrame(rows)


def comparisons_export(comp: pd.DataFrame, level: str, names: dict[str, str], config, policy) -> pd.DataFrame:
    """The tartan rug as a table: each geography's value, interval, base and published flag
    against the force (divisions: against the rest of the force) with the rule that gave it;
    areas also with the shrunken estimate."""
    inds = {i.id: i for i in config.indicators}
    code = "division_code" if level == "division" else "area_code"
    out = pd.DataFrame({
        "indicator_id": comp["indicator"], "indicator": comp["indicator"].map(lambda i: inds[i].name),
        "period": comp["period"], "level": level, "geography_code": comp[code],
        "geography": comp[code].map(names).fillna(comp[code]),
    })
    rounded = ("value", "lower_95", "upper_95", "rest_value", "difference", "lower", "upper", "shrunk_value",
               "shrunk_lower", "shrunk_upper")
    for col in ("value", "lower_95", "upper_95", "base", "effective_base", "force_value", "rest_value", "difference",
                "lower", "upper", "p_value", "flag", "flag_rule", "flag_adjusted_p", "shrunk_value", "shrunk_lower",
                "shrunk_upper", "shrink_note", "suppressed", "suppression_reason"):
        if col in comp.columns:
            out[col] = comp[col].round(1) if col in rounded else comp[col]
    if "suppressed" in out.columns:  # withheld values stay withheld, whatever the source table holds
        hidden = out["suppressed"].fillna(False).astype(bool)
        for col in rounded:
            if col in out.columns:
                out[col] = out[col].where(~hidden)
    out["polarity"] = comp["indicator"].map(lambda i: polarity_words(inds[i].polarity))
    out["method"] = (estimate_method(policy.confidence) + ". " + policy.text_for(level)
                     + ("; empirical-Bayes shrinkage toward the division" if level == "area" else ""))
    return out
