"""The commander's worklist: for a division (or the whole force, grouped by division), the areas
that need a look, each with its reasons in words and the figures behind them (no Dash imports,
no statistics: only the published tables' flags and verdicts are read, never a new test).

An area is listed when, in the latest survey period,

* its change against the previous period or the baseline is flagged better or worse in the
  published ``changes`` table (under the published significance policy's area rule);
* it is off target or not distinguishable from its target (``targets``; where targets are set
  for the force and divisions only, the division's own rows are listed instead, and a sentence
  says so);
* it is flagged better or worse than the force (``area_comparisons``);
* its resource level differs from the previous matrix period's (``matrix``);
* its computed crime or worry band differs from the force's own matrix (the ``matrix`` table's
  ``crime_agrees`` / ``worry_agrees``, as counted in ``matrix_agreement``).

Order is fixed: worse before not distinguishable before a changed resource level before a
difference from the force's own matrix before better; then the area code. With the whole force
the groups follow the configuration's order of divisions. What a force's tables cannot support
is said in one sentence each (``Worklist.cannot``), never an empty table or an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..stats.targets import MET, MISSED, NOT_DISTINGUISHABLE
from .choices import has_survey_results
from .headline import estimate_text, target_text
from .select import ALL_DIVISIONS, latest_period, optional_table, significance_policy
from .words import (
    CHANGE_VERB,
    WORKLIST_CRIME_ONLY,
    WORKLIST_DIVISION_TARGETS,
    WORKLIST_KINDS,
    WORKLIST_NO_CHANGES,
    WORKLIST_NO_COMPARISONS,
    WORKLIST_NO_MATRIX,
    WORKLIST_NO_SUPPLIED,
    WORKLIST_NO_TARGETS,
    WORKLIST_ONE_MATRIX_PERIOD,
    allowing_for_chance,
    band_word,
    base_text,
    ci,
    indicator_label,
    vs_force_phrase,
)

# Severity: lower comes first. A reason's place is fixed by its kind and its verdict.
SEVERITY = {("change", "worse"): 0, ("target", MISSED): 1, ("vs_force", "worse"): 2,
            ("target", NOT_DISTINGUISHABLE): 3, ("resource", "changed"): 4, ("own_matrix", "differs"): 5,
            ("change", "better"): 6, ("vs_force", "better"): 7}
COLUMNS = ["division_code", "division_name", "level", "geography_code", "geography_name", "kind", "verdict",
           "severity", "indicator", "reason", "figures", "short", "period"]


@dataclass
class Worklist:
    """The reasons (one row each, ``COLUMNS``), in order; what cannot be listed, in sentences."""

    division: str
    period: str | None
    rows: pd.DataFrame
    cannot: list[str] = field(default_factory=list)

    def groups(self) -> list[tuple[tuple[str, str], list[tuple[str, str, str, list[dict]]]]]:
        """[((division code, name), [(level, code, name, [reason rows])])]: each geography's reasons
        together, in the list's order (divisions in configuration order)."""
        out: list = []
        for r in self.rows.to_dict("records"):  # in order: a division's rows, a geography's, are together
            division, geo = (r["division_code"], r["division_name"]), (r["level"], r["geography_code"])
            if not out or out[-1][0] != division:
                out.append((division, []))
            geos = out[-1][1]
            if not geos or geos[-1][:2] != geo:
                geos.append((*geo, r["geography_name"], []))
            geos[-1][3].append(r)
        return out

    def counts(self) -> dict[str, int]:
        """Areas listed for each kind (a division's own target rows are not areas)."""
        areas = self.rows[self.rows["level"] == "area"]
        return {k: int(areas.loc[areas["kind"] == k, "geography_code"].nunique()) for k in WORKLIST_KINDS}

    def areas(self) -> int:
        return int(self.rows.loc[self.rows["level"] == "area", "geography_code"].nunique())


def _estimates(snapshot, period) -> dict:
    """The period's area estimates (overall), by (indicator, area code)."""
    est = snapshot.table("estimates")
    est = est[(est["period"] == period) & (est["subgroup_dimension"] == "all") & (est["level"] == "area")]
    return {(r.indicator, r.geography_code): r for r in est.itertuples()}


def _compact(e) -> str:
    """'68.5% (57.1–78.0, n = 83)': an estimate where the heading already says which interval."""
    if e is None:
        return "no data"
    if e.suppressed:
        return "suppressed"
    return f"{e.value:.1f}% ({e.lower_95:.1f}–{e.upper_95:.1f}, n = {base_text(e.base)})"


