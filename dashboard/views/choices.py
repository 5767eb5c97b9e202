"""What the pages show first, and whether they have anything to show: the one place where the
force configuration's ``[display]`` choices meet their fallbacks (no Dash imports).

Every rule reads the configuration and the published snapshot only; no indicator, survey or
period id of any force is written here:

* map indicator: ``display.map_indicator`` if it has area results, else the first area-level
  indicator (catalogue order) that has; the map also offers the published crime rates, and
  shows them first where no area has survey results;
* headline set: ``display.headline``, else the indicators (not gaps) HMIC assessed or given a
  target that have results, else every indicator (not a gap) that has results, so that a force
  without SPIs still gets a meeting board and a first page in its pack; then each gap indicator
  with results that is assessed or given a target itself, or is the gap in an indicator of that
  set (the white / minority-ethnic gap in victim satisfaction beside satisfaction), right after
  the indicator it is the gap of;
* equality: ``display.equality``, else every gap indicator of the catalogue.
"""

from __future__ import annotations

import pandas as pd

from ..data.store import per_snapshot, snapshot_at
from .select import ALL_DIVISIONS, CRIME_PREFIX, area_indicators, optional_table


def _snapshot_key(snapshot) -> tuple[str, str | None]:
    return snapshot.key, getattr(snapshot, "variant", None)


@per_snapshot(maxsize=8)
def _published(snapshot_key: str, variant: str | None) -> dict[str, frozenset]:
    """Indicator ids with any published estimate, those with area-level ones, and the periods with
    survey estimates and with crime rates (snapshots never change: worked out once)."""
    snapshot = snapshot_at(snapshot_key, variant)
    rates = crime_rates(snapshot)
    crime_periods = frozenset() if rates is None else frozenset(rates["period"].unique())
    est = optional_table(snapshot, "estimates")
    gaps = optional_table(snapshot, "gaps")
    gap_ids = frozenset() if gaps is None else frozenset(gaps["indicator"].unique())
    if est is None or est.empty:
        return {"any": frozenset(), "area": frozenset(), "survey_periods": frozenset(), "crime_periods": crime_periods,
                "gaps": gap_ids}
    return {"any": frozenset(est["indicator"].unique()),
            "area": frozenset(est.loc[est["level"] == "area", "indicator"].unique()),
            "survey_periods": frozenset(est["period"].unique()), "crime_periods": crime_periods, "gaps": gap_ids}


def has_survey_results(snapshot) -> bool:
    """Whether the snapshot publishes any survey estimate (a crime-only force does not)."""
    return bool(_published(*_snapshot_key(snapshot))["any"])


def periods_with_results(snapshot, config, crime: bool | None = None) -> list[str]:
    """Periods with survey estimates (``crime`` False), crime rates (True) or either (None),
    latest first."""
    published = _published(*_snapshot_key(snapshot))
    have = set()
    if crime is not True:
        have |= published["survey_periods"]
    if crime is not False:
        have |= published["crime_periods"]
    return [p for p in reversed(config.period_labels) if p in have]


def with_results(snapshot, indicators) -> list:
    published = _published(*_snapshot_key(snapshot))["any"]
    return [i for i in indicators if i.id in published]


def map_indicators(snapshot, config) -> list:
    """The area-level indicators (not gaps) with published area results, in catalogue order."""
    published = _published(*_snapshot_key(snapshot))["area"]
    return [i for i in area_indicators(config) if i.id in published]


def map_indicator(snapshot, config) -> str | None:
    """The indicator a map (and an area's funnel plot) shows first; None when no area has results."""
    offered = [i.id for i in map_indicators(snapshot, config)]
    configured = config.display.map_indicator
    if configured in offered:
        return configured
    return offered[0] if offered else None


def crime_choices(snapshot) -> list[tuple[str, str]]:
    """(choice, label) of the published crime measures a map can show: baskets first, then types."""
    return list(_crime_choices(*_snapshot_key(snapshot)))


@per_snapshot(maxsize=8)
def _crime_choices(snapshot_key: str, variant: str | None) -> tuple[tuple[str, str], ...]:
    rates = crime_rates(snapshot_at(snapshot_key, variant))
    if rates is None:
        return ()
    measures = sorted(set(rates["measure"]), key=lambda m: (not m.startswith("basket:"), m))
    return tuple((CRIME_PREFIX + m, f"Recorded crime: {measure_name(m)}, per 1,000 residents") for m in measures)


