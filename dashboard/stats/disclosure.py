"""Disclosure control: which survey cells are withheld, and the one function every view and
export passes estimates through.

``cell_suppression`` decides, once per snapshot, which cells of the survey results are hidden:
those on too few respondents (primary) and the further cells (secondary) needed so that no
hidden figure can be worked out by subtraction from the published totals. ``window_suppression``
carries the decision to measures pooled over several periods. ``suppress`` applies a decision to
a table: values, limits, tests, verdicts and the base of every hidden row are withheld together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

KEY = ["indicator", "survey", "level", "geography_code", "period", "subgroup_dimension", "subgroup"]
ALL = "all"  # the subgroup_dimension and subgroup label of the row for every respondent

#: One text for every withheld figure, primary or secondary, so that the reason does not tell
#: an attacker which hidden cell is the small one.
WITHHELD_REASON = ("withheld: fewer than {threshold} respondents, or withheld so that another withheld figure "
                   "cannot be worked out")

_MAX_ROUNDS = 200


def withheld_reason(threshold: int) -> str:
    """The uniform suppression reason for ``threshold``."""
    return WITHHELD_REASON.format(threshold=threshold)


def suppress(frame: pd.DataFrame, threshold: int, small_base: int | Mapping[str, int], base_column: str = "base",
             value_columns: tuple[str, ...] = ("value", "lower", "upper"), hidden=None,
             withheld_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Withhold estimates whose unweighted base is below ``threshold`` (or that ``hidden`` marks);
    flag small bases.

    Parameters
    ----------
    frame : DataFrame
        The table to publish; it is not modified.
    threshold : int
        Minimum unweighted base.
    small_base : int or mapping of geography level to int
        Bases at or above ``threshold`` but below ``small_base`` are flagged. A mapping gives one
        value per ``level`` (force, division, area: ``statistics.small_base_flag``) and is read
        against the frame's ``level`` column (a level it does not name takes its largest value).
    base_column : str
        Column holding the unweighted base.
    value_columns : tuple of str
        Numeric columns set to NaN in withheld rows (values, limits, p-values, z...).
    hidden : bool array-like aligned with ``frame``, optional
        A precomputed decision (``cell_suppression``): rows to withhold whatever their base. When
        given, rows with a base below ``threshold`` are withheld too, the ``base_column`` of every
        withheld row is withheld as well, and the reason is the one uniform text
        (``withheld_reason``), so primary and secondary cells cannot be told apart.
    withheld_columns : tuple of str
        Further columns of any type (verdicts, flags, bases, text) set to missing in withheld rows.

    Returns
    -------
    DataFrame
        A copy with ``suppressed`` (bool), ``suppression_reason`` (text or NA) and ``small_base``
        (bool: at or above the threshold but below ``small_base``); withheld values are NaN, so no
        export can leak them.

    Notes
    -----
    A minimum unweighted base of 50 is the usual rule for survey estimates in UK official
    statistics (e.g. the Crime Survey for England and Wales user guide); the threshold is
    configuration (``statistics.suppression_threshold``). Without ``hidden`` the behaviour is the
    original cell-by-cell rule (reason "base 12 is below 50", base kept), which does not survive
    differencing; the ingest passes ``hidden``.
    """
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1 (got {threshold})")
    out = frame.copy()
    base = out[base_column].astype(float)
    small = base.isna() | (base < threshold)
    if hidden is None:
        withheld = small
    else:
        mask = np.asarray(hidden, dtype=bool)
        if mask.shape != (len(out),):
            raise ValueError(f"hidden must have one entry per row (got {mask.shape[0]} for {len(out)} rows)")
        withheld = small | mask
    for col in value_columns:
        if col in out.columns:
            out[col] = out[col].astype(float).mask(withheld, np.nan)
    for col in withheld_columns:
        if col in out.columns:
            out[col] = out[col].astype(object).mask(withheld, None) if out[col].dtype == bool else \
                out[col].mask(withheld)
    out["suppressed"] = withheld.to_numpy()
    reason = pd.Series(pd.NA, index=out.index, dtype="str")
    if hidden is None:
        reason = reason.mask(withheld, "base " + base.fillna(0).astype(int).astype(str) + f" is below {threshold}")
    else:
        reason = reason.mask(withheld, withheld_reason(threshold))
        out[base_column] = base.mask(withheld)
    out["suppression_reason"] = reason
    if isinstance(small_base, Mapping):
        if "level" not in out.columns:
            raise ValueError("small_base per level needs a level column (give one number for a table of one level)")
        limit = out["level"].map(small_base).astype(float).fillna(max(small_base.values()))
    else:
        limit = small_base
    out["small_base"] = (~withheld & (base < limit)).to_numpy()
    return out