def _change_rows(snapshot, config, areas, period, policy, est) -> tuple[list[dict], str | None]:
    chg = optional_table(snapshot, "changes")
    if chg is None or not (chg["level"] == "area").any():
        return [], WORKLIST_NO_CHANGES
    inds = {i.id: i for i in config.indicators}
    sel = chg[(chg["level"] == "area") & (chg["period"] == period) & (chg["subgroup_dimension"] == "all")
              & chg["indicator"].isin(inds) & chg["flag"].isin(("better", "worse"))
              & chg["geography_code"].isin(areas.index)]
    rows = []
    for r in sel.itertuples():
        ind = inds[r.indicator]
        verb = CHANGE_VERB.get(r.direction, "changed")
        moved = f"{verb} {abs(r.difference):.1f} pts since {r.reference_period}"
        reason = (f"{indicator_label(ind.short_name, ind.name)} {moved} ({ci(r.confidence)} {r.lower:+.1f} to "
                  f"{r.upper:+.1f}): "
                  f"significantly {r.flag} {allowing_for_chance(policy.label)}")
        e = est.get((r.indicator, r.geography_code))
        rows.append(_row(areas, r.geography_code, "change", r.flag, r.indicator, reason,
                         "now " + estimate_text(e, policy.confidence), period,
                         f"{ind.short_name} {moved} ({r.lower:+.1f} to {r.upper:+.1f}); now {_compact(e)}",
                         order=(list(inds).index(r.indicator), r.compared_with)))
    return rows, None


def _target_rows(snapshot, config, areas, division, period, policy) -> tuple[list[dict], str | None]:
    targets = optional_table(snapshot, "targets")
    if targets is None or targets.empty:
        return [], WORKLIST_NO_TARGETS
    tp = period if period in set(targets["period"]) else max(targets["period"])
    t = targets[(targets["period"] == tp) & ~targets["verdict"].isin((MET, "suppressed"))]
    inds = {i.id: i for i in config.indicators}
    t = t[t["indicator"].isin(inds)]
    has_areas = (targets["level"] == "area").any()
    if has_areas:
        t = t[(t["level"] == "area") & t["geography_code"].isin(areas.index)]
    else:
        divisions = [d.code for d in config.divisions] if division == ALL_DIVISIONS else [division]
        t = t[(t["level"] == "division") & t["geography_code"].isin(divisions)]
    names = {d.code: d.name for d in config.divisions}
    rows = []
    for r in t.itertuples():
        ind = inds[r.indicator]
        figures = ("suppressed" if r.suppressed else
                   f"{r.value:.1f}% ({ci(policy.confidence)} {r.lower_95:.1f}–{r.upper_95:.1f}, "
                   f"n = {base_text(r.base)})")
        reason = f"{indicator_label(ind.short_name, ind.name)}: {target_text(r)}"
        short = f"{ind.short_name} {_compact(r)} against {r.target:g}%"
        if has_areas:
            rows.append(_row(areas, r.geography_code, "target", r.verdict, r.indicator, reason, figures, tp, short,
                             order=(list(inds).index(r.indicator), "")))
        else:
            rows.append({"division_code": r.geography_code, "division_name": names.get(r.geography_code, ""),
                         "level": "division", "geography_code": r.geography_code,
                         "geography_name": names.get(r.geography_code, r.geography_code), "kind": "target",
                         "verdict": r.verdict, "severity": SEVERITY[("target", r.verdict)], "indicator": r.indicator,
                         "reason": reason, "figures": figures, "short": short, "period": tp,
                         "_order": (list(inds).index(r.indicator), "")})
    return rows, None if has_areas else WORKLIST_DIVISION_TARGETS


def _comparison_rows(snapshot, config, areas, period, policy, est) -> tuple[list[dict], str | None]:
    ac = optional_table(snapshot, "area_comparisons")
    if ac is None or ac.empty:
        return [], WORKLIST_NO_COMPARISONS
    inds = {i.id: i for i in config.indicators}
    sel = ac[(ac["period"] == period) & ac["indicator"].isin(inds) & ac["flag"].isin(("better", "worse"))
             & ac["area_code"].isin(areas.index)]
    rows = []
    for r in sel.itertuples():
        ind = inds[r.indicator]
        reason = (f"{indicator_label(ind.short_name, ind.name)}: {r.value:.1f}%, "
                  f"{vs_force_phrase(r.flag, f'the force ({r.force_value:.1f}%)')} {allowing_for_chance(policy.label)}")
        e = est.get((r.indicator, r.area_code))
        rows.append(_row(areas, r.area_code, "vs_force", r.flag, r.indicator, reason,
                         estimate_text(e, policy.confidence), period,
                         f"{ind.short_name} {_compact(e)} against {r.force_value:.1f}%",
                         order=(list(inds).index(r.indicator), "")))
    return rows, None


def _index_text(r, confidence) -> str:
    crime = ("crime index not calculated (population not known)" if r.crime_index != r.crime_index else
             f"crime index {r.crime_index:.0f} ({ci(confidence)} {r.crime_lower:.0f}–{r.crime_upper:.0f})")
    worry = ("worry index suppressed" if r.worry_index != r.worry_index else
             f"worry index {r.worry_index:.0f} ({r.worry_lower:.0f}–{r.worry_upper:.0f}, "
             f"n = {base_text(r.worry_base)})")
    return f"{crime}; {worry}"


