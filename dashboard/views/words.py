"""The one vocabulary of the views: polarity, flag words, symbols and colours, geography level
names, method sentences and the way a level is written. Pages, exports and the meeting pack
all take their words from here (no Dash imports, no statistics).

A flag is the verdict the ingest published for a geography under the force's significance
policy (``dashboard.stats.policy``): better, similar, worse, not tested or suppressed, with
polarity already applied. Views show it; they never test anything again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..stats.disclosure import withheld_reason
from ..stats.policy import FLAGS, percent

__all__ = ["FLAGS", "percent"]

# Paul Tol's colour-blind-safe "bright"/"vibrant" pairs (https://personal.sron.nl/~pault/): blue for
# better, red for worse. Colour never stands alone: every flag also has a word and a shape.
BETTER, SIMILAR, WORSE = "#0077BB", "#DDDDDD", "#CC3311"
FLAGGED = ("better", "worse")  # the flags that colour a geography or mark a change

FLAG_WORD = {"better": "Better", "similar": "Similar", "worse": "Worse", "not tested": "Not tested",
             "suppressed": "Withheld"}
# Marker shapes (plotly symbols) and the same shapes as text, for hover, tables and legends.
FLAG_SYMBOL = {"better": "triangle-up", "similar": "circle", "worse": "triangle-down", "not tested": "circle-open",
               "suppressed": "x"}
FLAG_GLYPH = {"better": "▲", "similar": "●", "worse": "▼", "not tested": "○", "suppressed": "×"}
# Marker and line colours (on white), map fills, and pale cell backgrounds that keep dark text legible.
FLAG_COLOUR = {"better": BETTER, "similar": "#777777", "worse": WORSE, "not tested": "#BBBBBB",
               "suppressed": "#BBBBBB"}
FLAG_FILL = {"better": BETTER, "similar": SIMILAR, "worse": WORSE, "not tested": "#F7F7F7", "suppressed": "#FFFFFF"}
FLAG_TINT = {"better": "#CFE6F5", "similar": "#F4F4F4", "worse": "#F6D1C8", "not tested": "#FFFFFF",
             "suppressed": "#FFFFFF"}

# A change's direction (the sign of the difference, whatever its significance) and its marker.
DIRECTION_GLYPH = {"up": "▲", "down": "▼", "none": ""}
DIRECTION_SYMBOL = {"up": "triangle-up", "down": "triangle-down", "none": "circle"}
DIRECTION_WORD = {"up": "rise", "down": "fall", "none": "no change"}

POLARITY_WORDS = {"higher": "higher is better", "lower": "lower is better", "nearer_zero": "nearer zero is better"}
BETTER_WHEN = {"higher": "higher", "lower": "lower", "nearer_zero": "nearer zero"}

LEVEL_NAMES = {"force": "force", "division": "division", "area": "area"}

WITHHELD = "withheld"

# What a page or section says where its data is absent: one sentence, never an empty chart.
NO_SURVEY_RESULTS = "No survey results are published for this force, so no survey figures are shown here."
NO_INDICATORS = "This force's configuration defines no survey indicators: it publishes recorded crime only."
NO_AREA_RESULTS = ("No survey results are published for any area of this force: its surveys (if any) are "
                   "reported for divisions or the force only.")
NO_MAP_DATA = ("Nothing is published for the areas of this force: the map needs area-level survey results or "
               "crime rates.")
NO_CRIME_RATES = ("No crime rates are published for this force: they need police.uk crime data and the "
                  "population of at least one area.")
NO_GAP_RESULTS = "No results are published for this gap indicator."
NO_GAP_INDICATORS = "This force's catalogue has no gap indicator (a difference between two groups)."
NO_PROFILE = ("No survey with respondent-level data by area is published for this force: who answered cannot be "
              "set against who lives there.")


def polarity_words(polarity: str) -> str:
    """'higher is better', 'lower is better' or 'nearer zero is better'."""
    return POLARITY_WORDS[polarity]


def better_when(polarity: str) -> str:
    return BETTER_WHEN[polarity]


def flag_word(flag) -> str:
    return FLAG_WORD.get(flag, str(flag))


def level_name(config, level: str) -> str:
    """The configuration's name for a geography level ('division' may be a BCU elsewhere)."""
    names = getattr(config, "level_names", None) or {}
    return names.get(level, LEVEL_NAMES.get(level, level))


