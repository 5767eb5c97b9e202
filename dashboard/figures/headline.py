"""The headline indicators for a geography, and the plain words used for them, shared by the
overview page and the meeting pack (no Dash imports, no statistics: published tables only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .select import ALL_DIVISIONS, latest_period, optional_table

ARROW = {True: "▲", False: "▼"}


@dataclass(frozen=True)
class Headline:
    """One indicator's published results for one geography in one period (rows are itertuples)."""

    indicator: Any
    estimate: Any | None
    previous: Any | None
    baseline: Any | None
    msf: Any | None
    target: Any | None
    outcome: Any | None


def headline_indicators(config) -> list:
    """The indicators HMIC assessed, and those with a target (gaps have their own view)."""
    return [i for i in config.indicators if (i.assessed or i.target is not None) and i.kind != "gap"]


def headline_rows(snapshot, config, division: str, period: str | None = None) -> list[Headline]:
    """For the force (``division == "all"``) or a division. An indicator surveyed only at force
    level shows the force's figure; MSF comparisons and outcomes exist for the force only."""
    est = snapshot.table("estimates")
    period = period or latest_period(est)
    chg = snapshot.table("changes")
    msf = optional_table(snapshot, "msf_comparisons")
    targets = optional_table(snapshot, "targets")
    outcomes = optional_table(snapshot, "outcomes")
    level, geo = ("force", config.force_code) if division == ALL_DIVISIONS else ("division", division)
    out = []
    for ind in headline_indicators(config):
        sel = est[(est.indicator == ind.id) & (est.period == period) & (est.subgroup_dimension == "all")]
        row = sel[(sel.level == level) & (sel.geography_code == geo)]
        if row.empty:
            row = sel[sel.level == "force"]
        e = next(row.itertuples(), None)
        e_level, e_geo = (e.level, e.geography_code) if e is not None else (level, geo)
        c = chg[(chg.indicator == ind.id) & (chg.period == period) & (chg.subgroup_dimension == "all")
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
                outcomes[outcomes.indicator == ind.id].itertuples(), None)))
    return out


def overall_outcome(snapshot):
    outcomes = optional_table(snapshot, "outcomes")
    return None if outcomes is None else next(outcomes[outcomes.indicator == "overall"].itertuples(), None)


def estimate_text(e) -> str:
    if e is None:
        return "no data"
    if e.suppressed:
        return "suppressed"
    return f"{e.value:.1f}% (95% CI {e.lower_95:.1f}–{e.upper_95:.1f}, n = {int(e.base):,})"


def _direction(difference: float, polarity: str) -> str:
    return "better" if (difference > 0) == (polarity == "higher") else "worse"


def _points(row) -> str:
    """'+3.5 pts, 95% CI +0.4 to +6.6': a difference always with its interval."""
    return f"{row.difference:+.1f} pts, 95% CI {row.lower:+.1f} to {row.upper:+.1f}"


def change_text(chg, ind, label: str) -> str:
    """'▲ vs previous year: significantly better (+3.5 pts, 95% CI ...)', or why there is no verdict."""
    if chg is None:
        return f"no comparison with {label}"
    if chg.suppressed:
        return f"vs {label}: suppressed"
    if not chg.significant:
        return f"vs {label}: no significant change ({_points(chg)})"
    return (f"{ARROW[chg.difference > 0]} vs {label}: significantly {_direction(chg.difference, ind.polarity)} "
            f"({_points(chg)})")


def msf_text(msf, ind) -> str:
    head = f"vs MSF average {msf.msf_average:.1f}% ({int(msf.peers)} forces): "
    if msf.significant:
        return head + f"significantly {_direction(msf.difference, ind.polarity)} ({_points(msf)})"
    return head + f"not significantly different ({_points(msf)})"


def target_text(target) -> str:
    text = f"Target {target.target:g}% ({target.period}): {target.verdict}"
    return text if target.verdict == "suppressed" else text + f"; P(meets) = {target.probability_meets:.2f}"


def significant_changes(snapshot, config, division: str, period: str | None = None,
                        q: float = 0.05) -> tuple[pd.DataFrame, int]:
    """Every change in ``period`` that is significant, overall results only, one row each with
    the plain verdict: for the force and divisions (or the division), each at 95%; and for the
    areas in it, only those that stay significant after Benjamini-Hochberg over every area
    change in the selection (false discovery rate ``q``), because among hundreds of area
    comparisons some 5% would otherwise be flagged by chance. ``adjusted_p`` is given for areas.
    Returns the rows and the number of area comparisons tested.
    """
    from ..stats.areas import benjamini_hochberg

    chg = snapshot.table("changes")
    period = period or latest_period(snapshot.table("estimates"))
    inds = {i.id: i for i in config.indicators}
    sel = chg[(chg["period"] == period) & (chg["subgroup_dimension"] == "all") & ~chg["suppressed"]
              & chg["indicator"].isin(inds) & chg["p_value"].notna()].copy()
    areas = snapshot.table("areas")
    division_of = dict(zip(areas["area_code"], areas["division_code"]))
    names = {config.force_code: config.force_short_name or config.force_name,
             **{d.code: d.name for d in config.divisions}, **dict(zip(areas["area_code"], areas["area_name"]))}
    if division != ALL_DIVISIONS:
        keep = ((sel["level"] == "division") & (sel["geography_code"] == division)) | (
            (sel["level"] == "area") & (sel["geography_code"].map(division_of) == division))
        sel = sel[keep]
    is_area = (sel["level"] == "area").to_numpy()
    reject, adjusted = benjamini_hochberg(sel.loc[is_area, "p_value"].to_numpy(), q)
    sel["adjusted_p"] = float("nan")
    sel.loc[is_area, "adjusted_p"] = adjusted
    keep = sel["significant"].to_numpy().copy()
    keep[is_area] &= reject
    sel = sel[keep].copy()
    order = {"force": 0, "division": 1, "area": 2}
    sel["geography"] = sel["geography_code"].map(names).fillna(sel["geography_code"])
    sel["indicator_name"] = sel["indicator"].map(lambda i: f"{inds[i].short_name}: {inds[i].name}")
    sel["verdict"] = [_direction(d, inds[i].polarity) for d, i in zip(sel["difference"], sel["indicator"])]
    sel["level_order"] = sel["level"].map(order)
    return (sel.sort_values(["level_order", "geography", "indicator", "compared_with"]).reset_index(drop=True),
            int(is_area.sum()))
