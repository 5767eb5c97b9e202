"""The meeting pack: one PDF per division (or the whole force) for a performance meeting or a
panel paper, built only from the live snapshot's published tables; and the one-page profile
of an area.

Sections, in order: overview of the headline indicators, targets, significant changes of the
force and divisions, the commander's worklist (``views.worklist``: the areas, with their
reasons), recorded crime, the crime/worry matrix (its chart with every point labelled by area
code, and the areas by resource level), equality (the configured gap indicators) and
definitions. A force without survey results gets the one sentence that says so in place of the
survey sections. The full table of every area's matrix figures is not printed: the pack says
where to download it. Sections follow one another on the page (a section starts a new page only
where its chart would not fit), so that no page is left nearly blank.

The division's name and the snapshot are on page one; every percentage carries its interval
and base, and every verdict is the published test's (nothing is called better or worse here
that the tables do not say). Charts are drawn by kaleido with the system Chromium (see
``figures.images``), tables and text by ReportLab, on A4.
"""

from __future__ import annotations

import datetime as dt
import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from . import periods
from .figures.charts import gap_chart, matrix_scatter
from .figures.images import figure_image
from .views.choices import (
    crime_rates,
    equality_indicators,
    gaps_shown,
    geography_labels,
    has_survey_results,
    measure_name,
    short_names,
)
from .views.glossary import entry, force_detail
from .views.headline import (
    change_text,
    estimate_text,
    headline_rows,
    msf_text,
    overall_outcome,
    significant_changes,
    target_text,
)
from .views.select import (
    ALL_DIVISIONS,
    latest_period,
    matrix_selection,
    optional_table,
    resource_levels,
    significance_policy,
)
from .views.words import (
    MATRIX_TABLE_WHERE,
    NO_CRIME_RATES,
    NO_GAP_INDICATORS,
    NO_GAP_RESULTS,
    NO_SURVEY_RESULTS,
    WORKLIST_GROUP,
    WORKLIST_NOTHING,
    WORKLIST_WHERE,
    allowing_for_chance,
    base_text,
    ci,
    difference_method,
    estimate_method,
    gap_phrase,
    interval,
    polarity_words,
    small_base_note,
)
from .views.worklist import Worklist, worklist

WIDTH = A4[0] - 30 * mm
# ReportLab's built-in Helvetica covers Windows-1252 only: arrows become words (the text says it anyway).
_PLAIN = str.maketrans({"▲": "", "▼": "", "◆": "", "†": "+", "≥": ">=", "≤": "<="})


class PackError(ValueError):
    pass


def resolve_division(config, name: str) -> str:
    """A division's code from its code or name (any case), 'all' for the whole force; else PackError."""
    wanted = name.strip().casefold()
    if wanted in {"all", "force", config.force_name.casefold(), (config.force_short_name or "").casefold()}:
        return ALL_DIVISIONS
    for d in config.divisions:
        if wanted in (d.code.casefold(), d.name.casefold()):
            return d.code
    known = ", ".join(f"{d.name} ({d.code})" for d in config.divisions)
    raise PackError(f"no division called {name!r}; choose one of: {known}, or 'all' for the whole force")


def _styles(scale: float = 1.0) -> dict:
    """The pack's paragraph styles; ``scale`` shrinks the small print and table text (a pack is
    set again smaller when its last page would be nearly empty, or a profile would not fit)."""
    base = getSampleStyleSheet()
    return {"memo": {}, "scale": scale, **_text_styles(base, scale)}


def _text_styles(base, scale: float) -> dict:
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontSize=20, leading=24, alignment=0),
        "division": ParagraphStyle("division", parent=base["Title"], fontSize=28, leading=34, alignment=0,
                                   spaceBefore=6, spaceAfter=6),
        "h1": ParagraphStyle("h1", parent=base["Heading1"], fontSize=15, leading=19, spaceBefore=4),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontSize=12, leading=15),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontSize=9.5, leading=12.5),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontSize=8 * scale, leading=10 * scale),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontSize=7.5 * scale, leading=9.2 * scale),
        "warn": ParagraphStyle("warn", parent=base["BodyText"], fontSize=10, leading=13, backColor="#FFF3CD",
                               borderColor="#997404", borderWidth=0.5, borderPadding=4, spaceBefore=4, spaceAfter=8),
    }