# --- the small-base flag (statistics.small_base_flag, per level) ---------------------------------
DAGGER = "†"


def base_text(base, small_base: bool = False) -> str:
    """An unweighted base as shown: '1,234', '62 †' where the published small-base flag is set,
    or 'withheld' where disclosure control withholds it."""
    if base is None or (isinstance(base, float) and math.isnan(base)):
        return WITHHELD
    try:
        return f"{int(base):,}" + (f" {DAGGER}" if small_base else "")
    except (TypeError, ValueError):
        return WITHHELD


def small_base_note(config) -> str:
    """What † means for this force: '† marks a base under 100 for the force and divisions and
    under 65 for an area: its interval is wide; read it with care.'"""
    by_value: dict[int, list[str]] = {}
    for level, value in config.small_base_flag.items():
        by_value.setdefault(value, []).append(level_name(config, level) + ("s" if level != "force" else ""))
    parts = [f"under {value:,} for " + " and ".join(("the " if names[0] == level_name(config, "force") else "")
                                                     + name for name in names)
             for value, names in sorted(by_value.items(), reverse=True)]
    return (f"{DAGGER} marks a base (respondents) " + " and ".join(parts)
            + ": its interval is wide, so read it with care.")
# --- end of the small-base flag ------------------------------------------------------------------


def withheld_note(threshold: int) -> str:
    """Why a figure is withheld, the same for every withheld figure (the published reason)."""
    return withheld_reason(threshold)


def ci(confidence: float) -> str:
    """'95% CI'."""
    return f"{percent(confidence)} CI"


def interval(confidence: float) -> str:
    """'95% interval'."""
    return f"{percent(confidence)} interval"


def vs_force_phrase(flag, force: str = "the force") -> str:
    """'better than the force', 'similar to the force', 'not tested', 'withheld (base too small)'."""
    return {"better": f"better than {force}", "worse": f"worse than {force}", "similar": f"similar to {force}",
            "not tested": "not tested", "suppressed": "withheld (base too small)"}.get(flag, str(flag))


def change_phrase(flag, direction) -> str:
    """A change's verdict in words: 'significant rise, better', 'no significant change', ..."""
    if flag in FLAGGED:
        return f"significant {DIRECTION_WORD.get(direction, 'change')}, {flag}"
    return {"similar": "no significant change", "not tested": "not tested",
            "suppressed": "withheld (base too small)"}.get(flag, str(flag))


def gap_phrase(flag) -> str:
    """SPI 3b: 'yes: the gap differs from zero', 'no evidence of a gap', 'cannot tell (withheld)'."""
    return {"worse": "yes: the gap differs from zero", "similar": "no evidence of a gap",
            "suppressed": f"{CANNOT_TELL.lower()} (withheld)", "not tested": "not tested"}.get(flag, str(flag))


# Method sentences: what each published figure is, in the words every view and file uses.
def estimate_method(confidence: float) -> str:
    return (f"Wilson score {interval(confidence)} on the effective base (Kish's, or the survey's published "
            f"design effect) (docs/methods.md)")


def difference_method(confidence: float) -> str:
    return (f"Newcombe's hybrid score {interval(confidence)} for a difference of two independent proportions "
            f"(docs/methods.md)")


