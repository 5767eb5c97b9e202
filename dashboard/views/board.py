"""The meeting board: one row per headline indicator and one cell per comparison, each cell a
state of the one key (``words.KEY_STATES``: better, similar, worse, not tested, suppressed, no
comparison) with its shape, its word and a short second line, and the full sentences one click
away. Shared by the overview page and the meeting pack (no Dash imports, no statistics: every
state is a published flag or verdict, never a test made here).

Rules the cells keep:

* a suppressed figure says "Withheld" (base below the threshold), never a value, and every
  verdict on it says "Cannot tell";
* a comparison that does not exist says why ("No target", "Not assessed", "Force only", ...):
  never a blank cell;
* an arrow is the direction of a significant change (rose / fell), written beside the
  difference; better or worse is the word and the colour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import periods
from .headline import (
    Headline,
    change_text,
    estimate_text,
    group_name,
    headline_rows,
    msf_text,
    target_text,
)
from .select import ALL_DIVISIONS, latest_period, optional_table, significance_policy
from .words import (
    CANNOT_TELL,
    DIRECTION_GLYPH,
    FLAGGED,
    GAP_WORD,
    KEY_ARROWS,
    KEY_FILL,
    KEY_GLYPH,
    KEY_MEANING,
    KEY_STATES,
    KEY_TEXT,
    KEY_WORD,
    NO_COMPARISON,
    OUTCOME_STATE,
    TARGET_STATE,
    TARGET_WORD,
    base_text,
    ci,
    force_figure_note,
    gap_phrase,
    suppressed_note,
)

#: The board's comparison columns, in order (the indicator and its value come first).
VERDICT_COLUMNS = ("target", "msf", "previous", "baseline", "outcome")


@dataclass(frozen=True)
class Cell:
    """One board cell. ``state`` is a key state (None: a published figure, which carries no
    verdict); ``word`` the figure or the verdict; ``note`` the short second line; ``arrow`` the
    direction of a significant change ('▲' rose, '▼' fell), else ''."""

    state: str | None
    word: str
    note: str = ""
    arrow: str = ""

    @property
    def glyph(self) -> str:
        return KEY_GLYPH.get(self.state, "")

    @property
    def fill(self) -> str | None:
        return KEY_FILL.get(self.state)

    @property
    def text_colour(self) -> str | None:
        return KEY_TEXT.get(self.state)


@dataclass(frozen=True)
class BoardRow:
    """One headline indicator: its cells by column (``value`` and :data:`VERDICT_COLUMNS`), the
    note that it is the force's figure under a division (or None) and its detailed sentences."""

    indicator_id: str
    short_name: str
    name: str
    where: str | None
    cells: dict[str, Cell]
    details: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    subheader: str


@dataclass(frozen=True)
class Context:
    """What the words of a row need besides its published results."""

    confidence: float
    threshold: int
    previous_label: str
    baseline_label: str
    division: bool  # a division is shown (MSF and outcomes exist for the force only)
    force_figure_note: str
    msf_indicators: frozenset = frozenset()  # the indicators with a published MSF comparison


def _no(word: str, note: str = "") -> Cell:
    return Cell(NO_COMPARISON, word, note)


def _cannot_tell() -> Cell:
    return Cell("suppressed", CANNOT_TELL)


def _suppressed(e) -> bool:
    return e is not None and bool(e.suppressed)


def value_cell(h: Headline, ctx: Context) -> Cell:
    """The latest figure with its interval and base; for a gap the points with both bases."""
    e = h.estimate
    if e is None:
        return _no("No data")
    if e.suppressed:
        return Cell("suppressed", KEY_WORD["suppressed"], suppressed_note(ctx.threshold))
    if hasattr(e, "gap"):
        return Cell(None, f"{e.gap:+.1f} pts",
                    f"{e.lower:+.1f} to {e.upper:+.1f} · n {base_text(e.base_1)} / {base_text(e.base_2)}")
    return Cell(None, f"{e.value:.1f}%", f"{e.lower_95:.1f}–{e.upper_95:.1f} · n {base_text(e.base)}")


def _flag_cell(flag, difference=None, arrow: str = "") -> Cell:
    """A published flag (better / similar / worse / not tested / suppressed) and its difference."""
    if flag == "suppressed":
        return _cannot_tell()
    note = "" if difference is None or difference != difference else f"{difference:+.1f} pts"
    if flag in FLAGGED:
        return Cell(flag, KEY_WORD[flag], f"{arrow} {note}".strip(), arrow)
    if flag in KEY_STATES:
        return Cell(flag, KEY_WORD[flag], note)
    return _no("No comparison")


def target_cell(h: Headline, ctx: Context) -> Cell:
    """Met / missed / not distinguishable; for a gap indicator, whether the gap differs from zero
    (its standard: no gap)."""
    e = h.estimate
    if h.indicator.kind == "gap" and h.target is None:
        if e is None:
            return _no("No data")
        if _suppressed(e) or e.flag == "suppressed":
            return _cannot_tell()
        if e.flag in GAP_WORD:
            return Cell("not tested" if e.flag == "not tested" else e.flag, GAP_WORD[e.flag], "standard: no gap")
        return _no("No comparison")
    if h.target is None:
        return _no("No target")
    if _suppressed(e) or h.target.verdict == "suppressed":
        return _cannot_tell()
    state = TARGET_STATE.get(h.target.verdict)
    if state is None:
        return _no("No comparison")
    return Cell(state, TARGET_WORD.get(h.target.verdict, str(h.target.verdict).capitalize()),
                f"target {h.target.target:g}%")


