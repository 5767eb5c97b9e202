"""Comparing many areas at once: funnel-plot limits, overdispersion, false-discovery control.

With 145 areas and several indicators on one screen, about one comparison in twenty looks
"significant" at 95% by chance alone. These functions give the funnel plot's control limits
(exact binomial, interpolated), Spiegelhalter's additive random-effects adjustment when areas
vary more than sampling explains, and Benjamini-Hochberg adjusted verdicts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom, norm
from statsmodels.stats.multitest import multipletests


def funnel_limits(p0: float, n, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Funnel-plot control limits for a proportion around the benchmark ``p0`` at base(s) ``n``.

    Exact binomial limits with Spiegelhalter's interpolation, so the limits are smooth in n:
    r_p is the p-quantile of Bin(n, p0), alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1)), and the
    limit is (r_p - alpha) / n.

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
       Statistics in Medicine 24, 1185-1202, Appendix A.1.1.
    """
    if not 0 < p0 < 1:
        raise ValueError(f"benchmark must be strictly between 0 and 1 (got {p0})")
    n = np.maximum(np.round(np.asarray(n, float)), 1)
    out = []
    for prob in ((1 - confidence) / 2, (1 + confidence) / 2):
        r = binom.ppf(prob, n, p0)
        f_r, f_rm1 = binom.cdf(r, n, p0), binom.cdf(r - 1, n, p0)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(f_r > f_rm1, (f_r - prob) / (f_r - f_rm1), 0.0)
        out.append(np.clip((r - alpha) / n, 0, 1))
    return out[0], out[1]


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


def funnel_limits_overdispersed(p0: float, n, tau2: float, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Normal-approximation limits p0 ± z sqrt(p0 (1 - p0) / n + tau²) (Spiegelhalter 2005)."""
    n = np.asarray(n, float)
    half = norm.ppf(0.5 + confidence / 2) * np.sqrt(p0 * (1 - p0) / n + tau2)
    return np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)


@dataclass(frozen=True)
class AreaVerdicts:
    z: np.ndarray
    p_value: np.ndarray
    verdict_95: np.ndarray  # "better" / "similar" / "worse" (polarity applied)
    verdict_998: np.ndarray
    method: str


def compare_to_benchmark(p, n, p0: float, polarity: str, tau2: float = 0.0) -> AreaVerdicts:
    """Each area against a benchmark treated as fixed (the force, or its division), as on a
    funnel plot: z = (p - p0) / sqrt(p0 (1 - p0) / n + tau²); two-sided p-values.

    For "higher is better" an area above the upper limit is "better"; for "lower is better"
    the words swap. Areas inside the limits are "similar": no evidence of a difference, not
    evidence of no difference.
    """
    p, n = np.asarray(p, float), np.asarray(n, float)
    z = (p - p0) / np.sqrt(p0 * (1 - p0) / n + tau2)
    pv = 2 * norm.sf(np.abs(z))
    sign = {"higher": 1, "lower": -1}[polarity]

    def words(level):
        crit = norm.ppf(0.5 + level / 2)
        return np.where(sign * z > crit, "better", np.where(sign * z < -crit, "worse", "similar"))

    return AreaVerdicts(z, pv, words(0.95), words(0.998),
                        "z against a fixed benchmark" + (" with overdispersion" if tau2 else ""))


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