def _p(text, style) -> Paragraph:
    return Paragraph(escape(str(text)).translate(_PLAIN), style)


def _h(text, style) -> list:
    """A heading, on a new page when less than 30 mm are left (a heading never ends a page; a long
    table after it still starts on the same page, unlike ReportLab's keepWithNext)."""
    return [CondPageBreak(30 * mm), _p(text, style)]


def _table(header: list[str], rows: list[list], widths: list[float], st) -> Table:
    data = [[_p(h, st["cell"]) for h in header]] + [[c if isinstance(c, Flowable) else _p(c, st["cell"])
                                                     for c in row] for row in rows]
    t = Table(data, colWidths=[w * WIDTH for w in widths], repeatRows=1)
    t.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E9ECEF")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#ADB5BD")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return t


def _chart(fig, height_mm: float, width_px: int, height_px: int, st, key: str) -> Image:
    """A chart drawn once per pack (``st["memo"]`` keeps it for another setting of the pages)."""
    if key not in st["memo"]:
        st["memo"][key] = figure_image(fig, "png", width=width_px, height=height_px)
    return Image(io.BytesIO(st["memo"][key]), width=WIDTH, height=height_mm * mm)


class _End(Flowable):
    """Draws nothing; records the page and height where the story ended (for how full the last
    page is)."""

    def __init__(self, record: dict):
        super().__init__()
        self.record = record

    def wrap(self, avail_width, avail_height):
        return 0, 0

    def draw(self):
        self.record["page"] = self.canv.getPageNumber()
        self.record["y"] = self.canv.absolutePosition(0, 0)[1]


def _headlines(snapshot, config, division, period, st) -> list:
    if "headlines" not in st["memo"]:
        st["memo"]["headlines"] = headline_rows(snapshot, config, division, period)
    return st["memo"]["headlines"]


def _overview(snapshot, config, division, period, st) -> list:
    out = [*_h("Headline indicators", st["h1"])]
    conf = significance_policy(snapshot).confidence
    rows = []
    for h in _headlines(snapshot, config, division, period, st):
        ind = h.indicator
        where = "" if h.estimate is None or division == ALL_DIVISIONS or h.estimate.level != "force" else \
            " (force figure: surveyed at force level only)"
        comparisons = [change_text(h.previous, ind, periods.previous_phrase(config).removeprefix("the ")),
                       change_text(h.baseline, ind, config.baseline_period)]
        if h.msf is not None:
            comparisons.append(msf_text(h.msf, ind))
        rows.append([f"{ind.short_name}: {ind.name}", estimate_text(h.estimate, conf) + where, "; ".join(comparisons),
                     f"{h.outcome.verdict}: {h.outcome.reasons}" if h.outcome is not None else "not assessed here"])
    header = ["Indicator", f"{periods.period_phrase(config, period)}: value ({ci(conf)}, base)",
              f"Changes and MSF ({ci(conf)})", "Indicative outcome (force)"]
    if not any(i.assessed for i in config.indicators):  # no indicator of the HMIC outcome: no such column
        header, rows = header[:3], [r[:3] for r in rows]
    out.append(_table(header, rows, [0.26, 0.26, 0.48] if len(header) == 3 else [0.22, 0.22, 0.34, 0.22], st))
    overall = overall_outcome(snapshot)
    if overall is not None:
        out.append(_p(f"Overall indicative outcome for the force: {overall.verdict} ({overall.reasons}). "
                      "Indicative: the statistical part of HMIC's assessment only.", st["small"]))
    return out


def _targets(snapshot, config, division, period, st) -> list:
    out = [*_h("Targets", st["h1"])]
    conf = significance_policy(snapshot).confidence
    rows = [[f"{h.indicator.short_name}: {h.indicator.name}", estimate_text(h.estimate, conf), target_text(h.target),
             h.target.method] for h in _headlines(snapshot, config, division, period, st) if h.target is not None]
    if not rows:
        return out + [_p("No targets are set for this geography.", st["body"])]
    out.append(_table(["Indicator", f"Value ({ci(conf)}, base)", "Target and verdict", "Method"], rows,
                      [0.3, 0.25, 0.3, 0.15], st))
    out.append(_p(f"Met or missed only when the whole {interval(conf)} is above or below the target; otherwise "
                  "'not distinguishable'. P(meets) is the posterior probability (Jeffreys prior) that the true "
                  "value meets the target.", st["small"]))
    return out


