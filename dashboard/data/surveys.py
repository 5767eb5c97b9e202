"""Survey inputs: respondent-level files (CSV, Excel) and aggregated tables.

A respondent-level file holds one survey (its ``survey`` column names it). Common columns are
declared in :func:`respondent_specs`; each survey adds the question columns listed in the
config's ``[survey_columns]``, whose answer codes come from ``[answer_scales]``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import ForceConfig, period_for_dates
from .problems import Findings
from .tables import ROW, ColumnSpec, check_columns, check_formulas, convert, read_checked, read_table

COMMON = ["respondent_id", "survey", "fieldwork_date", "area_code", "weight", "age_band", "sex", "ethnicity"]


def _first(values, default: str = "") -> str:
    """The example a column's documentation shows: the configuration's first value."""
    return str(next(iter(values), default))


def respondent_specs(config: ForceConfig, survey: str | None) -> list[ColumnSpec]:
    code = survey or _first(config.surveys)
    weighted = survey is None or config.surveys[survey].weighted
    specs = [
        ColumnSpec("respondent_id", "code", "Unique respondent identifier within the survey", unique=True,
                   example=f"{code}-00042"),
        ColumnSpec("survey", "code", "Survey code, the same in every row", allowed=tuple(config.surveys),
                   example=code),
        ColumnSpec("fieldwork_date", "date", "Date of interview (YYYY-MM-DD); gives the period",
                   example="2007-06-14"),
        ColumnSpec("area_code", "code", "Area of the respondent (blank only for force-level surveys)",
                   nullable=survey is not None and config.surveys[survey].level == "force", example="HE01"),
        # An unweighted survey ([surveys] weighted = false) counts each respondent once: its weights
        # may be left out, and a weight other than 1 is an error (the disclosure audit relies on it).
        ColumnSpec("weight", "float", "Survey weight, above 0; for a survey configured with weighted = false it "
                   "may be left out, and must be 1 where given", required=weighted and survey is not None,
                   minimum=0, minimum_exclusive=True, allowed=None if weighted else (1.0,), example="1.13"),
        ColumnSpec("age_band", "code", "Age band", allowed=config.subgroups["age_band"], example="25-34"),
        ColumnSpec("sex", "code", "Sex", allowed=config.subgroups["sex"], example="female"),
        ColumnSpec("ethnicity", "code", "Ethnic group", allowed=config.subgroups["ethnicity"], example="white"),
    ]
    if survey is None:
        return specs
    for col in config.survey_columns.get(survey, ()):
        if col == "crime_type":
            specs.append(ColumnSpec("crime_type", "code", "Crime type of the victim's incident",
                                    allowed=config.subgroups.get("crime_type", ()), example="burglary"))
        else:
            codes = tuple(config.allowed_codes(col))
            specs.append(ColumnSpec(col, "int", config.questions[col].text, allowed=codes,
                                    example=str(codes[0])))
    return specs


def read_respondents(path: Path, config: ForceConfig, findings: Findings, known_areas: set[str]) -> pd.DataFrame | None:
    """Read one respondent-level file; returns typed rows with ``survey`` and ``period`` set."""
    common = respondent_specs(config, None)
    raw = read_table(path, findings, COMMON)
    if raw is None or not check_columns(raw, common, path, findings, extra_ok=set(raw.columns)):
        return None
    surveys = raw["survey"].str.strip()
    named = surveys[surveys != ""]
    if named.empty:
        findings.add(path, "missing_value", "no row names its survey", row=2, column="survey")
        return None
    survey = named.iloc[0]
    if survey not in config.surveys:
        findings.add(path, "not_allowed", f"unknown survey (configured: {', '.join(config.surveys)})",
                     row=int(raw.loc[named.index[0], ROW]), column="survey", value=survey)
        return None
    if survey not in config.survey_columns:
        findings.add(path, "not_allowed", "this survey has no [survey_columns] entry in the force configuration, so "
                     "its respondent-level files cannot be read (list its columns there)",
                     row=int(raw.loc[named.index[0], ROW]), column="survey", value=survey)
        return None
    mixed = surveys != survey
    if mixed.any():
        findings.add_rows(path, "mixed_surveys", f"each file holds one survey; this file is {survey}",
                          raw.loc[mixed, ROW], "survey", raw.loc[mixed, "survey"])
    specs = respondent_specs(config, survey)
    if not check_columns(raw, specs, path, findings):
        return None
    check_formulas(raw, path, findings)
    df = convert(raw, specs, path, findings)
    df["survey"] = survey
    if "weight" not in df.columns:  # an unweighted survey's file without weights
        df["weight"] = 1.0
    if config.surveys[survey].level != "force":
        unknown = df["area_code"].notna() & ~df["area_code"].isin(known_areas)
        if unknown.any():
            findings.add_rows(path, "unknown_area", "area code is not in the areas file",
                              df.loc[unknown, ROW], "area_code", df.loc[unknown, "area_code"])
    else:
        given = df["area_code"].notna() & ~df["area_code"].isin(known_areas)
        if given.any():
            findings.add_rows(path, "unknown_area", "area code is not in the areas file (leave it blank "
                              "for a force-level survey)", df.loc[given, ROW], "area_code", df.loc[given, "area_code"])
    df["period"] = period_for_dates(df["fieldwork_date"], config.periods)
    outside = df["period"].isna() & df["fieldwork_date"].notna()
    if outside.any():
        findings.add_rows(path, "period_outside",
                          f"fieldwork date is outside the configured periods "
                          f"({config.periods[0].start} to {config.periods[-1].end} exclusive)",
                          df.loc[outside, ROW], "fieldwork_date", df.loc[outside, "fieldwork_date"].dt.date)
    df["source_file"] = str(path)
    return df


def aggregated_specs(config: ForceConfig) -> list[ColumnSpec]:
    indicators = tuple(i.id for i in config.indicators if i.kind != "gap")
    return [
        ColumnSpec("geography_level", "code", "area, division or force", allowed=("area", "division", "force"),
                   example="division"),
        ColumnSpec("geography_code", "code", "Area code, division code or force code",
                   example=_first(config.division_codes)),
        ColumnSpec("period", "code", "Period label", allowed=config.period_labels,
                   example=_first(config.period_labels)),
        ColumnSpec("indicator", "code", "Indicator id from the catalogue", allowed=indicators,
                   example=_first(indicators)),
        ColumnSpec("subgroup_dimension", "code", "all, age_band, sex, ethnicity or crime_type; blank = all",
                   required=False, nullable=True, allowed=("all", *config.subgroups), example="all"),
        ColumnSpec("subgroup", "code", "Subgroup category; blank = all", required=False, nullable=True,
                   example="all"),
        ColumnSpec("positives", "float", "Number (or weighted number) answering positively; or give estimate",
                   required=False, nullable=True, minimum=0, example="512"),
        ColumnSpec("estimate", "float", "Percentage, if positives are not given", required=False, nullable=True,
                   minimum=0, maximum=100, example="83.5"),
        ColumnSpec("base", "int", "Unweighted number of valid respondents", minimum=1, example="613"),
        ColumnSpec("effective_base", "float", "Effective base after weighting; blank = base", required=False,
                   nullable=True,
                   minimum=0, minimum_exclusive=True, example="540.2"),
    ]


def read_aggregated(path: Path, config: ForceConfig, findings: Findings, known_areas: set[str]) -> pd.DataFrame | None:
    specs = aggregated_specs(config)
    df = read_checked(path, specs, findings)
    if df is None:
        return None
    for col in ("positives", "estimate", "effective_base"):
        if col not in df.columns:
            df[col] = float("nan")
    for col in ("subgroup_dimension", "subgroup"):
        df[col] = df[col].fillna("all") if col in df.columns else "all"
    neither = df["positives"].isna() & df["estimate"].isna()
    if neither.any():
        findings.add_rows(path, "missing_value", "give positives or estimate", df.loc[neither, ROW], "positives")
    too_many = df["positives"].notna() & df["base"].notna() & (df["positives"] > df["base"])
    if too_many.any():
        findings.add_rows(path, "positives_exceed_base", "positives must not exceed base",
                          df.loc[too_many, ROW], "positives", df.loc[too_many, "positives"])
    codes = {"area": known_areas, "division": set(config.division_codes), "force": {config.force_code}}
    bad = ~df.apply(lambda r: pd.isna(r["geography_level"]) or r["geography_code"] in codes[r["geography_level"]],
                    axis=1)
    if bad.any():
        findings.add_rows(path, "unknown_geography", "geography code is not known at that level",
                          df.loc[bad, ROW], "geography_code", df.loc[bad, "geography_code"])
    for dim, cats in config.subgroups.items():
        wrong = (df["subgroup_dimension"] == dim) & ~df["subgroup"].isin(cats)
        if wrong.any():
            findings.add_rows(path, "not_allowed", f"not a {dim} category ({', '.join(cats)})",
                              df.loc[wrong, ROW], "subgroup", df.loc[wrong, "subgroup"])
    df["source_file"] = str(path)
    return df


def duplicate_respondents(frames: list[pd.DataFrame], findings: Findings) -> None:
    """A respondent id may appear once per survey across all of that survey's files."""
    if not frames:
        return
    allrows = pd.concat([f[["survey", "respondent_id", ROW, "source_file"]] for f in frames], ignore_index=True)
    files = allrows.groupby(["survey", "respondent_id"])["source_file"].transform("nunique")
    dup = allrows.duplicated(["survey", "respondent_id"], keep=False) & (files > 1)
    for rec in allrows.loc[dup].itertuples():
        findings.add(rec.source_file, "duplicate", "respondent id also appears in another file of the same survey",
                     row=rec.source_row, column="respondent_id", value=rec.respondent_id)
