"""Trends: the chi-squared test for a linear trend in proportions over the recent periods."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2


@dataclass(frozen=True)
class TrendResult:
    statistic: float
    p_value: float
    direction: str  # "increasing", "decreasing" or "no significant change"
    periods: int
    confidence: float
    method: str


def chi_squared_trend(positives, bases, scores=None, confidence: float = 0.998) -> TrendResult:
    """Chi-squared test for trend in proportions (Cochran-Armitage), as Fingertips uses for its
    recent-trend marker on the last five points at 99.8%.

    With scores t_i (1, 2, ... by default), N = Σ n_i, p̄ = Σ x_i / N:
    T = Σ x_i t_i - p̄ Σ n_i t_i;  Var = p̄ (1 - p̄) (Σ n_i t_i² - (Σ n_i t_i)² / N);
    X² = T² / Var on 1 degree of freedom. Weighted estimates enter as effective counts
    (p_i × n_eff_i, n_eff_i).

    References
    ----------
    .. [1] Armitage, P. (1955). Tests for linear trends in proportions and frequencies.
       Biometrics 11, 375-386. R ``prop.trend.test``.
    .. [2] Public Health England (2018). Fingertips: recent trends, technical guidance.
    """
    x, n = np.asarray(positives, float), np.asarray(bases, float)
    if x.shape != n.shape or x.size < 3:
        raise ValueError(f"need at least three periods of positives and bases (got {x.size})")
    t = np.arange(1, x.size + 1, dtype=float) if scores is None else np.asarray(scores, float)
    stat, p, direction = trend_from_sums(x.sum(), n.sum(), np.sum(x * t), np.sum(n * t), np.sum(n * t**2),
                                         confidence)
    return TrendResult(float(stat), float(p), str(direction), int(x.size), confidence,
                       "chi-squared test for trend (Armitage)")


def trend_from_sums(sum_x, sum_n, sum_xt, sum_nt, sum_nt2, confidence: float = 0.998):
    """The same test from per-series sums (vectorised over many series at once):
    returns (chi-squared, p-value, direction)."""
    sum_x, sum_n = np.asarray(sum_x, float), np.asarray(sum_n, float)
    pbar = sum_x / sum_n
    stat_t = np.asarray(sum_xt, float) - pbar * np.asarray(sum_nt, float)
    var = pbar * (1 - pbar) * (np.asarray(sum_nt2, float) - np.asarray(sum_nt, float) ** 2 / sum_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(var > 0, stat_t**2 / var, 0.0)
    p = chi2.sf(stat, 1)
    direction = np.where(p < 1 - confidence, np.where(stat_t > 0, "increasing", "decreasing"),
                         "no significant change")
    return stat, p, direction
