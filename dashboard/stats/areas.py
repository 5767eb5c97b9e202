"""Comparing many areas at once under the significance policy: funnel-plot limits,
overdispersion, false-discovery control.

With 145 areas and several indicators on one screen, about one comparison in twenty looks
"significant" at 95% by chance alone. These functions give each area its flag under the
configured rule (:mod:`dashboard.stats.policy`) together with the limits the flag uses, so a
funnel plot drawn from them cannot disagree with the colours: Benjamini-Hochberg control of
false discoveries, control limits, or Spiegelhalter's additive random-effects adjustment when
areas vary more than sampling explains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests


@dataclass(frozen=True)
class Overdispersion:
    phi: float  # dispersion factor from winsorised z-scores
    tau2: float  # additive between-area variance (0 when no overdispersion)
    method: str


def overdispersion(p, n, p0: float, winsor: float = 0.1) -> Overdispersion:
    """Spiegelhalter's additive random-effects estimate of between-area variance.

    z_i = (p_i - p0) / s_i with s_i² = p0 (1 - p0) / n_i; the z-scores are winsorised at the
    10% and 90% points; phi = mean(z_w²). If I·phi > I - 1, tau² = (I·phi - (I - 1)) /
    (Σ w_i - Σ w_i² / Σ w_i) with w_i = 1 / s_i², else tau² = 0.

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Handling over-dispersion of performance indicators.
       Quality and Safety in Health Care 14, 347-351.
    """
    p, n = np.asarray(p, float), np.asarray(n, float)
    s2 = p0 * (1 - p0) / n
    z = (p - p0) / np.sqrt(s2)
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    zw = np.clip(z, lo, hi)
    k = z.size
    phi = float(np.mean(zw**2))
    w = 1 / s2
    tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum())) if k * phi > k - 1 else 0.0
    return Overdispersion(phi, float(tau2), "spiegelhalter 2005 additive random effects, 10% winsorised")


def flag_limits(p0: float, n, z: float, tau2: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The limits an area flag uses, for any effective base(s) ``n``: p0 ± z sqrt(p0 (1 - p0) / n + tau²).

    The flag of :func:`flag_areas` is "better" or "worse" exactly when the area's value lies
    outside these limits at its own effective base, so a funnel plot drawn with this function
    and the flags can never disagree (the same score statistic, the same critical value).
    """
    n = np.asarray(n, float)
    half = z * np.sqrt(p0 * (1 - p0) / n + tau2)
    return np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)


@dataclass(frozen=True)
class AreaFlags:
    z: np.ndarray
    p_value: np.ndarray
    adjusted_p: np.ndarray  # Benjamini-Hochberg adjusted p (NaN under the other rules)
    flag: np.ndarray  # "better" / "similar" / "worse" / "not tested" / "suppressed"
    z_critical: float  # |z| beyond this is flagged
    tau2: float
    phi: float
    lower: np.ndarray  # the limits at each area's effective base (proportions)
    upper: np.ndarray


def polarity_words(difference, flagged, polarity: str) -> np.ndarray:
    """"better" / "worse" for flagged differences (polarity applied), "similar" otherwise.

    For "nearer_zero" (a gap between groups, where parity is the aim) the difference is the gap
    itself: a flagged gap is "worse" whichever group is ahead."""
    difference, flagged = np.asarray(difference, float), np.asarray(flagged, bool)
    if polarity == "nearer_zero":
        return np.where(flagged, "worse", "similar").astype(object)
    if polarity not in ("higher", "lower"):
        raise ValueError(f"polarity must be higher, lower or nearer_zero (got {polarity!r})")
    good = difference > 0 if polarity == "higher" else difference < 0
    return np.where(flagged, np.where(good, "better", "worse"), "similar").astype(object)