@dataclass(frozen=True)
class Policy:
    """The published ``significance_policy`` row: the rule, its levels, and its sentences."""

    rule: str
    q: float
    level: float
    confidence: float
    areas: int
    label: str
    area_text: str
    change_text: str
    force_text: str
    trend_confidence: float | None = None
    trend_periods: int | None = None

    @classmethod
    def from_row(cls, row: dict) -> Policy:
        def opt(key, kind):
            v = row.get(key)
            return None if v is None or (isinstance(v, float) and math.isnan(v)) else kind(v)

        return cls(rule=str(row["rule"]), q=float(row["q"]), level=float(row["level"]),
                   confidence=float(row["confidence"]), areas=int(row["areas"]), label=str(row["label"]),
                   area_text=str(row["area_text"]), change_text=str(row["change_text"]),
                   force_text=str(row["force_text"]), trend_confidence=opt("trend_confidence", float),
                   trend_periods=opt("trend_periods", int))

    def text_for(self, level: str) -> str:
        """The sentence for a verdict at this geography level, on a comparison with the force."""
        return self.area_text if level == "area" else self.force_text

    def change_text_for(self, level: str) -> str:
        return self.change_text if level == "area" else self.force_text


# --- commander's worklist and pack (issue 13, items 7 and 10) -------------------------------------
# What a worklist reason says, and what it cannot list for a force that lacks a table.
CHANGE_VERB = {"up": "rose", "down": "fell"}
WORKLIST_KINDS = {  # kind -> what it means, as a download's column says it
    "change": "changed significantly",
    "target": "against target",
    "vs_force": "differs from the force",
    "resource": "resource level changed",
    "own_matrix": "differs from the force's own matrix",
}
# (kind, verdict) -> the short heading of a group of reasons (the page's and the pack's).
WORKLIST_GROUP = {
    ("change", "worse"): "Significantly worse than before", ("change", "better"): "Significantly better than before",
    ("target", "missed"): "Missed target", ("target", "not distinguishable from target"): "Cannot tell from target",
    ("vs_force", "worse"): "Worse than the force", ("vs_force", "better"): "Better than the force",
    ("resource", "changed"): "Resource level changed", ("own_matrix", "differs"): "Differs from the force's own matrix",
}
WORKLIST_NOTHING = ("Nothing here is on the worklist: no area changed significantly, missed or could not be told "
                    "from a target, changed resource level, or differs from the force's own matrix or from the force.")
WORKLIST_CRIME_ONLY = ("This force publishes recorded crime only, so the worklist cannot list anything: significant "
                       "changes, target verdicts, comparisons with the force, resource levels and the force's own "
                       "matrix all need survey results or a crime/worry matrix.")
WORKLIST_NO_CHANGES = ("No changes between periods are published for areas, so no area is listed for a significant "
                       "change.")
WORKLIST_NO_TARGETS = "No targets are set for this force, so nothing is listed against a target."
WORKLIST_DIVISION_TARGETS = ("Targets are set for the force and divisions only, not for areas: the division's own "
                             "rows are listed for targets.")
WORKLIST_NO_COMPARISONS = "No area is compared with the force here, so none is listed for differing from it."
WORKLIST_NO_MATRIX = ("No crime/worry matrix is published for this force, so no area is listed for a changed "
                      "resource level or for differing from the force's own matrix.")
WORKLIST_ONE_MATRIX_PERIOD = ("The crime/worry matrix is published for one period only ({period}), so no change of "
                              "resource level can be listed.")
WORKLIST_NO_SUPPLIED = "The force supplied no matrix of its own, so no area is listed for differing from it."
# Where the pack sends the reader for what it leaves out.
WORKLIST_WHERE = ("The whole worklist, every reason in full words, is on the dashboard's Worklist page (/worklist) "
                  "with CSV and Excel downloads.")
MATRIX_TABLE_WHERE = ("the dashboard's Crime and worry page (/matrix), 'Download CSV' or 'Download Excel' above the "
                      "table of areas.")


def indicator_label(short_name: str, name: str) -> str:
    """'SPI 1e: Satisfaction with the whole experience'; the name alone where the short name only
    abbreviates it (their first four letters agree: 'Worry: car crime', 'Worried about car crime')."""
    same = short_name[:4].casefold() == name[:4].casefold()
    return name if same or short_name == name else f"{short_name}: {name}"


def allowing_for_chance(label: str) -> str:
    """'after allowing for chance (BH FDR 5%)': the area rule, in plain words with its label."""
    return f"after allowing for chance ({label})"