# --- relations -----------------------------------------------------------------------------

def geography_parents(areas: pd.DataFrame, force_code: str) -> dict[str, str]:
    """Area code -> division code and division code -> force code, from the areas table."""
    return {**dict(zip(areas["area_code"], areas["division_code"])),
            **{d: force_code for d in areas["division_code"].dropna().unique()}}


def additive_relations(cells: pd.DataFrame, parent_of: Mapping[str, str]) -> tuple[np.ndarray, np.ndarray,
                                                                                      np.ndarray, np.ndarray]:
    """The additive relations that hold between survey cells: total = Σ members.

    Returns ``(relation, position, is_total, kind)``: one entry per (relation, cell), with the
    cell's position in ``cells`` (0-based), whether it is the relation's total, and the kind of
    relation per entry (``"dimension"`` for R1, ``"geography"`` for R2). Relations are built within
    each (indicator, period):

    * R1, for each level, geography and subgroup dimension: the row for all respondents
      (``subgroup_dimension == subgroup == "all"``) is the sum of that dimension's subgroups;
    * R2, for each subgroup dimension and subgroup: a parent geography (``parent_of`` maps an area
      to its division and a division to the force) is the sum of its children.

    Only relations whose total row exists are returned.
    """
    c = cells[["indicator", "period", "level", "geography_code", "subgroup_dimension", "subgroup"]].reset_index(
        drop=True)
    c["_pos"] = np.arange(len(c))
    parts = []
    # R1: dimension totals.
    g = ["indicator", "period", "level", "geography_code"]
    is_all = (c["subgroup_dimension"] == ALL) & (c["subgroup"] == ALL)
    totals = c[is_all][g + ["_pos"]].rename(columns={"_pos": "_total"})
    members = c[c["subgroup_dimension"] != ALL].merge(totals, on=g, how="inner")
    if len(members):
        rid = members.groupby(g + ["subgroup_dimension"], sort=False).ngroup().to_numpy()
        parts.append((rid, members["_pos"].to_numpy(), members["_total"].to_numpy(), "dimension"))
    # R2: geography totals.
    parent = c["geography_code"].map(dict(parent_of))
    child = c[parent.notna()].assign(_parent=parent[parent.notna()])
    g2 = ["indicator", "period", "subgroup_dimension", "subgroup"]
    tot2 = c[g2 + ["geography_code", "_pos"]].rename(columns={"geography_code": "_parent", "_pos": "_total"})
    members2 = child.merge(tot2, on=g2 + ["_parent"], how="inner")
    if len(members2):
        rid = members2.groupby(g2 + ["_parent"], sort=False).ngroup().to_numpy()
        parts.append((rid, members2["_pos"].to_numpy(), members2["_total"].to_numpy(), "geography"))
    rel, pos, tot, kind, offset = [], [], [], [], 0
    for rid, mpos, tpos, k in parts:
        n_rel = int(rid.max()) + 1
        first = np.unique(rid, return_index=True)[1]
        rel += [rid + offset, rid[first] + offset]
        pos += [mpos, tpos[first]]
        tot += [np.zeros(len(rid), bool), np.ones(len(first), bool)]
        kind += [np.full(len(rid) + len(first), k)]
        offset += n_rel
    if not rel:
        return (np.zeros(0, int),) * 2 + (np.zeros(0, bool), np.zeros(0, str))
    return np.concatenate(rel), np.concatenate(pos), np.concatenate(tot), np.concatenate(kind)