def _changes(snapshot, config, division, period, st) -> list:
    policy = significance_policy(snapshot)
    where = "the force and divisions" if division == ALL_DIVISIONS else "the division"
    out = [*_h("Significant changes only", st["h1"]),
           _p(f"Changes of {where} in {period} against {periods.previous_phrase(config)} and the baseline "
              f"({config.baseline_period}) whose published flag is better or worse. "
              f"{policy.force_text} Everything not listed showed no evidence of a change, or its base was too "
              "small to say. Areas' changes are in the worklist below.", st["small"])]
    sig, _ = significant_changes(snapshot, config, division, period)
    sig = sig[sig["level"] != "area"]
    if sig.empty:
        return out + [_p("No significant changes.", st["body"])]
    labels = {"previous": periods.previous_phrase(config).removeprefix("the "), "baseline": "baseline"}
    inds = {i.id: i for i in config.indicators}
    rows = [[r.geography, inds[r.indicator].short_name, f"{labels.get(r.compared_with, r.compared_with)} "
             f"({r.reference_period})", f"{r.difference:+.1f} pts ({r.lower:+.1f} to {r.upper:+.1f})",
             r.flag, base_text(r.base)] for r in sig.itertuples()]
    return out + [_table(["Geography", "Indicator", "Compared with", f"Change ({ci(policy.confidence)})",
                          "Verdict", "Base"], rows, [0.2, 0.3, 0.18, 0.18, 0.08, 0.06], st)]


# The force's pack lists the areas with these reasons in full (and counts the rest by division);
# a division's pack lists every reason of every area.
FORCE_PACK_KINDS = {("change", "worse"), ("target", "missed"), ("resource", "changed")}


def worklist_rows(wl: Worklist, force_pack: bool) -> list[list]:
    """The pack's worklist table: one row per area (or a division's own target rows): its name,
    its division and its reasons, each group of reasons under its heading ({heading: [reason with
    figures]}); the force's pack only the kinds of ``FORCE_PACK_KINDS``."""
    out = []
    for _division, geos in wl.groups():
        for level, code, name, reasons in geos:
            if force_pack:
                reasons = [r for r in reasons if (r["kind"], r["verdict"]) in FORCE_PACK_KINDS]
            if not reasons:
                continue
            parts: dict[str, list[str]] = {}
            for r in reasons:
                parts.setdefault(WORKLIST_GROUP[(r["kind"], r["verdict"])], []).append(r["short"])
            geo = f"{name} ({code})" if level == "area" else f"{name} division (its own figures)"
            out.append([geo, reasons[0]["division_name"], parts])
    return out


def _worklist(snapshot, config, division, st) -> list:
    policy = significance_policy(snapshot)
    if "worklist" not in st["memo"]:  # the same list for every setting of the pages
        st["memo"]["worklist"] = worklist(snapshot, config, division)
    wl = st["memo"]["worklist"]
    out = [*_h("Commander's worklist", st["h1"])]
    out += [_p(text, st["small"]) for text in wl.cannot]
    if wl.rows.empty:
        return out + ([_p(WORKLIST_NOTHING, st["body"])] if wl.period else [])
    force_pack = division == ALL_DIVISIONS
    counts = wl.rows[wl.rows["level"] == "area"].groupby(["kind", "verdict"])["geography_code"].nunique()
    out.append(_p(f"{wl.areas():,} areas are on the worklist ({wl.period}): "
                  + ", ".join(f"{counts[k]} {WORKLIST_GROUP[k].lower()}" for k in WORKLIST_GROUP if k in counts)
                  + f". Changes and differences from the force are those flagged {allowing_for_chance(policy.label)}"
                  f" ({policy.change_text} {policy.area_text}) Figures: value ({interval(policy.confidence)}, "
                  f"base) against the force or target. {WORKLIST_WHERE}", st["small"]))
    if force_pack:
        out.append(_division_counts(wl, config, st))
        out.append(Spacer(1, 3 * mm))
        heads = ", ".join(WORKLIST_GROUP[k].lower() for k in WORKLIST_GROUP if k in FORCE_PACK_KINDS)
        out.append(_p(f"Listed here in full: areas with a reason of these kinds ({heads}); each division's pack "
                      "lists every reason of every area.", st["small"]))
    rows = worklist_rows(wl, force_pack)
    if not rows:
        return out + [_p("No area has a reason of these kinds.", st["body"])]
    rows = [[geo, division_name, _reasons(parts, st)] for geo, division_name, parts in rows]
    if not force_pack:  # one division: its name is on page one
        return out + [_table(["Area", "Why it is on the list, with value (interval, base)"],
                             [[r[0], r[2]] for r in rows], [0.18, 0.82], st)]
    return out + [_table(["Area", "Division", "Why it is on the list, with value (interval, base)"], rows,
                         [0.17, 0.13, 0.7], st)]