def band_word(level: str) -> str:
    """A matrix band ('high', 'low', 'nd') in words."""
    return {"nd": "not distinguishable from average"}.get(level, str(level))
# --- end commander's worklist and pack -----------------------------------------------------------


# --- The key of the meeting board and the tartan rug (issue 13) --------------------------------
# One key for every cell that carries a verdict: the five published flags plus "no comparison"
# (nothing is published to compare with: no target, not assessed, MSF or outcome at force level
# only, no earlier period). Each state has a shape, a word and a colour. The shapes are not
# arrows: an arrow (DIRECTION_GLYPH) means one thing everywhere, the direction of a change (rose
# or fell); better or worse is said in words and colour.
NO_COMPARISON = "no comparison"
KEY_STATES = FLAGS + (NO_COMPARISON,)
KEY_GLYPH = {"better": "✓", "similar": "=", "worse": "✗", "not tested": "○", "suppressed": "⊘",
             NO_COMPARISON: "–"}
KEY_WORD = {**FLAG_WORD, NO_COMPARISON: "No comparison"}  # 'Withheld', as every page and the glossary say
# Board cells are filled with the map's strong colours (FLAG_FILL: they carry across a room and
# survive a projector); the rug's dense grid keeps the pale FLAG_TINT. Text on each fill keeps a
# contrast of at least 4.5:1 (white on the blue and the red, near-black on the greys).
KEY_FILL = {**FLAG_FILL, NO_COMPARISON: "#FFFFFF"}
KEY_TEXT = {"better": "#FFFFFF", "worse": "#FFFFFF", "similar": "#212529", "not tested": "#212529",
            "suppressed": "#212529", NO_COMPARISON: "#212529"}
KEY_MEANING = {
    "better": "significantly better than the MSF average or an earlier period; target met; outcome exceeding",
    "similar": ("no significant difference; not distinguishable from the target; outcome meeting; for a gap, "
                "no evidence that it differs from zero"),
    "worse": ("significantly worse than the MSF average or an earlier period; target missed; outcome failing to "
              "meet; for a gap, it differs from zero"),
    "not tested": "the published rule did not test it",
    "suppressed": "too few respondents to publish: the figure is withheld and every verdict on it is 'cannot tell'",
    NO_COMPARISON: ("nothing to compare with: no target, not assessed by HMIC, no MSF data, force level only, or no "
                    "earlier period"),
}
KEY_ARROWS = "▲ rose, ▼ fell: the direction of a significant change (never better or worse)"
CANNOT_TELL = "Cannot tell"
# Cell words for the published verdicts of targets, HMIC outcomes and gaps, with their key state.
TARGET_STATE = {"met": "better", "missed": "worse", "not distinguishable from target": "similar",
                "suppressed": "suppressed"}
TARGET_WORD = {"met": "Met", "missed": "Missed", "not distinguishable from target": "Not distinguishable"}
OUTCOME_STATE = {"exceeding": "better", "meeting": "similar", "failing to meet": "worse"}
GAP_WORD = {"worse": "Significant gap", "similar": "No evidence of a gap", "not tested": "Not tested"}


def force_figure_note(config) -> str:
    """How a headline row under a division says it shows the force's figure (the indicator's
    survey has no results by division): 'force figure — not surveyed by division'."""
    return f"force figure — not surveyed by {level_name(config, 'division')}"


def suppressed_note(threshold: int) -> str:
    """'base below 50': beside every suppressed figure on the board (the whole reason is in the key)."""
    return f"base below {threshold}"


# --- Issue 13, charts: geography labels, trend words, source line, suppressed areas ----------------
# One block so that the charts' vocabulary is found in one place (dashboard/figures take it from here).
FORCE_ONLY = force_figure_note(None)  # where a chart has no configuration at hand

# Fingertips' recent-trend words: the published test's direction, then better / worse from the
# indicator's polarity (the direction is the published one; nothing is tested here).
TREND_DIRECTION_WORD = {"increasing": "increasing", "decreasing": "decreasing"}
TREND_BETTER = {("increasing", "higher"): True, ("decreasing", "higher"): False,
                ("increasing", "lower"): False, ("decreasing", "lower"): True}