def protect(base: np.ndarray, positives: np.ndarray, primary: np.ndarray, relation: np.ndarray,
            position: np.ndarray, is_total: np.ndarray, min_width: float = 0.10,
            closed: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Secondary suppression on a system of additive relations, to a fixed point.

    ``relation``, ``position`` and ``is_total`` list each relation's cells (as returned by
    ``additive_relations``); ``base`` and ``positives`` are the cells' unweighted counts;
    ``closed`` (one per relation) marks relations whose withheld total withholds every member
    (rule 4). Returns the hidden mask and the number of rounds. See ``cell_suppression``.
    """
    primary = np.asarray(primary, bool)
    hidden = primary.copy()
    base = np.asarray(base, float)
    positives = np.asarray(positives, float)
    if len(relation) == 0:
        return hidden, 0
    n_rel = int(relation.max()) + 1
    # Candidates sorted once: members before totals, then by base, then by position (deterministic).
    order = np.lexsort((position, base[position], is_total, relation))
    rel_s, pos_s = relation[order], position[order]
    member = ~is_total
    for rounds in range(1, _MAX_ROUNDS + 1):
        h = hidden[position]
        n_hidden = np.bincount(relation, weights=h, minlength=n_rel)
        # The attacker's residual over the hidden members of a relation whose total is visible.
        total_hidden = np.bincount(relation, weights=h & is_total, minlength=n_rel) > 0
        res_n = np.bincount(relation, weights=np.where(h & member, base[position], 0.0), minlength=n_rel)
        res_x = np.bincount(relation, weights=np.where(h & member, positives[position], 0.0), minlength=n_rel)
        all_or_none = ~total_hidden & (n_hidden >= 1) & ((res_x == 0) | (res_x == res_n))
        # Rule 3: even knowing every base, the residual must leave each hidden member an interval
        # wider than ``min_width``: x_h in [max(0, X - (N - n_h)), min(n_h, X)].
        hm = h & member & ~total_hidden[relation]
        n_h, x_h = base[position[hm]], positives[position[hm]]
        r_h = relation[hm]
        with np.errstate(divide="ignore", invalid="ignore"):
            width = (np.minimum(n_h, res_x[r_h]) - np.maximum(0.0, res_x[r_h] - (res_n[r_h] - n_h))) / n_h
        pinned = (width <= min_width) & np.isfinite(x_h)
        narrow = np.bincount(r_h, weights=pinned, minlength=n_rel) > 0
        narrow_primary = np.bincount(r_h, weights=pinned & primary[position[hm]], minlength=n_rel) > 0
        bad = (n_hidden == 1) | all_or_none | narrow
        # Rule 4: a closed relation whose total is withheld withholds its visible members too.
        to_close = (np.zeros(len(relation), bool) if closed is None
                    else member & ~h & (closed & total_hidden)[relation])
        if to_close.any():
            hidden[position[to_close]] = True
            continue
        if not bad.any():
            return hidden, rounds - 1
        # A useful extra cell: visible; for an all-yes (all-no) residual it must add a "no" ("yes").
        p_s = positives[pos_s]
        n_s = base[pos_s]
        useful = ~hidden[pos_s] & bad[rel_s]
        yes_all = all_or_none & (res_x == res_n) & (res_n > 0)
        no_all = all_or_none & (res_x == 0)
        useful &= ~(yes_all[rel_s] & (p_s >= n_s) & ~is_total[order])
        useful &= ~(no_all[rel_s] & (p_s <= 0) & ~is_total[order])
        # Rule 3 escalates to the total only for a small (primary) cell: a secondary cell has at
        # least ``threshold`` respondents, and pinning it near the total reveals nobody's answer,
        # while withholding the total would withhold a headline figure.
        only_narrow = narrow & ~narrow_primary & ~((n_hidden == 1) | all_or_none)
        useful &= ~(only_narrow[rel_s] & is_total[order])
        _, first = np.unique(rel_s[useful], return_index=True)
        chosen = pos_s[useful][first]
        stuck = bad & ~only_narrow & ~np.isin(np.arange(n_rel), rel_s[useful])
        if len(chosen) == 0 and not stuck.any():
            return hidden, rounds - 1
        hidden[chosen] = True
        hidden[position[stuck[relation]]] = True  # nothing left to hide but the whole relation
    raise RuntimeError(f"secondary suppression did not reach a fixed point in {_MAX_ROUNDS} rounds")


def cell_suppression(cells: pd.DataFrame, parent_of: Mapping[str, str], threshold: int,
                     also_primary: np.ndarray | None = None) -> pd.DataFrame:
    """Primary and secondary cell suppression for tables linked by additive relations.

    Parameters
    ----------
    cells : DataFrame
        Rows shaped like ``survey_results``: at least ``indicator``, ``period``, ``level``,
        ``geography_code``, ``subgroup_dimension``, ``subgroup`` and ``n_unweighted``; with
        ``positives_unweighted`` the all-yes / all-no rule below is applied too.
    parent_of : mapping
        Area code -> division code and division code -> force code.
    threshold : int
        Minimum unweighted base (``statistics.suppression_threshold``).
    also_primary : array of bool, optional
        More cells to withhold as primary ones (e.g. :func:`rolling_differences`), before the
        secondary cells are chosen.

    Returns
    -------
    DataFrame
        On ``cells.index``: ``primary`` (base below ``threshold``) and ``hidden`` (primary or
        secondary) booleans.

    Notes
    -----
    Within each (indicator, period) the published cells obey two families of relations, and
    each is a sum that an attacker can subtract (Hundepool et al. 2012, §4.2-4.3, linked
    hierarchical tables):

    * R1: a geography's row for all respondents = the sum of its subgroups, for each dimension
      (age, sex, ethnicity, crime type);
    * R2: for each subgroup, force = sum of divisions and division = sum of its areas.

    Secondary cells are chosen by a greedy rule, repeated until nothing changes (a fixed point):
    in every relation (its total and its members),

    1. exactly one hidden cell is not allowed (it is the total minus the visible rest);
    2. when the total is visible, the hidden members taken together must contain both a
       respondent who answered yes and one who answered no: otherwise the residual (every
       hidden respondent satisfied, or none) pins every hidden member at 100% or 0% whatever
       their sizes;

    3. when the total is visible, even an attacker who knew every base must be left an interval
       wider than 10 points for each hidden member: x_h in [max(0, X - (N - n_h)), min(n_h, X)]
       with X, N the hidden members' total positives and base;

    4. within a geography (the dimension relations R1), a withheld all-respondents row withholds
       every subgroup of it: a visible subgroup holding nearly all the respondents gives the total
       back, and one at 0% or 100% would pin every small subgroup of the other dimensions (an area
       whose 80 white residents of 82 all said no: its withheld men and women are within 2 of 0);

    a relation that breaks a rule gets one more hidden cell: the visible member with the
    smallest unweighted base that can mend it (for rule 2, one with a "no", resp. "yes"), the
    total only when no member can, and under rule 3 only when the pinned cell is a primary one
    (fewer than ``threshold`` respondents: e.g. an area's 49 white victims inside its 50). A
    secondary cell pinned near the total (a division's 548 white victims of 598) is left so: it
    has at least ``threshold`` respondents, knowing it to a few points reveals nobody's answer,
    and withholding the total would withhold a headline figure. Hiding the smallest base costs the least information,
    preferring members keeps the totals that readers use most, and choosing per relation in
    one vectorised sweep keeps it fast (about a second on 120,000 cells; a few rounds). The
    rule is a heuristic, not an optimal pattern (that is a mixed-integer problem, Hundepool et
    al. 2012 §4.4): it may hide more than the minimum.

    Together with withholding the bases of hidden cells (``suppress(..., hidden=...)``) this
    stops the exact attacks; interval (linear-programming) attacks are checked by
    ``dashboard audit-disclosure``, which treats hidden bases as unknowns of at least 1. The
    all-yes / all-no rule uses unweighted counts; a weighted cell is all-yes exactly when its
    unweighted cell is, so it covers weighted surveys too.

    References
    ----------
    Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Schulte Nordholt, E.,
    Spicer, K. and de Wolf, P.-P. (2012). *Statistical Disclosure Control*. Wiley, chapter 4
    (tabular data: sensitivity rules, secondary suppression, linked tables, the attacker's
    interval). Office for National Statistics, disclosure control guidance for tables produced
    from surveys (minimum base; no differencing).
    """
    need = ["indicator", "period", "level", "geography_code", "subgroup_dimension", "subgroup", "n_unweighted"]
    missing = [c for c in need if c not in cells.columns]
    if missing:
        raise ValueError(f"cells lack column(s): {', '.join(missing)}")
    if threshold < 1:
        raise ValueError(f"threshold must be at least 1 (got {threshold})")
    if cells.empty:  # a force with no survey results (crime only): nothing to withhold
        return pd.DataFrame({"primary": np.zeros(0, bool), "hidden": np.zeros(0, bool)}, index=cells.index)
    base = cells["n_unweighted"].to_numpy(float)
    positives = (cells["positives_unweighted"].to_numpy(float) if "positives_unweighted" in cells.columns
                 else np.full(len(cells), np.nan))
    primary = base < threshold
    if also_primary is not None:
        primary = primary | np.asarray(also_primary, bool)
    rel, pos, tot, kind = additive_relations(cells, parent_of)
    closed = np.zeros(int(rel.max()) + 1 if len(rel) else 0, bool)
    closed[rel[kind == "dimension"]] = True
    hidden, _rounds = protect(base, positives, primary, rel, pos, tot, closed=closed)
    return pd.DataFrame({"primary": primary, "hidden": hidden}, index=cells.index)


def rolling_differences(windows: pd.DataFrame, singles: pd.DataFrame, labels: Sequence[str], n: int,
                        threshold: int) -> np.ndarray:
    """Rolling windows to withhold so that no two published windows differ by a small group.

    With ``[periods] rolling = n``, each published result pools the ``n`` periods ending at its
    period, and the periods alone are never published. Two overlapping windows of one cell, W(a)
    and W(b) with a < b < a + n, differ by the periods only W(b) holds minus those only W(a)
    holds: when one side had no respondents at all, the difference *is* the other side's
    respondents (Hundepool et al. 2012, §4.2, differencing). So W(b) is withheld (as a primary
    cell, before secondary suppression) whenever, against a window W(a) still published, one
    side has no respondents and the other has between 1 and ``threshold - 1``. Windows are
    taken in order, so the earliest of two is kept.

    ``windows`` and ``singles`` are ``survey_results`` rows (pooled windows, single periods);
    ``labels`` are the configured periods in order. Returns a boolean per row of ``windows``.
    """
    keys = ["indicator", "survey", "level", "geography_code", "subgroup_dimension", "subgroup"]
    out = np.zeros(len(windows), bool)
    if n <= 1 or windows.empty:
        return out
    position = {label: k for k, label in enumerate(labels)}
    per_period = singles.pivot_table(index=keys, columns="period", values="n_unweighted", aggfunc="sum",
                                     fill_value=0, dropna=False)
    per_period = per_period.reindex(columns=list(labels), fill_value=0)
    cell = pd.MultiIndex.from_frame(windows[keys])
    row_of = per_period.index.get_indexer(cell)
    counts = per_period.to_numpy(float)[np.where(row_of < 0, 0, row_of)]
    counts[row_of < 0] = np.nan  # a window without its periods' rows: nothing to compare
    at = windows["period"].map(position).to_numpy()
    base = windows["n_unweighted"].to_numpy(float)
    # One row per (cell, window end): the windows of a cell are compared in order.
    frame = pd.DataFrame({"row": np.arange(len(windows)), "cell": pd.factorize(cell)[0], "at": at})
    frame = frame.sort_values(["cell", "at"])
    published: dict[tuple[int, int], bool] = {}
    for row, c, b in frame.itertuples(index=False):
        withhold = False
        for a in range(b - n + 1, b):
            if not published.get((c, a)):
                continue
            only_a = np.nansum(counts[row, a - n + 1: b - n + 1])  # periods in W(a) only
            only_b = np.nansum(counts[row, a + 1: b + 1])  # periods in W(b) only
            if (only_a == 0 and 0 < only_b < threshold) or (only_b == 0 and 0 < only_a < threshold):
                withhold = True
                break
        out[row] = withhold
        published[(c, b)] = not withhold and base[row] >= threshold
    return out


def window_suppression(pooled: pd.DataFrame, cells: pd.DataFrame, hidden: Iterable[bool], threshold: int,
                       separator: str = " + ") -> pd.Series:
    """Which measures pooled over several periods must be withheld.

    Parameters
    ----------
    pooled : DataFrame
        Pooled rows with ``indicator``, ``level``, ``geography_code``, ``window`` (period labels
        joined by ``separator``) and ``base``; all respondents (no subgroup).
    cells, hidden
        The single-period cells (``survey_results``) and their ``cell_suppression`` hidden mask.
    threshold : int
        Minimum unweighted base of the pooled measure itself.

    Returns
    -------
    Series of bool on ``pooled.index``: withhold the row.

    Notes
    -----
    A pooled sum is the sum of its periods' sums (same indicator, geography, respondents), so
    the window and its periods form one more additive relation: window = Σ periods. Withholding a
    window whenever any of its periods is withheld leaves that relation with none or at least
    two hidden cells, and a visible window never sits on a hidden period. The pooled force total
    = Σ pooled areas needs nothing more: in each period the force relation (through the
    divisions) has none or at least two hidden cells, and so has the union over the window.
    """
    hidden = np.asarray(list(hidden) if not isinstance(hidden, (np.ndarray, pd.Series)) else hidden, bool)
    keys = ["indicator", "level", "geography_code", "period"]
    single = cells.loc[(cells["subgroup_dimension"] == ALL).to_numpy() & (cells["subgroup"] == ALL).to_numpy(),
                       keys].copy()
    single["_hidden"] = hidden[((cells["subgroup_dimension"] == ALL) & (cells["subgroup"] == ALL)).to_numpy()]
    p = pooled[["indicator", "level", "geography_code", "window"]].copy()
    p["_row"] = np.arange(len(p))
    p["period"] = p["window"].str.split(separator, regex=False)
    long = p.explode("period").merge(single, on=keys, how="left")
    any_hidden = long.groupby("_row")["_hidden"].agg(lambda s: bool(s.fillna(False).any()))
    out = any_hidden.reindex(np.arange(len(p)), fill_value=False).to_numpy(bool).copy()
    out |= pooled["base"].astype(float).isna().to_numpy() | (pooled["base"].astype(float) < threshold).to_numpy()
    return pd.Series(out, index=pooled.index, name="hidden")