def _reasons(parts: dict[str, list[str]], st) -> Paragraph:
    """Each group of an area's reasons on a line of its own, its heading in bold."""
    lines = [f"<b>{escape(head)}:</b> " + escape("; ".join(items)) for head, items in parts.items()]
    return Paragraph("<br/>".join(lines).translate(_PLAIN), st["cell"])


def _division_counts(wl: Worklist, config, st) -> Table:
    """Areas on the worklist by division and reason: the force's view of the divisions' lists."""
    areas = wl.rows[wl.rows["level"] == "area"]
    keys = [k for k in WORKLIST_GROUP if ((areas["kind"] == k[0]) & (areas["verdict"] == k[1])).any()]
    rows = []
    for d in config.divisions:
        mine = areas[areas["division_code"] == d.code]
        rows.append([d.name, f"{mine['geography_code'].nunique():,}"] + [
            str(mine.loc[(mine["kind"] == k[0]) & (mine["verdict"] == k[1]), "geography_code"].nunique())
            for k in keys])
    width = 0.62 / max(len(keys), 1)
    return _table(["Division", "Areas listed"] + [WORKLIST_GROUP[k] for k in keys], rows,
                  [0.24, 0.14] + [width] * len(keys), st)


def _undrawn(m) -> str:
    """The sentence for areas the chart cannot place (an index withheld or not calculated)."""
    n = int((m["crime_index"].isna() | m["worry_index"].isna()).sum())
    return "" if not n else (f" {n} of {len(m)} areas are not drawn: their worry index is withheld (too few "
                             "respondents) or their crime index cannot be calculated; they are marked * below.")


def labelled_matrix(m, levels, cuts, confidence):
    """The matrix scatter of ``figures.charts`` with every point labelled by its area code, for
    paper (where hover does not work)."""
    fig = matrix_scatter(m, levels, cuts, confidence)
    for trace in fig.data:
        part = m[m["resource_level"] == trace.name]
        trace.update(mode="markers+text", text=part["area_code"].tolist(), textposition="top center",
                     textfont={"size": 11 if len(m) <= 60 else 9, "color": "#222222"})
    return fig


def _matrix(snapshot, config, division, st) -> list:
    out = [CondPageBreak(150 * mm), *_h("Crime and worry matrix", st["h1"])]
    sel = matrix_selection(snapshot, config, "latest", division)
    if sel is None or sel[1].empty:
        window = f"{config.matrix.crime_window_months} months" if config.matrix else "a full window"
        return out + [_p(f"No crime/worry matrix is published for this force: it needs {window} of crime data and "
                         "respondent-level data of the worry-side survey.", st["body"])]
    period, m, cuts = sel
    levels = resource_levels(config)
    counts = m["resource_level"].value_counts()
    conf = significance_policy(snapshot).confidence
    out.append(_p(f"{period} (crime {m['crime_window'].iat[0]}, survey {m['survey_window'].iat[0]}): "
                  + ", ".join(f"{counts.get(name, 0)} {name}" for name, _ in levels[::-1])
                  + f". An area is high or low only when its whole {interval(conf)} clears the line (100 = force "
                  "average); otherwise 'not distinguishable'. Colour and marker shape both give the level; each "
                  "point carries its area code (names below)." + _undrawn(m), st["body"]))
    out.append(_chart(labelled_matrix(m, levels, cuts, conf), 125, 1100, 760, st, "matrix"))
    rows = []
    for name, _ in levels[::-1]:
        part = m[m["resource_level"] == name].sort_values("area_code")
        if len(part):
            rows.append([f"{name} ({len(part)})", ", ".join(
                f"{r.area_code} {r.area_name}" + (" (held)" if r.held else "")
                + ("*" if r.crime_index != r.crime_index or r.worry_index != r.worry_index else "")
                for r in part.itertuples())])
    out += _h("Areas by resource level", st["h2"])
    out.append(_table(["Resource level", "Areas (code and name)"], rows, [0.18, 0.82], st))
    out.append(_p(f"Every area's crime and worry index with its {interval(conf)}, band, engagement advice and the "
                  f"force's own classification: {MATRIX_TABLE_WHERE}", st["small"]))
    return out