NO_TREND = "no significant change"
TOO_FEW_PERIODS = "trend not tested (too few periods)"

# A marker's direction against a reference (the force): ▲ higher, ▼ lower, whatever the polarity;
# better or worse is said in words and colour.
VALUE_DIRECTION_SYMBOL = {"higher": "triangle-up", "lower": "triangle-down"}
VALUE_DIRECTION_GLYPH = {"higher": "▲", "lower": "▼"}


def trend_words(direction, polarity: str) -> str:
    """'increasing and getting better', 'decreasing and getting worse', 'no significant change' (the
    published ``trends.direction``), 'increasing' alone where the polarity says neither."""
    if direction not in TREND_DIRECTION_WORD:
        return NO_TREND if direction == NO_TREND else TOO_FEW_PERIODS
    better = TREND_BETTER.get((direction, polarity))
    if better is None:
        return TREND_DIRECTION_WORD[direction]
    return f"{direction} and getting {'better' if better else 'worse'}"


def trend_flag(direction, polarity: str) -> str:
    """The colour key of a published trend: better / worse, or similar (no significant change)."""
    better = TREND_BETTER.get((direction, polarity))
    return "similar" if better is None else ("better" if better else "worse")


def value_direction(value: float, reference: float) -> str:
    """'higher' or 'lower' than the reference (the sign of the difference only)."""
    return "higher" if value >= reference else "lower"


def suppressed_label(threshold: int) -> str:
    """What a suppressed area is called in a map's key and hover: 'suppressed (base below 50)'."""
    return f"suppressed ({suppressed_note(threshold)})"


def source_line(surveys, period: str | None, snapshot: str | None) -> str:
    """'Source: Victim user satisfaction survey, 2008/09; snapshot 20261130-…' for a chart's foot."""
    names = ", ".join(dict.fromkeys(s for s in surveys if s)) or "published snapshot"
    when = f", {period}" if period else ""
    # The snapshot's id (one long word) on a line of its own: it never has to break.
    return f"Source: {names}{when}" + (f";<br>snapshot {snapshot}" if snapshot else "")


def flag_finding(flags, level: str = "area", force: str = "the force") -> str:
    """A chart title's finding from published flags only: '3 of 5 divisions significantly better than
    the force, 1 significantly worse'; 'no area differs significantly from the force'."""
    flags = [f for f in flags if f in ("better", "worse", "similar")]
    better, worse = flags.count("better"), flags.count("worse")
    if not flags:
        return ""
    if not better and not worse:
        plural = {"area": "areas", "division": "divisions"}.get(level, level + "s")
        return f"none of {len(flags)} {plural} tested differs significantly from {force}"
    parts = []
    if better:
        parts.append(f"significantly better than {force}")
    if worse:
        parts.append("significantly worse")
    head = count_finding(better if better else worse, len(flags), parts[0] if better else
                         f"significantly worse than {force}", level)
    return head + (f", {worse} {parts[1]}" if better and worse else "")


def flag_direction_glyph(flag, value, reference) -> str:
    """▲ / ▼ beside a better / worse flag: the direction of the value against the reference (▲
    higher, ▼ lower), whatever the polarity; the shape of other flags."""
    if flag in FLAGGED and value == value and reference is not None and reference == reference:
        return VALUE_DIRECTION_GLYPH[value_direction(value, reference)]
    return FLAG_GLYPH.get(flag, "")


POLICE_RECORDED = "police-recorded crime (police.uk)"  # the source of every crime rate


def count_finding(n: int, total: int, what: str, level: str) -> str:
    """'3 of 5 divisions significantly below the force' (counts of published flags only)."""
    plural = level if total == 1 else {"area": "areas", "division": "divisions"}.get(level, level + "s")
    return f"{n} of {total} {plural} {what}"
# --- end of issue 13 chart vocabulary ------------------------------------------------------------------