def _matrix_rows(snapshot, config, areas, policy) -> tuple[list[dict], list[str]]:
    m = optional_table(snapshot, "matrix")
    if m is None or m.empty:
        return [], [WORKLIST_NO_MATRIX]
    order = list(config.period_labels)
    periods = sorted(m["period"].unique(), key=lambda p: order.index(p) if p in order else len(order))
    latest = m[(m["period"] == periods[-1]) & m["area_code"].isin(areas.index)].sort_values("area_code")
    rows, cannot = [], []
    if len(periods) < 2:
        cannot.append(WORKLIST_ONE_MATRIX_PERIOD.format(period=periods[-1]))
    else:
        before = m[m["period"] == periods[-2]].set_index("area_code")["resource_level"]
        for r in latest.itertuples():
            was = before.get(r.area_code)
            if was is not None and was != r.resource_level:
                reason = (f"resource level changed from {was} ({periods[-2]}) to {r.resource_level} ({r.period})"
                          + (", held from an earlier period" if r.held else ""))
                rows.append(_row(areas, r.area_code, "resource", "changed", "", reason,
                                 _index_text(r, policy.confidence), r.period, f"{was} to {r.resource_level}"))
    if "crime_agrees" not in latest.columns or latest["supplied_resource_level"].isna().all():
        return rows, cannot + [WORKLIST_NO_SUPPLIED]
    for r in latest.itertuples():
        parts = [f"{side} {getattr(r, f'supplied_{side}_level')} there, {band_word(getattr(r, f'{side}_level'))} here"
                 for side in ("crime", "worry") if _disagrees(getattr(r, f"{side}_agrees"))]
        if parts:
            reason = (f"the force's own matrix has {r.supplied_resource_level} ({r.period}), this one "
                      f"{r.resource_level}: " + "; ".join(parts))
            rows.append(_row(areas, r.area_code, "own_matrix", "differs", "", reason,
                             _index_text(r, policy.confidence), r.period,
                             f"{r.supplied_resource_level} there, {r.resource_level} here: " + "; ".join(parts)))
    return rows, cannot


def _disagrees(agrees) -> bool:
    """Published False (not None or NaN: an area the force's own matrix leaves out)."""
    return agrees is not None and agrees == agrees and not bool(agrees)


def _row(areas, code, kind, verdict, indicator, reason, figures, period, short, order=(0, "")) -> dict:
    a = areas.loc[code]
    return {"division_code": a["division_code"], "division_name": a["division_name"], "level": "area",
            "geography_code": code, "geography_name": a["area_name"], "kind": kind, "verdict": verdict,
            "severity": SEVERITY[(kind, verdict)], "indicator": indicator, "reason": reason, "figures": figures,
            "short": short, "period": period, "_order": order}


def _ordered(rows: list[dict], config, division: str) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.DataFrame(rows)
    div_order = {d.code: k for k, d in enumerate(config.divisions)}
    frame["_division"] = frame["division_code"].map(div_order).fillna(len(div_order))
    frame["_level"] = (frame["level"] == "area").astype(int)  # a division's own rows first in its group
    frame["_top"] = frame.groupby("geography_code")["severity"].transform("min")  # the area's worst reason
    frame["_ind"] = frame["_order"].map(lambda o: o[0])
    frame["_cmp"] = frame["_order"].map(lambda o: o[1])
    keys = ["_division", "_level", "_top", "geography_code", "severity", "_ind", "_cmp"]
    if division != ALL_DIVISIONS:
        keys = keys[1:]
    return frame.sort_values(keys, kind="stable")[COLUMNS].reset_index(drop=True)


def worklist(snapshot, config, division: str = ALL_DIVISIONS) -> Worklist:
    """The worklist of a division (its code) or the whole force (``"all"``), from the live
    snapshot's published tables only."""
    areas = snapshot.table("areas").set_index("area_code")
    if division != ALL_DIVISIONS:
        areas = areas[areas["division_code"] == division]
    policy = significance_policy(snapshot)
    has_matrix = optional_table(snapshot, "matrix") is not None
    if not has_survey_results(snapshot) and not has_matrix:
        return Worklist(division, None, pd.DataFrame(columns=COLUMNS), [WORKLIST_CRIME_ONLY])
    rows: list[dict] = []
    cannot: list[str] = []
    period = None
    if has_survey_results(snapshot):
        period = latest_period(snapshot.table("estimates"))
        est = _estimates(snapshot, period)
        for part, note in (_change_rows(snapshot, config, areas, period, policy, est),
                           _target_rows(snapshot, config, areas, division, period, policy),
                           _comparison_rows(snapshot, config, areas, period, policy, est)):
            rows += part
            cannot += [note] if note else []
    part, notes = _matrix_rows(snapshot, config, areas, policy)
    return Worklist(division, period, _ordered(rows + part, config, division), cannot + notes)


def worklist_export(wl: Worklist, config) -> pd.DataFrame:
    """The worklist as a download: one row per reason, with the area's link and the policy."""
    out = wl.rows.copy()
    out.insert(4, "page", out.apply(lambda r: f"/area/{r['geography_code']}" if r["level"] == "area" else "", axis=1))
    out["kind"] = out["kind"].map(WORKLIST_KINDS)
    out["notes"] = " ".join(wl.cannot)
    return out.drop(columns=["severity"])