def _crime(snapshot, config, division, st) -> list:
    """Recorded crime per 1,000 residents for the division (or force) and the force, latest period
    with crime data, from the published ``crime_rates``; the sentence that says so without it."""
    out = [Spacer(1, 5 * mm), *_h("Recorded crime", st["h1"])]
    rates = crime_rates(snapshot)
    if rates is None:
        return out + [_p(NO_CRIME_RATES, st["body"])]
    period = max(rates["period"].unique(), key=list(config.period_labels).index)
    latest = rates[(rates["period"] == period) & (rates["level"] != "area")]
    force = latest[latest["level"] == "force"].set_index("measure")
    geo = config.force_code if division == ALL_DIVISIONS else division
    mine = latest[latest["geography_code"] == geo].set_index("measure")
    conf = significance_policy(snapshot).confidence
    f = force.iloc[0]
    left_out = int(mine["areas_left_out"].iat[0])
    out.append(_p(f"{periods.period_phrase(config, period)}: {int(f.months)} month(s) of crime data ({f.window}). "
                  "Rates per 1,000 residents with "
                  f"exact Poisson {interval(conf)}s, over the areas with a known population only"
                  + (f": {left_out} area(s) here have no known population and are left out, their crimes with them."
                     if left_out else "."), st["small"]))

    def rate(r) -> str:
        if r["rate"] != r["rate"]:
            return "population not known"
        # Monthly rates of rarer crimes are small: two decimals keep them from reading 0.0.
        d = 1 if r["rate"] >= 1 else 2
        return f"{r['rate']:.{d}f} ({r['lower']:.{d}f}–{r['upper']:.{d}f}), {int(r['count']):,} crimes"

    if division == ALL_DIVISIONS:  # the force is "here": one column
        rows = [[measure_name(m), rate(force.loc[m])] for m in force.index]
        return out + [_table(["Measure", "Force: rate per 1,000 (interval), count"], rows, [0.5, 0.5], st)]
    rows = [[measure_name(m), rate(mine.loc[m]), rate(force.loc[m])] for m in mine.index]
    return out + [_table(["Measure", "Division: rate per 1,000 (interval), count", "Force"], rows, [0.4, 0.3, 0.3],
                         st)]


def _equality(snapshot, config, division, st) -> list:
    policy = significance_policy(snapshot)
    inds = equality_indicators(config)
    out = [CondPageBreak(110 * mm), *_h("Equality: gaps between groups", st["h1"])]
    if not inds:
        return out + [_p(NO_GAP_INDICATORS, st["body"])]
    out += [_p(f"{i.short_name}: {i.name}. {i.definition}", st["small"]) for i in inds]
    out.append(_p(f"Each gap is the first group's value minus the second's, with its {interval(policy.confidence)} "
                  f"(Newcombe). {policy.force_text} Small bases: 'no evidence of a gap' means the survey cannot "
                  "tell, not that there is no gap; 'cannot tell' means the bases are withheld.", st["small"]))
    gaps = gaps_shown(snapshot, config, division)
    if gaps is None or gaps.empty:
        return out + [_p(NO_GAP_RESULTS, st["body"])]
    labels, names = geography_labels(config), short_names(config)
    chart = gap_chart(gaps, labels, names)
    chart.update_layout(margin={"l": 90})  # room for the long axis title on paper
    out.append(_chart(chart, 70, 1100, 480, st, "equality"))
    order = list(config.period_labels).index
    latest = gaps[gaps["period"] == max(gaps["period"].unique(), key=order)]
    rows = [[names.get(r.indicator, r.indicator), labels.get(r.geography_code, r.geography_code),
             f"{r.group_1}: " + ("suppressed" if r.suppressed else f"{r.value_1:.1f}% (n = {base_text(r.base_1)})"),
             f"{r.group_2}: " + ("suppressed" if r.suppressed else f"{r.value_2:.1f}% (n = {base_text(r.base_2)})"),
             r.suppression_reason if r.suppressed else f"{r.gap:+.1f} ({r.lower:+.1f} to {r.upper:+.1f})",
             gap_phrase(r.flag)] for r in latest.itertuples()]
    out.append(_table(["Indicator", "Geography", "First group", "Second group",
                       f"Gap, pts ({ci(policy.confidence)}), {latest['period'].iat[0]}", "Gap differs from zero?"],
                      rows, [0.14, 0.16, 0.17, 0.17, 0.2, 0.16], st))
    return out


