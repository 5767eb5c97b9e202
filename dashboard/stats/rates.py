"""Counts and rates with exact Poisson intervals."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2


def poisson_interval(count, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) interval for a Poisson count.

    lower = chi2.ppf(alpha/2, 2c) / 2 (0 when c = 0), upper = chi2.ppf(1 - alpha/2, 2c + 2) / 2.

    References
    ----------
    .. [1] Garwood, F. (1936). Fiducial limits for the Poisson distribution. Biometrika 28,
       437-442. (PHEindicatormethods ``phe_rate(type = "standard")`` uses the same limits, via
       Byar's approximation above 388 events.)
    """
    c = np.asarray(count, float)
    if np.any(c < 0):
        raise ValueError("counts must not be negative")
    a = 1 - confidence
    with np.errstate(invalid="ignore"):
        lower = np.where(c > 0, chi2.ppf(a / 2, 2 * c) / 2, 0.0)
    upper = chi2.ppf(1 - a / 2, 2 * c + 2) / 2
    return lower, upper


def rate_per_1000(count, population, confidence: float = 0.95):
    """(rate, lower, upper) per 1,000 residents; NaN where the population is unknown or 0."""
    c = np.asarray(count, float)
    pop = np.asarray(population, float)
    lo, hi = poisson_interval(c, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(pop > 0, 1000 / pop, np.nan)
    return c * scale, lo * scale, hi * scale
