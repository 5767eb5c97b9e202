"""The one-page area profile (PDF), linked from the area page: the area's indicators against its
division and the force, its crime/worry matrix band and advice, its reasons on the commander's
worklist and its recorded crime, on one A4 page, from the live snapshot's published tables.
Set with the meeting pack's styles and tables (``dashboard.pack``), smaller until it fits."""

from __future__ import annotations

import datetime as dt

from reportlab.lib.styles import ParagraphStyle

from . import periods
from .pack import _p, _render, _styles, _table, published_at
from .views.choices import crime_rates, has_survey_results, measure_name
from .views.headline import estimate_text
from .views.select import area_indicators, latest_period, optional_table, significance_policy
from .views.words import (
    NO_AREA_RESULTS,
    NO_CRIME_RATES,
    NO_SURVEY_RESULTS,
    WORKLIST_GROUP,
    band_word,
    base_text,
    ci,
    interval,
    polarity_words,
    vs_force_phrase,
)
from .views.worklist import worklist

PROFILE_SCALES = (1.0, 0.9, 0.8, 0.72, 0.65)


class ProfileError(LookupError):
    pass


def _profile_indicators(snapshot, config, code, division, period, st) -> list:
    policy = significance_policy(snapshot)
    est = snapshot.table("estimates")
    est = est[(est["period"] == period) & (est["subgroup_dimension"] == "all")]
    mine = {(r.indicator, r.level): r for r in est[
        ((est["level"] == "area") & (est["geography_code"] == code))
        | ((est["level"] == "division") & (est["geography_code"] == division)) | (est["level"] == "force")
    ].itertuples()}
    ac = optional_table(snapshot, "area_comparisons")
    flags = {} if ac is None else dict(ac.loc[(ac["period"] == period) & (ac["area_code"] == code),
                                              ["indicator", "flag"]].itertuples(index=False))
    rows = []
    for ind in area_indicators(config):
        a = mine.get((ind.id, "area"))
        if a is None:
            continue
        d, f = mine.get((ind.id, "division")), mine.get((ind.id, "force"))
        flag = "suppressed" if a.suppressed else flags.get(ind.id, "not tested")
        rows.append([f"{ind.short_name}: {ind.name}", estimate_text(a, policy.confidence),
                     "" if d is None or d.suppressed else f"{d.value:.1f}%",
                     "" if f is None or f.suppressed else f"{f.value:.1f}%", vs_force_phrase(flag),
                     polarity_words(ind.polarity)])
    if not rows:
        return [_p(NO_AREA_RESULTS, st["body"])]
    return [_p(f"Every indicator, {periods.period_phrase(config, period)}", st["h2"]),
            _table(["Indicator", f"Area ({ci(policy.confidence)}, base)", "Division", "Force",
                    f"Compared with the force ({policy.label})", "Polarity"], rows,
                   [0.3, 0.24, 0.08, 0.08, 0.17, 0.13], st),
            _p(policy.area_text, st["small"])]


def _profile_matrix(snapshot, config, code, st) -> list:
    m = optional_table(snapshot, "matrix")
    if m is None or not (m["area_code"] == code).any():
        return []
    order = list(config.period_labels)
    r = m[m["area_code"] == code].sort_values("period", key=lambda s: s.map(
        lambda p: order.index(p) if p in order else len(order))).iloc[-1]
    conf = significance_policy(snapshot).confidence
    crime = ("not calculated (population not known)" if r.crime_index != r.crime_index else
             f"{r.crime_index:.0f} ({ci(conf)} {r.crime_lower:.0f}–{r.crime_upper:.0f}), {band_word(r.crime_level)}")
    worry = ("suppressed" if r.worry_index != r.worry_index else
             f"{r.worry_index:.0f} ({r.worry_lower:.0f}–{r.worry_upper:.0f}, n = {base_text(r.worry_base)}), "
             f"{band_word(r.worry_level)}")
    return [_p("Crime and worry matrix", st["h2"]),
            _p(f"{r.period}: resource level {r.resource_level}" + (" (held from an earlier period)" if r.held else "")
               + f". Crime index {crime}; worry index {worry} (100 = force average). Engagement: {r.engagement} "
               f"Frequency: {r.frequency}", st["small"])]


def _profile_worklist(snapshot, config, code, division, st) -> list:
    if "worklist" not in st["memo"]:  # the same list for every setting of the page
        st["memo"]["worklist"] = worklist(snapshot, config, division)
    wl = st["memo"]["worklist"]
    mine = wl.rows[(wl.rows["level"] == "area") & (wl.rows["geography_code"] == code)]
    out = [_p("On the commander's worklist", st["h2"])]
    if mine.empty:
        return out + [_p("This area is not on its division's worklist." if wl.period else " ".join(wl.cannot),
                         st["small"])]
    rows = [[WORKLIST_GROUP[(r.kind, r.verdict)], r.reason, r.figures] for r in mine.itertuples()]
    return out + [_table(["Why", "In words", f"Figures ({ci(significance_policy(snapshot).confidence)}, base)"],
                         rows, [0.17, 0.55, 0.28], st)]