def definition_rows(config) -> list[list[str]]:
    """The definitions table: indicator, source, definition, polarity (words from views.words)."""
    return [[f"{i.short_name}: {i.name}", config.surveys[i.survey].name if i.survey in config.surveys else i.survey,
             i.definition, polarity_words(i.polarity)] for i in config.indicators]


def method_sentences(config, policy) -> list[str]:
    crime = ("Crime rates: police.uk crime per 1,000 residents with exact (Garwood) Poisson intervals, over the "
             "areas with a known population only; not tested against one another. Full references in "
             "docs/methods.md.")
    if not config.indicators:  # recorded crime only: none of the survey methods applies
        return [crime]
    return [
        f"Intervals: {estimate_method(policy.confidence)}.",
        f"Changes and gaps: {difference_method(policy.confidence)}.",
        f"What is marked: areas ({policy.label}): {policy.area_text} Area changes: {policy.change_text} "
        f"{policy.force_text}",
        "MSF comparison: force against the plain mean of its most similar forces (force excluded), z-test with "
        f"both uncertainties, at {interval(policy.confidence)}.",
        f"Disclosure: estimates on fewer than {config.suppression_threshold} respondents are withheld (their bases "
        "too). " + small_base_note(config),
        "Crime/worry matrix: exact (Garwood) Poisson intervals for crime rates; worry index Taylor-linearised "
        "over respondents. Full references in docs/methods.md.",
    ]


def _definitions(snapshot, config, st) -> list:
    out = [*_h("Definitions and methods", st["h1"])]
    if config.indicators:
        out.append(_table(["Indicator", "Source", "Definition", "Polarity"], definition_rows(config),
                          [0.25, 0.17, 0.42, 0.16], st))
        out.append(Spacer(1, 3 * mm))
    for text in method_sentences(config, significance_policy(snapshot)):
        out.append(_p(text, st["small"]))
    out.append(Spacer(1, 2 * mm))
    out.append(_p("Terms used in this pack (the dashboard's Glossary page, /glossary, has them all):", st["small"]))
    out.append(_table(["Term", "What it means"], glossary_rows(config, PACK_TERMS), [0.22, 0.78], st))
    return out


# The glossary entries the pack's pages use (views/glossary.py holds their words).
PACK_TERMS = ("interval", "base", "small-base", "suppression", "significance", "fdr", "msf", "target", "p-meets",
              "hmic-outcome", "resource-level")


def glossary_rows(config, keys) -> list[list[str]]:
    """[term, plain-English text with this force's thresholds] for each glossary key."""
    rows = []
    for key in keys:
        e = entry(key)
        rows.append([e.term, " ".join(t for t in (e.text, force_detail(key, config)) if t)])
    return rows


# The pack is set at these sizes of small print in turn until its last page is at least this full
# (or it has fewer pages): a last page with a few lines on it is a wasted sheet.
SCALES = (1.0, 0.93, 0.86)
LAST_PAGE_MIN = 0.3