def flag_areas(p, n, p0: float, polarity: str, policy) -> AreaFlags:
    """Each area against the force under the configured significance policy, ready to colour.

    The test is the score test against the force value treated as fixed, as on a funnel plot:
    z = (p - p0) / sqrt(p0 (1 - p0) / n + tau²) on the area's effective base (its inversion is
    the Wilson interval). An area holds a small share of the force's respondents (1/145 by
    default), so the force value is close to the rest of the force's; the difference from the
    rest of the force is published beside it (``vs_rest_*``). Then, by ``policy.area_rule``:

    * ``fdr``: Benjamini-Hochberg at ``policy.fdr_q`` over these areas (one indicator × period:
      the family a map shows). The critical z is that of the BH threshold q·k/m (k flagged of
      m tested; q/m when none), so "outside the drawn limits" and "flagged" coincide.
    * ``control_limit``: |z| beyond the two-sided ``policy.control_level`` point (3.09 at 99.8%).
    * ``overdispersed``: the same, with Spiegelhalter's tau² added to the variance.

    Areas with a missing value or base (withheld) are "suppressed" and not in the family.

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
       Statistics in Medicine 24, 1185-1202.
    .. [2] Benjamini, Y. and Hochberg, Y. (1995). JRSS B 57, 289-300.
    """
    p, n = np.asarray(p, float), np.asarray(n, float)
    tested = ~(np.isnan(p) | np.isnan(n)) & (n > 0)
    tau2, phi = 0.0, np.nan
    if policy.area_rule == "overdispersed" and tested.sum() >= 3:
        od = overdispersion(p[tested], n[tested], p0)
        tau2, phi = od.tau2, od.phi
    z = np.full(p.shape, np.nan)
    z[tested] = (p[tested] - p0) / np.sqrt(p0 * (1 - p0) / n[tested] + tau2)
    pv = 2 * norm.sf(np.abs(z))
    adjusted = np.full(p.shape, np.nan)
    m = int(tested.sum())
    if policy.area_rule == "fdr":
        reject = np.zeros(p.shape, bool)
        if m:
            reject[tested], adjusted[tested] = benjamini_hochberg(pv[tested], policy.fdr_q)
        k = int(reject.sum())
        z_crit = float(norm.isf(policy.fdr_q * max(k, 1) / max(m, 1) / 2))
        flagged = reject
    else:
        z_crit = float(norm.isf((1 - policy.control_level) / 2))
        flagged = tested & (np.abs(np.nan_to_num(z)) > z_crit)
    flag = polarity_words(np.nan_to_num(z), flagged, polarity)
    flag[~tested] = "suppressed"
    lower, upper = flag_limits(p0, np.where(tested, n, 1.0), z_crit, tau2)
    return AreaFlags(z, pv, adjusted, flag, z_crit, float(tau2), float(phi), lower, upper)


def flag_family(p_values, difference, polarity: str, policy) -> tuple[np.ndarray, np.ndarray]:
    """(flag, adjusted p) for a family of area differences (changes, gaps) with their own
    p-values, under the policy: BH at q within the family, or significance at the control level.
    NaN p-values (withheld) give "suppressed" and are not in the family."""
    pv, d = np.asarray(p_values, float), np.asarray(difference, float)
    tested = ~np.isnan(pv)
    adjusted = np.full(pv.shape, np.nan)
    flagged = np.zeros(pv.shape, bool)
    if policy.area_rule == "fdr":
        if tested.any():
            flagged[tested], adjusted[tested] = benjamini_hochberg(pv[tested], policy.fdr_q)
    else:
        flagged = tested & (np.nan_to_num(pv, nan=1.0) < 1 - policy.control_level)
    flag = polarity_words(np.nan_to_num(d), flagged, polarity)
    flag[~tested] = "suppressed"
    return flag, adjusted


def benjamini_hochberg(p_values, q: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """(reject, adjusted p) controlling the false discovery rate at ``q`` over all comparisons
    on the screen (areas × indicators), by Benjamini and Hochberg's step-up procedure.

    References
    ----------
    .. [1] Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B
       57, 289-300. (statsmodels ``multipletests(method="fdr_bh")``)
    """
    p = np.asarray(p_values, float)
    if p.size == 0:
        return np.zeros(0, bool), np.zeros(0)
    reject, adjusted, _, _ = multipletests(p, alpha=q, method="fdr_bh")
    return reject, adjusted