def msf_cell(h: Headline, ctx: Context) -> Cell:
    if h.indicator.id not in ctx.msf_indicators:
        return _no("No MSF data")
    if ctx.division and not h.force_figure:
        return _no("Force only", "MSF: force level")
    if h.msf is None:
        return _no("No MSF data")
    if _suppressed(h.estimate):
        return _cannot_tell()
    return _flag_cell(h.msf.flag, h.msf.difference)


def change_cell(h: Headline, chg) -> Cell:
    if chg is None:
        return _no("No comparison")
    if _suppressed(h.estimate) or bool(chg.suppressed):
        return _cannot_tell()
    arrow = DIRECTION_GLYPH.get(chg.direction, "") if chg.flag in FLAGGED else ""
    return _flag_cell(chg.flag, chg.difference, arrow)


def outcome_cell(h: Headline, ctx: Context) -> Cell:
    if not h.indicator.assessed:
        return _no("Not assessed")
    if ctx.division and not h.force_figure:
        return _no("Force only", "HMIC: force level")
    if h.outcome is None:
        return _no("Not published")
    if _suppressed(h.estimate):
        return _cannot_tell()
    state = OUTCOME_STATE.get(h.outcome.verdict)
    return Cell(state, str(h.outcome.verdict).capitalize()) if state else _no("Not published")


def details(h: Headline, ctx: Context) -> tuple[str, ...]:
    """The sentences behind the cells (what the cards used to say), each with its interval."""
    ind, e = h.indicator, h.estimate
    lines = [f"Latest: {estimate_text(e, ctx.confidence)}"
             + (f" ({ctx.force_figure_note})" if h.force_figure else "")
             + (f"; {suppressed_note(ctx.threshold)}" if _suppressed(e) else "") + "."]
    if ind.kind == "gap" and e is not None:
        lines.append(f"Is there a gap between {group_name(e.group_1)} and {group_name(e.group_2)}? "
                     f"{gap_phrase(e.flag)}.")
    lines += [change_text(h.previous, ind, ctx.previous_label), change_text(h.baseline, ind, ctx.baseline_label)]
    if h.msf is not None:
        lines.append(msf_text(h.msf, ind))
    elif ctx.division and not h.force_figure and ind.id in ctx.msf_indicators:
        lines.append("vs MSF: compared for the force only.")
    if h.target is not None:
        lines.append(target_text(h.target))
    if h.outcome is not None:
        lines.append(f"Indicative outcome (force): {h.outcome.verdict}. {h.outcome.reasons}")
    return tuple(lines)


def board_row(h: Headline, ctx: Context) -> BoardRow:
    cells = {"value": value_cell(h, ctx), "target": target_cell(h, ctx), "msf": msf_cell(h, ctx),
             "previous": change_cell(h, h.previous), "baseline": change_cell(h, h.baseline),
             "outcome": outcome_cell(h, ctx)}
    ind = h.indicator
    return BoardRow(ind.id, ind.short_name, ind.name, ctx.force_figure_note if h.force_figure else None, cells,
                    details(h, ctx))


def context(snapshot, config, division: str, period: str) -> Context:
    previous = periods.comparison_period(config, period)
    msf = optional_table(snapshot, "msf_comparisons")
    return Context(confidence=significance_policy(snapshot).confidence, threshold=config.suppression_threshold,
                   previous_label=previous or periods.previous_phrase(config).removeprefix("the "),
                   baseline_label=config.baseline_period, division=division != ALL_DIVISIONS,
                   force_figure_note=force_figure_note(config),
                   msf_indicators=frozenset() if msf is None else frozenset(msf["indicator"].unique()))


def board_rows(snapshot, config, division: str, period: str | None = None) -> list[BoardRow]:
    """The board for the force (``division == "all"``) or a division, in the headline order."""
    period = period or latest_period(snapshot.table("estimates"))
    ctx = context(snapshot, config, division, period)
    return [board_row(h, ctx) for h in headline_rows(snapshot, config, division, period)]


def board_columns(snapshot, config, period: str) -> list[Column]:
    """The value column and the comparison columns this force publishes: MSF only with MSF data,
    the HMIC outcome only where an indicator is assessed."""
    ctx = context(snapshot, config, ALL_DIVISIONS, period)
    cols = [Column("value", periods.period_phrase(config, period), f"value, {ci(ctx.confidence)}, base"),
            Column("target", "Target", "met or missed"),
            Column("msf", "vs MSF", "most similar forces"),
            Column("previous", f"vs {ctx.previous_label}", "previous"),
            Column("baseline", f"vs {ctx.baseline_label}", "baseline"),
            Column("outcome", "HMIC outcome", "indicative")]
    if optional_table(snapshot, "msf_comparisons") is None:
        cols = [c for c in cols if c.key != "msf"]
    if not any(i.assessed for i in config.indicators):
        cols = [c for c in cols if c.key != "outcome"]
    return cols


def key_entries() -> list[tuple[str, str, str, str]]:
    """(state, glyph, word, meaning) of every state of the key, in order."""
    return [(s, KEY_GLYPH[s], KEY_WORD[s], KEY_MEANING[s]) for s in KEY_STATES]


def arrows_sentence() -> str:
    return KEY_ARROWS