def _pack_story(snapshot, config, division, st, now) -> tuple[list, str, str, str | None]:
    surveyed = has_survey_results(snapshot)
    period = latest_period(snapshot.table("estimates")) if surveyed else None
    names = {d.code: d.name for d in config.divisions}
    title_geo = names.get(division, f"{config.force_name} (whole force)")
    subject = "Public confidence and victim satisfaction" if config.indicators else "Recorded crime"
    story = [_p(f"{subject}: meeting pack", st["title"]),
             _p(title_geo if division == ALL_DIVISIONS else f"{title_geo} division", st["division"]),
             _p(f"{config.force_name}. " + (f"Latest period {period}. " if period else "")
                + f"Snapshot {snapshot.id}, published "
                f"{now:%d %B %Y %H:%M} UTC.", st["body"])]
    if snapshot.synthetic:
        story.append(_p("Synthetic demonstration data: every figure in this pack is generated by the software to "
                        "show how it works; none describes a real force, area, person or crime.", st["warn"]))
    if surveyed:
        story += _overview(snapshot, config, division, period, st)
        story += [Spacer(1, 5 * mm)] + _targets(snapshot, config, division, period, st)
        story += [Spacer(1, 5 * mm)] + _changes(snapshot, config, division, period, st)
    else:
        story += [*_h("Survey results", st["h1"]), _p(NO_SURVEY_RESULTS, st["body"])]
    story += [Spacer(1, 5 * mm)] + _worklist(snapshot, config, division, st)
    story += _crime(snapshot, config, division, st)
    if optional_table(snapshot, "matrix") is not None:
        story += [Spacer(1, 5 * mm)] + _matrix(snapshot, config, division, st)
    if surveyed:
        story += [Spacer(1, 5 * mm)] + _equality(snapshot, config, division, st)
    story += [Spacer(1, 5 * mm)] + _definitions(snapshot, config, st)
    return story, title_geo, subject, period


def published_at(snapshot) -> dt.datetime:
    """When the snapshot was published (its manifest's ``created``, UTC): the time a pack or profile
    built from it states, so that rebuilding one gives the same bytes."""
    try:
        return dt.datetime.fromisoformat(snapshot.manifest["created"]).astimezone(dt.UTC)
    except (KeyError, TypeError, ValueError):
        return dt.datetime.strptime(snapshot.id, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=dt.UTC)


def _pdf_date(when: dt.datetime):
    """ReportLab's date formatter for the PDF's CreationDate and ModDate: ``when``, in UTC."""
    stamp = when.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'")
    return lambda *_: stamp


def _render(story, title: str, footer_text: str, subject: str, author: str,
            when: dt.datetime | None = None) -> tuple[bytes, int, float]:
    """(PDF bytes, pages, how full the last page is: 0 to 1 of the space between the margins).

    The same story gives the same bytes: ReportLab's ``invariant`` mode takes the clock and the
    random part out of the file's ID (a digest of the content; ReportLab user guide, rl_config
    ``invariant``), and the dates written are ``when`` (the snapshot's publication time). Two
    workers building one pack at different moments once made files one timestamp apart."""
    def footer(canvas, doc):
        if when is not None:
            canvas.setDateFormatter(_pdf_date(when))
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(15 * mm, 10 * mm, footer_text)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"page {doc.page}")
        canvas.restoreState()

    end: dict = {}
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=18 * mm, title=title, author=author, subject=subject, invariant=1)
    doc.build([*story, _End(end)], onFirstPage=footer, onLaterPages=footer)
    top, bottom = A4[1] - 15 * mm, 18 * mm
    return buf.getvalue(), end["page"], (top - end["y"]) / (top - bottom)


def build_pack(snapshot, config, division: str, now: dt.datetime | None = None) -> bytes:
    """The meeting pack for a division code (or 'all') as PDF bytes; the same bytes every time it
    is built from one snapshot (``now``, the time it states, is the snapshot's publication)."""
    now = now or published_at(snapshot)
    memo: dict = {}  # charts, worklist and headline rows: made once, set at every size
    best = None
    for scale in SCALES:
        st = {**_styles(scale), "memo": memo}
        story, title_geo, subject, period = _pack_story(snapshot, config, division, st, now)
        footer = (f"{title_geo} · {config.force_short_name or config.force_name} · snapshot {snapshot.id}"
                  + (" · SYNTHETIC DATA" if snapshot.synthetic else ""))
        pdf, pages, last = _render(story, f"Meeting pack: {title_geo}", footer,
                                   subject + (f", {period}" if period else ""), config.force_name, now)
        if best is None or pages < best[1]:
            best = (pdf, pages)
        if last >= LAST_PAGE_MIN or pages == 1:
            return pdf if pages <= best[1] else best[0]
    return best[0]
