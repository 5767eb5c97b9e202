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
    big_n = n.sum()
    pbar = x.sum() / big_n
    stat_t = np.sum(x * t) - pbar * np.sum(n * t)
    var = pbar * (1 - pbar) * (np.sum(n * t**2) - np.sum(n * t) ** 2 / big_n)
    stat = float(stat_t**2 / var) if var > 0 else 0.0
    p = float(chi2.sf(stat, 1))
    if p < 1 - confidence:
        direction = "increasing" if stat_t > 0 else "decreasing"
    else:
        direction = "no significant change"
    return TrendResult(stat, p, direction, int(x.size), confidence, "chi-squared test for trend (Armitage)")