def crime_summary(snapshot, config, latest_only: bool = True) -> pd.DataFrame | None:
    """Recorded crime for the force and each division, the latest period's (or every period's):
    the configured baskets (every crime type when there are none), with count, residents, rate
    per 1,000 and its exact interval, and the areas left out for want of a population. None
    without crime rates."""
    rates = crime_rates(snapshot)
    if rates is None:
        return None
    rows = rates[rates["level"].isin(["force", "division"])]
    if latest_only:
        rows = rows[rows["period"] == max(rates["period"].unique(), key=list(config.period_labels).index)]
    baskets = rows["measure"].str.startswith("basket:")
    rows = rows[baskets] if baskets.any() else rows
    names = {config.force_code: config.force_name} | {d.code: d.name for d in config.divisions}
    order = {code: k for k, code in enumerate(names)}
    return rows.assign(geography=rows["geography_code"].map(names), measure_name=rows["measure"].map(measure_name),
                       _order=rows["geography_code"].map(order)).sort_values(["_order", "measure"]).drop(
                           columns="_order")


def measure_name(measure: str) -> str:
    """'Burglary', or a configured basket's name in words: 'basket:all_crime' -> 'all crime (basket)'."""
    if measure.startswith("basket:"):
        return measure.removeprefix("basket:").replace("_", " ") + " (basket)"
    return measure


def map_choices(snapshot, config) -> list[tuple[str, str]]:
    """(choice, label) of everything the map can show: the area-level survey indicators with
    results, then the crime measures."""
    return [(i.id, f"{i.short_name}: {i.name}") for i in map_indicators(snapshot, config)] + crime_choices(snapshot)


def map_choice(snapshot, config) -> str | None:
    """What the map shows first: :func:`map_indicator`, else (a force without area survey results)
    the first crime measure; None when there is neither."""
    crime = crime_choices(snapshot)
    return map_indicator(snapshot, config) or (crime[0][0] if crime else None)


def headline_indicators(snapshot, config) -> list:
    """The overview's meeting board and the pack's first page, in order (see the module docstring)."""
    if config.display.headline:
        return [config.indicator(i) for i in config.display.headline]
    scored = [i for i in config.indicators if i.kind != "gap"]
    chosen = with_results(snapshot, [i for i in scored if i.assessed or i.target is not None])
    chosen = chosen or with_results(snapshot, scored)
    if not chosen:  # no survey results at all: no gap either
        return []
    ids = {i.id for i in chosen}
    published_gaps = _published(*_snapshot_key(snapshot))["gaps"]
    gaps = [g for g in config.indicators if g.kind == "gap" and g.id in published_gaps
            and (g.assessed or g.target is not None or g.of in ids)]
    out = []
    for ind in chosen:
        out += [ind] + [g for g in gaps if g.of == ind.id]
    return out + [g for g in gaps if g.of not in ids]


def equality_indicators(config) -> list:
    """The gap indicators the equality page and the pack show, in order."""
    if config.display.equality:
        return [config.indicator(i) for i in config.display.equality]
    return [i for i in config.indicators if i.kind == "gap"]


def crime_rates(snapshot):
    """The published crime rates, or None (no crime data, or no period with it)."""
    rates = optional_table(snapshot, "crime_rates")
    return None if rates is None or rates.empty else rates


def gaps_shown(snapshot, config, division: str):
    """The published results of :func:`equality_indicators` for the force and every division, or
    the force and one division; None when the snapshot has no gap results."""
    gaps = optional_table(snapshot, "gaps")
    if gaps is None:
        return None
    gaps = gaps[gaps["indicator"].isin([i.id for i in equality_indicators(config)])]
    if division == ALL_DIVISIONS:
        return gaps[gaps["level"].isin(["force", "division"])]
    return gaps[(gaps["level"] == "force") | (gaps["geography_code"] == division)]


def geography_labels(config) -> dict[str, str]:
    """The force (by its short name) and each division, as charts and the pack label their lines."""
    return {config.force_code: config.force_short_name or config.force_name,
            **{d.code: d.name for d in config.divisions}}


def short_names(config) -> dict[str, str]:
    """Each indicator's short name ('SPI 1e'), by id."""
    return {i.id: i.short_name for i in config.indicators}