def _profile_crime(snapshot, config, code, st) -> list:
    rates = crime_rates(snapshot)
    out = [_p("Recorded crime", st["h2"])]
    if rates is None:
        return out + [_p(NO_CRIME_RATES, st["small"])]
    period = max(rates["period"].unique(), key=list(config.period_labels).index)
    latest = rates[(rates["period"] == period) & ~rates["measure"].str.startswith("basket:")]
    mine = latest[(latest["level"] == "area") & (latest["geography_code"] == code)].set_index("measure")
    force = latest[latest["level"] == "force"].set_index("measure")
    conf = significance_policy(snapshot).confidence
    if mine.empty:
        return out + [_p(f"{period}: no recorded crime is published for this area.", st["small"])]
    known = not mine["rate"].isna().all()

    def rate(r) -> str:
        if r["rate"] != r["rate"]:
            return f"rate not calculated, {int(r['count']):,}"
        d = 1 if r["rate"] >= 1 else 2
        return f"{r['rate']:.{d}f} ({r['lower']:.{d}f}–{r['upper']:.{d}f}), {int(r['count']):,}"

    def force_rate(m) -> str:
        return f"{force.loc[m, 'rate']:.2f}" if m in force.index and force.loc[m, "rate"] == force.loc[m, "rate"] \
            else ""

    rows = [[measure_name(m), rate(mine.loc[m]), force_rate(m)]
            for m in mine.sort_values("count", ascending=False).index]
    f = force.iloc[0]
    what = (f"rate per 1,000 residents with its exact Poisson {interval(conf)} and the count; not tested against the "
            "force" if known else "counts only: the area's population is not known, so no rate is calculated")
    return out + [_p(f"{periods.period_phrase(config, period)} ({f.window}): {what}.", st["small"]),
                  _table(["Crime type", "Area: rate (interval), crimes", "Force rate"], rows, [0.4, 0.4, 0.2], st)]


def _profile_story(snapshot, config, code, st, now) -> list:
    areas = snapshot.table("areas").set_index("area_code")
    area = areas.loc[code]
    surveyed = has_survey_results(snapshot)
    period = latest_period(snapshot.table("estimates")) if surveyed else None
    population = (f"resident population {int(area.population):,}" if area.population == area.population
                  else "population not known")
    story = [_p(f"Area profile: {area.area_name} ({code})", st["title"]),
             _p(f"{area.division_name} division, {config.force_name}; {population}. "
                + (f"Latest survey period {period}. " if period else "")
                + f"Snapshot {snapshot.id}, published {now:%d %B %Y %H:%M} UTC.", st["small"])]
    if snapshot.synthetic:
        story.append(_p("Synthetic demonstration data: generated by the software; it describes no real area.",
                        st["warn"]))
    if surveyed:
        story += _profile_indicators(snapshot, config, code, area.division_code, period, st)
    else:
        story.append(_p(NO_SURVEY_RESULTS, st["small"]))
    story += _profile_matrix(snapshot, config, code, st)
    if surveyed or optional_table(snapshot, "matrix") is not None:
        story += _profile_worklist(snapshot, config, code, area.division_code, st)
    story += _profile_crime(snapshot, config, code, st)
    return story


def build_area_profile(snapshot, config, code: str, now: dt.datetime | None = None) -> bytes:
    """One A4 page on an area (a code of the snapshot's areas; else ProfileError), set smaller
    until it fits on the page."""
    areas = snapshot.table("areas")
    if code not in set(areas["area_code"]):
        raise ProfileError(f"no area {code!r} in this snapshot")
    now = now or published_at(snapshot)  # the same bytes every time (dashboard.pack._render)
    name = areas.set_index("area_code").loc[code, "area_name"]
    footer = (f"{name} ({code}) · {config.force_short_name or config.force_name} · snapshot {snapshot.id}"
              + (" · SYNTHETIC DATA" if snapshot.synthetic else ""))
    kept: dict = {}
    for scale in PROFILE_SCALES:
        st = {**_styles(scale), "memo": kept}
        st.update({k: ParagraphStyle(k, parent=st[k], fontSize=st[k].fontSize * scale,
                                     leading=st[k].leading * scale) for k in ("title", "h2", "body", "warn")})
        pdf, pages, _ = _render(_profile_story(snapshot, config, code, st, now), f"Area profile: {name} ({code})",
                                footer, "Area profile", config.force_name, now)
        if pages == 1:
            return pdf
    return pdf  # the smallest setting: a test checks that every area of the examples fits
