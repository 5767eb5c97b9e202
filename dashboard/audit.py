"""Disclosure audit: attack a published snapshot the way an outside reviewer would.

``audit_snapshot`` reads the published tables of a snapshot (and the table downloads built
from them by ``dashboard.views.exports``), runs each attack below against them and compares
what the attacker learns with the unsuppressed truth in ``survey_results`` (which is kept in
the snapshot but never shown).

A withheld value counts as **recovered** when

* a point attack (a-d) gives an estimate within 5 percentage points of the true value; or
* the bounds attack (e) gives a feasible interval no wider than 10 points that contains it; or
* a published table still shows a number computed from the withheld value (a limit, p-value,
  z-score, verdict, shrunken estimate, trend statistic or index limit) that the audit does not
  invert itself: such a number is **exposed** and counts as recovered, because an attacker can
  invert it (up to a sign at worst).

Every withheld cell counts for the exact attacks (a)-(d), primary or secondary: the attacker is
not told which is which. For the bounds attack (e), a withheld cell with fewer respondents than
the threshold (a primary cell, the ones suppression protects) counts as recovered; a secondary
cell (withheld only to protect another, so with at least the threshold of respondents) that is
bounded to 10 points is **reported, not failed**: it is bounded because it is nearly the whole
of a published total (a division's 548 white victims of 598), which reveals nobody's answer,
and the only remedy would be to withhold the total itself, a headline figure.

Attacks:

(a) complement within a dimension: the all-respondents row minus the visible subgroups, with
    published bases as weights (exact for an unweighted survey, approximate for a weighted one);
(b) geography differencing: division minus its visible areas, force minus visible divisions;
(c) window differencing: a pooled two-period measure minus the visible single period;
(d) inversion: limits of a withheld value (Wilson interval midpoint; the worry index is
    sqrt(lower x upper)), a change or gap whose other side is visible, values repeated in
    another table, and any other published function of a withheld value (exposure);
(e) bounds: interval propagation over every relation of (a)-(c) at once for the positives,
    the negatives and the bases, with 0 <= positives <= base and a hidden base of at least 1
    (unknown unless some table publishes it).
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import ConfigError, ForceConfig, default_panel_threshold, parse_config
from .data.store import Snapshot, Store, StoreError
from .stats.disclosure import ALL, KEY, additive_relations, geography_parents

log = logging.getLogger(__name__)

TOLERANCE = 0.05      # a point estimate within 5 points of the truth
WIDTH = 0.10          # a feasible interval no wider than 10 points
Z95 = 1.959963984540054
ATTACKS = {
    "a": "complement within a dimension",
    "b": "geography differencing",
    "c": "window differencing",
    "d": "inversion of limits, tests and repeated values",
    "e": "bounds (interval propagation over all relations)",
}


@dataclass
class AttackResult:
    attack: str
    examined: int = 0
    what: str = ""
    recovered: list[str] = field(default_factory=list)
    bounded_secondary: list[str] = field(default_factory=list)  # reported, not failed (module docstring)

    @property
    def name(self) -> str:
        return ATTACKS[self.attack]


@dataclass
class AuditReport:
    snapshot_id: str
    hidden_cells: int
    results: list[AttackResult]
    exports_checked: list[str]
    variant: str | None = None

    @property
    def tables(self) -> str:
        return f" ({self.variant}'s tables)" if self.variant else ""

    @property
    def recovered(self) -> int:
        return sum(len(r.recovered) for r in self.results)

    @property
    def code(self) -> int:
        return 1 if self.recovered else 0

    def text(self, examples: int = 3) -> str:
        lines = [f"disclosure audit of snapshot {self.snapshot_id}{self.tables}: {self.hidden_cells:,} withheld cells"]
        for r in self.results:
            lines.append(f"({r.attack}) {r.name}: examined {r.examined:,} {r.what}; recovered {len(r.recovered):,}")
            lines += [f"      e.g. {e}" for e in r.recovered[:examples]]
            if r.bounded_secondary:
                lines.append(f"      and {len(r.bounded_secondary):,} secondary cells (each with at least the "
                             f"threshold of respondents, withheld only to protect another) bounded near their "
                             f"published total: reported, not a disclosure")
                lines += [f"      e.g. {e}" for e in r.bounded_secondary[:examples]]
        lines.append(f"exports checked: {', '.join(self.exports_checked) or 'none'}")
        lines.append(f"FAIL: {self.recovered:,} withheld values recovered" if self.recovered
                     else "PASS: no withheld value recovered")
        return "\n".join(lines)


def audit_store(store: Path | str, variant: str | None = None) -> AuditReport:
    """Audit the live snapshot of ``store`` (StoreError if nothing is published): its published
    tables, or a variant's (``"panel"``: the tables the panel role reads, withheld under its own
    threshold; dashboard/access.py)."""
    return audit_snapshot(Store(store).open(variant=variant))


def variants(store: Path | str) -> list[str | None]:
    """The table sets the live snapshot serves: the published one and each variant."""
    snapshot = Store(store).open()
    return [None, *sorted(snapshot.manifest.get("variant_tables", {}))]


@dataclass(frozen=True)
class _Facts:
    """What the attacks need from the snapshot's force.toml, read without the full schema so an
    older snapshot can be audited by newer code."""
    force_code: str
    period_labels: tuple[str, ...]
    weighted: dict
    survey_of: dict
    gaps: tuple  # (id, of, subgroup, (group_1, group_2))
    threshold: int = 50

    @classmethod
    def read(cls, snapshot: Snapshot) -> _Facts:
        raw = tomllib.loads(snapshot.read_text("force.toml"))
        inds = raw.get("indicators", [])
        return cls(raw["force"]["code"], tuple(raw.get("periods", {}).get("labels", ())),
                   {k: bool(v.get("weighted", True)) for k, v in raw.get("surveys", {}).items()},
                   {i["id"]: i.get("survey") for i in inds},
                   tuple((i["id"], i["of"], i["subgroup"], tuple(i["groups"])) for i in inds
                         if i.get("kind") == "gap"),
                   _threshold(raw.get("statistics", {}), snapshot.variant))


def _threshold(statistics: dict, variant: str | None) -> int:
    """The threshold the audited tables were withheld under (the panel's for its variant)."""
    threshold = int(statistics.get("suppression_threshold", 50))
    if variant == "panel":
        return int(statistics.get("panel_suppression_threshold", default_panel_threshold(threshold)))
    return threshold


def _config(snapshot: Snapshot) -> ForceConfig | None:
    """The full configuration (for the export builders), as the audited tables were built (the
    panel's threshold for its variant), or None if this code cannot read it."""
    text = snapshot.read_text("force.toml")
    try:
        config = parse_config(tomllib.loads(text), snapshot.location("force.toml"), text)
    except ConfigError as exc:
        log.warning("exports not rebuilt: %s", exc)
        return None
    return config.for_panel() if snapshot.variant == "panel" else config


def _optional(snapshot: Snapshot, name: str) -> pd.DataFrame:
    try:
        return snapshot.table(name)
    except StoreError:
        return pd.DataFrame()


def _label(row) -> str:
    return " ".join(str(row[k]) for k in ("indicator", "level", "geography_code", "period", "subgroup")
                    if k in row and pd.notna(row[k]))


class _World:
    """Published cells (estimates + pooled measures) with what the attacker knows and the truth."""

    def __init__(self, snapshot: Snapshot, config: _Facts):
        self.config = config
        truth = snapshot.table("survey_results")
        est = snapshot.table("estimates")
        cells = est[KEY].copy()
        cells["p"] = est["value"].astype(float) / 100
        cells["n"] = est["base"].astype(float)
        cells["hidden"] = est["value"].isna().to_numpy()
        t = truth.set_index(KEY)
        idx = pd.MultiIndex.from_frame(cells[KEY])
        cells["truth"] = (t["weighted_positives"] / t["sum_weights"]).reindex(idx).to_numpy()
        cells["truth_n"] = t["n_unweighted"].reindex(idx).to_numpy(float)
        cells["weighted"] = cells["survey"].map(lambda s: config.weighted.get(s, True)).to_numpy(bool)
        cells["window"] = None
        areas = snapshot.table("areas")
        self.parent_of = geography_parents(areas, config.force_code)
        self.single = len(cells)
        pooled = _optional(snapshot, "worry_measures")
        if not pooled.empty:
            allrows = truth[(truth["subgroup_dimension"] == ALL) & (truth["subgroup"] == ALL)]
            sums = allrows.set_index(["indicator", "level", "geography_code", "period"])
            w = pooled.copy()
            w["periods"] = w["window"].str.split(" + ", regex=False)
            long = w.reset_index(names="_row").explode("periods")
            k = pd.MultiIndex.from_arrays([long["indicator"], long["level"], long["geography_code"], long["periods"]])
            long["wp"] = sums["weighted_positives"].reindex(k).to_numpy()
            long["sw"] = sums["sum_weights"].reindex(k).to_numpy()
            g = long.groupby("_row")[["wp", "sw"]].sum()
            pc = pd.DataFrame({
                "indicator": w["indicator"], "survey": w["indicator"].map(config.survey_of), "level": w["level"],
                "geography_code": w["geography_code"], "period": w["window"], "subgroup_dimension": ALL,
                "subgroup": ALL, "p": w["value"].astype(float) / 100, "n": w["base"].astype(float),
                "hidden": w["value"].isna().to_numpy(), "truth": (g["wp"] / g["sw"]).reindex(range(len(w))).to_numpy(),
                "truth_n": np.nan, "weighted": True, "window": w["window"]})
            cells = pd.concat([cells, pc], ignore_index=True)
        self.cells = cells
        # Bases published anywhere else count as known to the attacker.
        self.known_base = cells["n"].to_numpy(float).copy()

    def relations(self):
        """(relation, position, is_total, kind) over all cells: R1, R2 and the window relations."""
        single = self.cells.iloc[: self.single]
        rel, pos, tot, kind = additive_relations(single, self.parent_of)
        parts = [(rel, pos, tot, kind)]
        offset = int(rel.max()) + 1 if len(rel) else 0
        pooled = self.cells.iloc[self.single:]
        if len(pooled):
            c = self.cells.reset_index(drop=True)
            single_all = c.iloc[: self.single]
            single_all = single_all[(single_all["subgroup_dimension"] == ALL) & (single_all["subgroup"] == ALL)]
            key = pd.Series(single_all.index.to_numpy(),
                            index=pd.MultiIndex.from_frame(single_all[["indicator", "level", "geography_code",
                                                                       "period"]]))
            r, p, t = [], [], []
            for i, row in pooled.iterrows():
                members = [key.get((row["indicator"], row["level"], row["geography_code"], per))
                           for per in row["window"].split(" + ")]
                members = [m for m in members if m is not None]
                if not members:
                    continue
                r += [offset] * (len(members) + 1)
                p += members + [i]
                t += [False] * len(members) + [True]
                offset += 1
            # Pooled force = sum of pooled areas.
            for (_ind, _window), grp in pooled.groupby(["indicator", "window"]):
                force = grp[grp["level"] == "force"]
                areas = grp[grp["level"] == "area"]
                if force.empty or areas.empty:
                    continue
                r += [offset] * (len(areas) + 1)
                p += list(areas.index) + [force.index[0]]
                t += [False] * len(areas) + [True]
                offset += 1
            parts.append((np.array(r, int), np.array(p, int), np.array(t, bool), np.full(len(r), "window")))
        return tuple(np.concatenate([x[i] for x in parts]) for i in range(4))


def _point_differencing(world: _World) -> dict[str, AttackResult]:
    """Attacks (a)-(c): relations with exactly one withheld cell, bases as weights."""
    c = world.cells
    rel, pos, tot, kind = world.relations()
    out = {"dimension": AttackResult("a", what="relations (all = sum of a dimension's subgroups)"),
           "geography": AttackResult("b", what="relations (parent = sum of child geographies)"),
           "window": AttackResult("c", what="relations (pooled window = sum of its periods; pooled force = "
                                            "sum of pooled areas)")}
    if len(rel) == 0:
        return out
    hidden = c["hidden"].to_numpy()
    p = c["p"].to_numpy(float)
    n = world.known_base
    n_rel = int(rel.max()) + 1
    h = hidden[pos]
    n_hidden = np.bincount(rel, weights=h, minlength=n_rel)
    rel_kind = np.empty(n_rel, dtype=object)
    rel_kind[rel] = kind
    for k, res in out.items():
        res.examined = int((rel_kind == k).sum())
    x = np.where(h, 0.0, p[pos] * n[pos])
    nn = np.where(h, 0.0, n[pos])
    bad_n = np.bincount(rel, weights=~h & np.isnan(n[pos]), minlength=n_rel) > 0
    sign = np.where(tot, 1.0, -1.0)
    sx = np.bincount(rel, weights=sign * np.nan_to_num(x), minlength=n_rel)
    sn = np.bincount(rel, weights=sign * np.nan_to_num(nn), minlength=n_rel)
    target = (n_hidden == 1)[rel] & h
    for r, cell, is_tot in zip(rel[target], pos[target], tot[target]):
        if bad_n[r]:
            continue
        est_x, est_n = (sx[r], sn[r]) if not is_tot else (-sx[r], -sn[r])
        if est_n <= 0:
            continue
        estimate = est_x / est_n
        truth = c.at[cell, "truth"]
        if np.isfinite(truth) and abs(estimate - truth) <= TOLERANCE + 1e-9:
            row = c.loc[cell]
            out[rel_kind[r]].recovered.append(f"{_label(row)}: {100 * estimate:.1f}% (true {100 * truth:.1f}%)")
    return out


def _propagate(lo, hi, rel, pos, tot, tpos, n_rel):
    """One sweep of bound propagation for total = sum of members."""
    m = ~tot
    hi_inf = np.isinf(hi)
    hi_fin = np.where(hi_inf, 0.0, hi)
    sum_lo = np.bincount(rel[m], weights=lo[pos[m]], minlength=n_rel)
    sum_hi = np.bincount(rel[m], weights=hi_fin[pos[m]], minlength=n_rel)
    n_inf = np.bincount(rel[m], weights=hi_inf[pos[m]], minlength=n_rel)
    t = tpos
    lo[t] = np.maximum(lo[t], sum_lo)
    hi[t] = np.minimum(hi[t], np.where(n_inf > 0, np.inf, sum_hi))
    mr, mp = rel[m], pos[m]
    others_inf = n_inf[mr] - hi_inf[mp]
    others_hi = sum_hi[mr] - hi_fin[mp]
    new_lo = np.where(others_inf > 0, -np.inf, lo[t[mr]] - others_hi)
    new_hi = hi[t[mr]] - (sum_lo[mr] - lo[mp])
    np.maximum.at(lo, mp, new_lo)
    np.minimum.at(hi, mp, new_hi)


def _bounds(world: _World) -> AttackResult:
    """Attack (e): interval propagation on positives, negatives and bases over every relation."""
    c = world.cells
    rel, pos, tot, _ = world.relations()
    res = AttackResult("e", what="withheld cells bounded through "
                                 f"{int(rel.max()) + 1 if len(rel) else 0:,} relations")
    hidden = c["hidden"].to_numpy()
    res.examined = int(hidden.sum())
    if len(rel) == 0:
        return res
    n_rel = int(rel.max()) + 1
    tpos = np.zeros(n_rel, int)
    tpos[rel[tot]] = pos[tot]
    p = c["p"].to_numpy(float)
    known = world.known_base
    nlo = np.where(np.isnan(known), 1.0, known)
    nhi = np.where(np.isnan(known), np.inf, known)
    # Unweighted counts are whole numbers; a weighted survey's "counts" are the attacker's
    # approximation (value x base), so its relations hold only roughly.
    weighted = c["weighted"].to_numpy(bool)
    x = np.where(weighted, p * known, np.round(p * known))
    xlo = np.where(hidden, 0.0, x)
    xhi = np.where(hidden, np.inf, x)
    ylo = np.where(hidden, 0.0, known - x)
    yhi = np.where(hidden, np.inf, known - x)
    for _ in range(40):
        before = (xlo.sum(), np.nansum(np.where(np.isinf(xhi), 0, xhi)), ylo.sum(), nlo.sum())
        for lo, hi in ((xlo, xhi), (ylo, yhi), (nlo, nhi)):
            _propagate(lo, hi, rel, pos, tot, tpos, n_rel)
        np.maximum(nlo, xlo + ylo, out=nlo)
        np.minimum(nhi, xhi + yhi, out=nhi)
        np.maximum(xlo, nlo - yhi, out=xlo)
        np.minimum(xhi, nhi - ylo, out=xhi)
        np.maximum(ylo, nlo - xhi, out=ylo)
        np.minimum(yhi, nhi - xlo, out=yhi)
        for a in (xlo, ylo):
            np.maximum(a, 0.0, out=a)
        for lo, hi in ((xlo, xhi), (ylo, yhi), (nlo, nhi)):
            # Rounding (and a weighted survey's approximate sums) can cross the bounds: an
            # attacker would settle on the middle, so do we, rather than let the gap grow.
            crossed = lo > hi
            mid = (lo[crossed] + hi[crossed]) / 2
            lo[crossed], hi[crossed] = mid, mid
        after = (xlo.sum(), np.nansum(np.where(np.isinf(xhi), 0, xhi)), ylo.sum(), nlo.sum())
        if np.allclose(before, after, rtol=0, atol=1e-9):
            break
    with np.errstate(divide="ignore", invalid="ignore"):
        p_lo = np.where(xlo > 0, xlo / (xlo + yhi), 0.0)
        p_hi = np.where(ylo > 0, xhi / (xhi + ylo), 1.0)
    p_lo, p_hi = np.nan_to_num(p_lo, nan=0.0), np.nan_to_num(p_hi, nan=1.0)
    truth = c["truth"].to_numpy(float)
    eps = 1e-9
    hit = hidden & (p_hi - p_lo <= WIDTH + eps) & (truth >= p_lo - eps) & (truth <= p_hi + eps)
    # A pooled window's true base is the sum of its periods'; single cells carry their own.
    true_n = c["truth_n"].to_numpy(float)
    secondary = np.isfinite(true_n) & (true_n >= world.config.threshold)
    for i in np.flatnonzero(hit):
        row = c.loc[i]
        text = (f"{_label(row)}: between {100 * p_lo[i]:.1f}% and {100 * p_hi[i]:.1f}% "
                f"(true {100 * truth[i]:.1f}%)")
        (res.bounded_secondary if secondary[i] else res.recovered).append(text)
    return res


def _all_but(frame: pd.DataFrame, *context: str) -> tuple[str, ...]:
    """The columns of ``frame`` that a withheld row must leave empty (or "suppressed")."""
    return tuple(c for c in frame.columns if c not in context)


def _close(estimate, truth) -> np.ndarray:
    estimate, truth = np.asarray(estimate, float), np.asarray(truth, float)
    return np.isfinite(estimate) & np.isfinite(truth) & (np.abs(estimate - truth) <= TOLERANCE + 1e-9)


@dataclass
class _Withheld:
    """What attack (d) knows: the single cells, which are withheld, their published and true
    values, and the result it adds to."""

    snapshot: Snapshot
    world: _World
    res: AttackResult
    c: pd.DataFrame
    hidden_key: pd.Series
    value_of: pd.Series
    truth_of: pd.Series

    def note(self, label: str, what: str) -> None:
        self.res.recovered.append(f"{label}: {what}")


def _inversion(snapshot: Snapshot, world: _World) -> AttackResult:
    """Attack (d): limits, differences, repeated values and other functions of a withheld value,
    table by table."""
    c = world.cells.iloc[: world.single]
    hidden_key = pd.Series(c["hidden"].to_numpy(), index=pd.MultiIndex.from_frame(c[KEY]))
    x = _Withheld(snapshot, world, AttackResult("d", what="published rows resting on a withheld cell"), c, hidden_key,
                  pd.Series(c["p"].to_numpy(), index=hidden_key.index),
                  pd.Series(c["truth"].to_numpy(), index=hidden_key.index))
    for attack in (_inv_estimates, _inv_changes, _inv_gaps, _inv_tables, _inv_pooled, _inv_matrix):
        attack(x)
    return x.res


def _inv_estimates(x: _Withheld) -> None:
    """Estimates: a withheld value with its limits."""
    res, truth_of, note, snapshot = x.res, x.truth_of, x.note, x.snapshot
    est = snapshot.table("estimates")
    # Estimates: a withheld value with its limits (Wilson midpoint, on the base when published).
    h = est["value"].isna()
    for lo, hi in (("lower_95", "upper_95"), ("lower_998", "upper_998")):
        sel = est[h & est[lo].notna() & est[hi].notna()]
        res.examined += len(sel)
        z2 = (Z95 if lo.endswith("95") else 3.090232306167813) ** 2
        n = sel["effective_base"].astype(float)
        mid = (sel[lo] + sel[hi]) / 200
        guess = np.where(n.notna(), mid * (1 + z2 / n) - z2 / (2 * n), mid)
        truth = truth_of.reindex(pd.MultiIndex.from_frame(sel[KEY])).to_numpy()
        for i in np.flatnonzero(_close(guess, truth)):
            note(_label(sel.iloc[i]), f"estimates {lo}/{hi} give {100 * guess[i]:.1f}% (true {100 * truth[i]:.1f}%)")



def _inv_changes(x: _Withheld) -> None:
    """Changes: the other side visible, or limits of a withheld difference."""
    res, hidden_key, value_of, truth_of, note = x.res, x.hidden_key, x.value_of, x.truth_of, x.note
    snapshot = x.snapshot
    # Changes: the other side visible, or limits of a withheld difference.
    chg = _optional(snapshot, "changes")
    if not chg.empty:
        d = chg["difference"].astype(float)
        mid = (chg["lower"] + chg["upper"]) / 2
        diff = d.where(d.notna(), mid) / 100
        have = diff.notna()
        this = pd.MultiIndex.from_frame(chg[KEY])
        ref_key = chg[KEY].assign(period=chg["reference_period"])
        ref = pd.MultiIndex.from_frame(ref_key[KEY])
        h_this = hidden_key.reindex(this).fillna(False).to_numpy(bool)
        h_ref = hidden_key.reindex(ref).fillna(False).to_numpy(bool)
        for side, hid, other, other_idx, sign in (("period", h_this, ref, this, 1), ("reference", h_ref, this, ref,
                                                                                     -1)):
            sel = have.to_numpy() & hid
            res.examined += int(sel.sum())
            base_val = value_of.reindex(other).to_numpy()[sel]
            guess = base_val + sign * diff.to_numpy()[sel]
            truth = truth_of.reindex(other_idx).to_numpy()[sel]
            rows = chg[sel]
            for i in np.flatnonzero(_close(guess, truth)):
                note(_label(rows.iloc[i]), f"changes ({side} withheld) give {100 * guess[i]:.1f}% "
                                           f"(true {100 * truth[i]:.1f}%)")
            # A p-value published for a withheld side: exposed.
            if "p_value" in chg.columns:
                for i in np.flatnonzero(hid & chg["p_value"].notna().to_numpy() & ~have.to_numpy()):
                    note(_label(chg.iloc[i]), "changes.p_value published for a withheld value")



def _inv_gaps(x: _Withheld) -> None:
    """Gaps: group values repeated, or the gap with the other group visible."""
    res, hidden_key, value_of, truth_of, note = x.res, x.hidden_key, x.value_of, x.truth_of, x.note
    snapshot, world = x.snapshot, x.world
    # Gaps: group values repeated, or the gap with the other group visible.
    gaps = _optional(snapshot, "gaps")
    if not gaps.empty:
        gap_defs = {gid: (of, dim, groups) for gid, of, dim, groups in world.config.gaps}
        for _, g in gaps.iterrows():
            if g["indicator"] not in gap_defs:
                continue
            of, dim, groups = gap_defs[g["indicator"]]
            keys = [(of, world.config.survey_of.get(of), g["level"], g["geography_code"], g["period"], dim, grp)
                    for grp in groups]
            hid = [bool(hidden_key.get(k, False)) for k in keys]
            if not any(hid):
                continue
            res.examined += 1
            vals = [g["value_1"], g["value_2"]]
            for q, k in enumerate(keys):
                if not hid[q]:
                    continue
                guess = vals[q] / 100 if pd.notna(vals[q]) else np.nan
                other = value_of.get(keys[1 - q], np.nan) if not hid[1 - q] else np.nan
                gap = g["gap"] if pd.notna(g["gap"]) else (g["lower"] + g["upper"]) / 2
                if not np.isfinite(guess) and np.isfinite(other) and pd.notna(gap):
                    guess = other - gap / 100 if q == 1 else other + gap / 100
                if _close([guess], [truth_of.get(k, np.nan)])[0]:
                    note(" ".join(map(str, k)), f"gaps give {100 * guess:.1f}%")
                elif any(pd.notna(g.get(col)) for col in ("p_value", "gap", "lower", "upper")):
                    note(" ".join(map(str, k)), "gaps publish a test or interval for a withheld group")



# Tables repeating a value or publishing a test for a withheld cell.
def _exposed_rows(x: _Withheld, frame: pd.DataFrame, keys: pd.MultiIndex, columns: tuple[str, ...], table: str,
                 value_col: str | None = None) -> None:
    res, hidden_key, truth_of, note = x.res, x.hidden_key, x.truth_of, x.note
    hid = hidden_key.reindex(keys).fillna(False).to_numpy(bool)
    res.examined += int(hid.sum())
    truth = truth_of.reindex(keys).to_numpy()
    for i in np.flatnonzero(hid):
        row = frame.iloc[i]
        if value_col and pd.notna(row.get(value_col)) and _close([row[value_col] / 100], [truth[i]])[0]:
            note(_label(row), f"{table}.{value_col} repeats it ({row[value_col]:.1f}%)")
            continue
        shown = [col for col in columns if col in frame.columns and pd.notna(row[col])
                 and row[col] not in ("suppressed", False)]
        if shown:
            note(_label(row), f"{table} publishes {', '.join(shown)} for a withheld value")


def _inv_tables(x: _Withheld) -> None:
    """Comparisons, targets and trends that repeat a withheld value or test it."""
    res, c, note, snapshot, world = x.res, x.c, x.note, x.snapshot, x.world
    def exposed_rows(*args, **kwargs):
        _exposed_rows(x, *args, **kwargs)

    cfg = world.config
    ac = _optional(snapshot, "area_comparisons")
    if not ac.empty:
        ind_survey = cfg.survey_of

        def key_frame(level, code):
            return pd.MultiIndex.from_frame(pd.DataFrame({
                "indicator": ac["indicator"], "survey": ac["indicator"].map(ind_survey), "level": level,
                "geography_code": code, "period": ac["period"], "subgroup_dimension": ALL, "subgroup": ALL}))
        # Every column of a withheld row but its keys and the family-wide context.
        exposed_rows(ac, key_frame("area", ac["area_code"]),
                     _all_but(ac, "indicator", "period", "area_code", "division_code", "force_value", "division_value",
                              "flag_rule", "flag_z", "flag_tau2", "phi", "confidence", "suppressed",
                              "suppression_reason", "small_base", "value"),
                     "area_comparisons", "value")
        exposed_rows(ac, key_frame("division", ac["division_code"]), (), "area_comparisons", "division_value")
    dc = _optional(snapshot, "division_comparisons")
    if not dc.empty:
        ind_survey = cfg.survey_of
        keys = pd.MultiIndex.from_frame(pd.DataFrame({
            "indicator": dc["indicator"], "survey": dc["indicator"].map(ind_survey), "level": "division",
            "geography_code": dc["division_code"], "period": dc["period"], "subgroup_dimension": ALL,
            "subgroup": ALL}))
        exposed_rows(dc, keys, _all_but(dc, "indicator", "period", "division_code", "confidence", "flag_rule", "method",
                                        "suppressed", "suppression_reason", "small_base", "value"),
                     "division_comparisons", "value")
    tg = _optional(snapshot, "targets")
    if not tg.empty:
        ind_survey = cfg.survey_of
        keys = pd.MultiIndex.from_frame(tg[["indicator"]].assign(
            survey=tg["indicator"].map(ind_survey), level=tg["level"], geography_code=tg["geography_code"],
            period=tg["period"], subgroup_dimension=ALL, subgroup=ALL))
        exposed_rows(tg, keys, ("lower_95", "upper_95", "probability_meets", "firm_verdict_base"), "targets", "value")
    tr = _optional(snapshot, "trends")
    if not tr.empty:
        labels = list(cfg.period_labels)
        allc = c[(c["subgroup_dimension"] == ALL) & (c["subgroup"] == ALL) & c["hidden"]]
        hidden_periods = allc.groupby(["indicator", "level", "geography_code"])["period"].agg(set)
        for _, row in tr.iterrows():
            per = hidden_periods.get((row["indicator"], row["level"], row["geography_code"]))
            if not per:
                continue
            span = set(labels[labels.index(row["first_period"]): labels.index(row["last_period"]) + 1])
            if per & span:
                res.examined += 1
                if pd.notna(row["statistic"]) or pd.notna(row["p_value"]):
                    note(f"{row['indicator']} {row['level']} {row['geography_code']}",
                         "trends publish a test over a withheld period")



def _inv_pooled(x: _Withheld) -> None:
    """Pooled measures: limits or shrunken values of a withheld window."""
    res, note, snapshot = x.res, x.note, x.snapshot
    # Pooled measures: limits or shrunken values of a withheld window.
    wm = _optional(snapshot, "worry_measures")
    if not wm.empty:
        sel = wm[wm["value"].isna()]
        res.examined += len(sel)
        for _, row in sel.iterrows():
            shown = [col for col in ("lower", "upper", "shrunk_value", "shrunk_lower", "shrunk_upper")
                     if pd.notna(row[col])]
            if shown:
                note(f"{row['indicator']} {row['geography_code']} {row['window']}",
                     f"worry_measures publish {', '.join(shown)} for a withheld value")


def _inv_matrix(x: _Withheld) -> None:
    """Matrix: a worry index that inverts for a withheld measure."""
    res, note, snapshot = x.res, x.note, x.snapshot
    wm = _optional(snapshot, "worry_measures")
    # Matrix: the worry index is sqrt(lower x upper); an index shown while one of its measures is withheld.
    mx = _optional(snapshot, "matrix")
    if not mx.empty and "worry_index" in mx.columns:
        sel = mx[mx["worry_index"].isna()]
        res.examined += len(sel)
        for _, row in sel[sel["worry_lower"].notna() & sel["worry_upper"].notna()].iterrows():
            note(f"worry index {row['area_code']} {row['period']}",
                 f"sqrt(lower x upper) = {np.sqrt(row['worry_lower'] * row['worry_upper']):.1f}")
        if not wm.empty:
            hid = wm[wm["value"].isna() & (wm["level"] == "area")].groupby(["geography_code", "period"]).size()
            shown = mx[mx["worry_index"].notna()]
            both = shown.set_index(["area_code", "period"]).index.isin(hid.index)
            res.examined += int(both.sum())
            for _, row in shown[both].iterrows():
                note(f"worry index {row['area_code']} {row['period']}",
                     "published while one of its measures is withheld (the index inverts for it)")


def _exports(snapshot: Snapshot, config: ForceConfig) -> tuple[list[str], list[str]]:
    """Run the table download builders on the published tables: a withheld value must stay
    withheld in every download. Returns (builders run, leaks); a builder whose signature this
    code does not know is skipped and says so."""
    import inspect

    from .views import exports as ex

    names = ex.geography_names(snapshot, config)
    from .views.select import significance_policy

    extra = {"config": config, "names": names, "policy": significance_policy(snapshot),
             "confidence": config.policy.confidence}
    ran, leaks = [], []

    def build(fn, frame, *args):
        params = list(inspect.signature(fn).parameters)[1 + len(args):]
        try:
            out = fn(frame, *args, **{k: extra[k] for k in params if k in extra})
        except Exception as exc:  # a builder changed under us: say so rather than pass silently
            ran.append(f"{fn.__name__} (not run: {type(exc).__name__})")
            return None
        ran.append(fn.__name__)
        return out

    def check(export, hidden_rows: int, what: str, context: tuple[str, ...] = ()):
        """Every row the download marks withheld shows no number but context (the force's value,
        the confidence level), and it marks as many rows withheld as the published table."""
        marked = export["suppressed"].astype(bool).to_numpy()
        numeric = [c for c in export.columns if pd.api.types.is_numeric_dtype(export[c])
                   and export[c].dtype != bool and c not in context]
        bad = marked & export[numeric].notna().any(axis=1).to_numpy()
        leaks.extend(f"{what} row {i} shows a withheld value" for i in np.flatnonzero(bad))
        if marked.sum() != hidden_rows:
            leaks.append(f"{what}: {int(marked.sum())} rows marked withheld, {hidden_rows} in the published table")

    est = snapshot.table("estimates")
    if (e := build(ex.estimates_export, est)) is not None:
        check(e, int(est["suppressed"].sum()), "estimates_export")
    chg = _optional(snapshot, "changes")
    if not chg.empty and (e := build(ex.changes_export, chg)) is not None:
        check(e, int(chg["suppressed"].sum()), "changes_export", ("confidence",))
    gaps = _optional(snapshot, "gaps")
    if not gaps.empty and (e := build(ex.gaps_export, gaps)) is not None:
        check(e, int(gaps["suppressed"].sum()), "gaps_export", ("confidence",))
    ac = _optional(snapshot, "area_comparisons")
    if not ac.empty and (e := build(ex.comparisons_export, ac, "area")) is not None:
        check(e, int(ac["suppressed"].sum()), "comparisons_export(area)", ("force_value",))
    mx = _optional(snapshot, "matrix")
    if not mx.empty:
        m = mx.merge(snapshot.table("areas")[["area_code", "area_name", "division_name"]], on="area_code", how="left")
        if (e := build(ex.matrix_export, m)) is not None:
            shown = e[["worry_lower", "worry_upper", "worry_base"]].notna().any(axis=1).to_numpy()
            bad = e["worry_index"].isna().to_numpy() & shown
            leaks.extend(f"matrix_export row {i} shows the limits or base of a withheld worry index"
                         for i in np.flatnonzero(bad))
    return ran, leaks


def audit_snapshot(snapshot: Snapshot) -> AuditReport:
    """Run every attack on ``snapshot``; see the module docstring for what counts as recovered."""
    world = _World(snapshot, _Facts.read(snapshot))
    point = _point_differencing(world)
    inversion = _inversion(snapshot, world)
    config = _config(snapshot)
    ran, leaks = _exports(snapshot, config) if config is not None else ([], [])
    inversion.recovered += leaks
    results = [point["dimension"], point["geography"], point["window"], inversion, _bounds(world)]
    return AuditReport(snapshot.id, int(world.cells["hidden"].sum()), results, ran, snapshot.variant)
