"""The headline indicators for a geography, and the plain words used for them, shared by the
overview page and the meeting pack (no Dash imports, no statistics: published tables only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .choices import headline_indicators
from .select import ALL_DIVISIONS, latest_period, optional_table
from .words import DIRECTION_GLYPH, FLAGGED, base_text, ci, flag_word


@dataclass(frozen=True)
class Headline:
    """One indicator's published results for one geography in one period (rows are itertuples).

    ``estimate`` is the row of the published estimates, or for a gap indicator the row of the
    published gaps (its ``gap``, ``lower`` and ``upper`` in points, each group's value and base).
    ``force_figure`` is true when a division was asked for but the indicator has no result by
    division (its survey is force-level only), so the force's figure is shown instead."""

    indicator: Any
    estimate: Any | None
    previous: Any | None
    baseline: Any | None
    msf: Any | None
    target: Any | None
    outcome: Any | None
    force_figure: bool = False


def _result(ind, est, gaps, period: str):
    """The published rows of ``ind`` in ``period`` for every geography: estimates (overall), or gaps."""
    if ind.kind == "gap":
        return None if gaps is None else gaps[(gaps.indicator == ind.id) & (gaps.period == period)]
    return est[(est.indicator == ind.id) & (est.period == period) & (est.subgroup_dimension == "all")]


def headline_rows(snapshot, config, division: str, period: str | None = None) -> list[Headline]:
    """For the force (``division == "all"``) or a division, the indicators of
    :func:`dashboard.views.choices.headline_indicators`. An indicator surveyed only at force
    level shows the force's figure (``force_figure``); MSF comparisons and outcomes exist for
    the force only. A gap indicator's row is its published gap."""
    est = snapshot.table("estimates")
    period = period or latest_period(est)
    chg = optional_table(snapshot, "changes")  # none with a single period
    msf = optional_table(snapshot, "msf_comparisons")
    targets = optional_table(snapshot, "targets")
    outcomes = optional_table(snapshot, "outcomes")
    gaps = optional_table(snapshot, "gaps")
    level, geo = ("force", config.force_code) if division == ALL_DIVISIONS else ("division", division)
    out = []
    for ind in headline_indicators(snapshot, config):
        sel = _result(ind, est, gaps, period)
        row = sel.iloc[:0] if sel is None else sel[(sel.level == level) & (sel.geography_code == geo)]
        if row.empty and sel is not None:
            row = sel[sel.level == "force"]
        e = next(row.itertuples(), None)
        e_level, e_geo = (e.level, e.geography_code) if e is not None else (level, geo)
        c = chg.iloc[:0] if chg is None else chg[
            (chg.indicator == ind.id) & (chg.period == period) & (chg.subgroup_dimension == "all")
            & (chg.level == e_level) & (chg.geography_code == e_geo)]
        at_force = e_level == "force"
        out.append(Headline(
            indicator=ind, estimate=e,
            previous=next(c[c.compared_with == "previous"].itertuples(), None),
            baseline=next(c[c.compared_with == "baseline"].itertuples(), None),
            msf=None if msf is None or not at_force else next(
                msf[(msf.indicator == ind.id) & (msf.period == period)].itertuples(), None),
            target=None if targets is None else next(
                targets[(targets.indicator == ind.id) & (targets.geography_code == e_geo)].itertuples(), None),
            outcome=None if outcomes is None or not at_force else next(
                outcomes[outcomes.indicator == ind.id].itertuples(), None),
            force_figure=division != ALL_DIVISIONS and at_force and e is not None))
    return out


def overall_outcome(snapshot):
    outcomes = optional_table(snapshot, "outcomes")
    return None if outcomes is None else next(outcomes[outcomes.indicator == "overall"].itertuples(), None)


def group_name(group: str) -> str:
    """'minority_ethnic' -> 'minority ethnic'."""
    return str(group).replace("_", " ")


def estimate_text(e, confidence: float) -> str:
    """'84.2% (95% CI 82.9–85.5, n = 2,990)'; for a gap row '+5.1 pts (95% CI -1.3 to +13.2; white
    84.4%, n = 2,869; minority ethnic 79.3%, n = 121)'."""
    if e is None:
        return "no data"
    if e.suppressed:
        return "suppressed"
    if hasattr(e, "gap"):
        return (f"{e.gap:+.1f} pts ({ci(confidence)} {e.lower:+.1f} to {e.upper:+.1f}; "
                f"{group_name(e.group_1)} {e.value_1:.1f}%, n = {base_text(e.base_1)}; "
                f"{group_name(e.group_2)} {e.value_2:.1f}%, n = {base_text(e.base_2)})")
    return f"{e.value:.1f}% ({ci(confidence)} {e.lower_95:.1f}–{e.upper_95:.1f}, n = {base_text(e.base)})"


def _points(row) -> str:
    """'+3.5 pts, 95% CI +0.4 to +6.6': a difference always with its interval, at its published level."""
    return f"{row.difference:+.1f} pts, {ci(row.confidence)} {row.lower:+.1f} to {row.upper:+.1f}"


def change_text(chg, ind, label: str) -> str:
    """'▲ vs previous year: significantly better (+3.5 pts, 95% CI ...)', or why there is no verdict.
    The words are the published flag's (polarity applied at ingest); the arrow is the direction."""
    if chg is None:
        return f"no comparison with {label}"
    if chg.suppressed or chg.flag == "suppressed":
        return f"vs {label}: suppressed"
    if chg.flag == "not tested":
        return f"vs {label}: not tested ({_points(chg)})"
    if chg.flag not in FLAGGED:
        return f"vs {label}: no significant change ({_points(chg)})"
    arrow = DIRECTION_GLYPH.get(chg.direction, "")
    return f"{arrow} vs {label}: significantly {chg.flag} ({_points(chg)})".lstrip()


def msf_text(msf, ind) -> str:
    head = f"vs MSF average {msf.msf_average:.1f}% ({int(msf.peers)} forces): "
    if msf.flag in FLAGGED:
        return head + f"significantly {msf.flag} ({_points(msf)})"
    if msf.flag in ("suppressed", "not tested"):
        return head + f"{flag_word(msf.flag).lower()} ({_points(msf)})"
    return head + f"not significantly different ({_points(msf)})"


def target_text(target) -> str:
    text = f"Target {target.target:g}% ({target.period}): {target.verdict}"
    return text if target.verdict == "suppressed" else text + f"; P(meets) = {target.probability_meets:.2f}"


def _names(snapshot, config) -> tuple[dict, dict]:
    areas = snapshot.table("areas")
    names = {config.force_code: config.force_short_name or config.force_name,
             **{d.code: d.name for d in config.divisions}, **dict(zip(areas["area_code"], areas["area_name"]))}
    return names, dict(zip(areas["area_code"], areas["division_code"]))


def significant_changes(snapshot, config, division: str, period: str | None = None) -> tuple[pd.DataFrame, int]:
    """Every change in ``period`` whose published flag is better or worse, overall results only,
    for the force and divisions (or the division) and the areas in it. Nothing is tested here:
    the flags are the ingest's, under the force's significance policy (force and divisions at its
    confidence; areas by its area rule within indicator × period × comparison over all the
    force's areas). Returns the rows and the number of area comparisons in the selection that
    the published rule tested (flag better, similar or worse).
    """
    chg = optional_table(snapshot, "changes")
    if chg is None:  # a single period: nothing to compare
        return pd.DataFrame(columns=["level", "geography", "indicator", "flag"]), 0
    period = period or latest_period(snapshot.table("estimates"))
    inds = {i.id: i for i in config.indicators}
    sel = chg[(chg["period"] == period) & (chg["subgroup_dimension"] == "all") & chg["indicator"].isin(inds)].copy()
    names, division_of = _names(snapshot, config)
    if division != ALL_DIVISIONS:
        keep = ((sel["level"] == "division") & (sel["geography_code"] == division)) | (
            (sel["level"] == "area") & (sel["geography_code"].map(division_of) == division))
        sel = sel[keep]
    is_area = sel["level"] == "area"
    area_tests = int((is_area & sel["flag"].isin(("better", "similar", "worse"))).sum())
    sel = sel[sel["flag"].isin(FLAGGED)].copy()
    order = {"force": 0, "division": 1, "area": 2}
    sel["geography"] = sel["geography_code"].map(names).fillna(sel["geography_code"])
    sel["indicator_name"] = sel["indicator"].map(lambda i: f"{inds[i].short_name}: {inds[i].name}")
    sel["verdict"] = sel["flag"]
    sel["level_order"] = sel["level"].map(order)
    return (sel.sort_values(["level_order", "geography", "indicator", "compared_with"]).reset_index(drop=True),
            area_tests)


def flagged_areas(snapshot, config, division: str, period: str | None = None) -> tuple[pd.DataFrame, int]:
    """Every area (in the division, or the force) whose published flag against the force is
    better or worse in ``period``, for every indicator, with names; and how many area
    comparisons the published rule tested there (flag better, similar or worse)."""
    ac = optional_table(snapshot, "area_comparisons")
    period = period or latest_period(snapshot.table("estimates"))
    inds = {i.id: i for i in config.indicators}
    if ac is None:
        return pd.DataFrame(columns=["area_code", "indicator", "flag"]), 0
    sel = ac[(ac["period"] == period) & ac["indicator"].isin(inds)]
    if division != ALL_DIVISIONS:
        sel = sel[sel["division_code"] == division]
    tested = int(sel["flag"].isin(("better", "similar", "worse")).sum())
    names, _ = _names(snapshot, config)
    order = {i.id: k for k, i in enumerate(config.indicators)}
    sel = sel[sel["flag"].isin(FLAGGED)].copy()
    sel["area_name"] = sel["area_code"].map(names).fillna(sel["area_code"])
    sel["indicator_name"] = sel["indicator"].map(lambda i: f"{inds[i].short_name}: {inds[i].name}")
    sel["indicator_order"] = sel["indicator"].map(order)
    return sel.sort_values(["indicator_order", "flag", "area_name"]).reset_index(drop=True), tested
