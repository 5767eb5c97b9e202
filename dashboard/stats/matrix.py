"""The crime/worry matrix: composite indices with uncertainty, and classification that only
calls an area high or low when its interval clears the cut line."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

HIGH, LOW, NOT_DISTINGUISHABLE = "high", "low", "nd"


def composite_index(log_ratios: np.ndarray, variances: np.ndarray, weights: np.ndarray,
                    confidence: float = 0.95):
    """Index 100 = force average, as a weighted geometric mean of area / force ratios.

    Parameters
    ----------
    log_ratios : (areas, indicators) array
        log(area rate / force rate) for each indicator, signed by direction.
    variances : (areas, indicators) array
        Variance of each log ratio; used only where the indicators are independent (crime
        counts). For correlated indicators pass the composite's own variance through
        :func:`index_from_log`.
    weights : (indicators,) array

    Returns
    -------
    (index, lower, upper, log_index, log_se)

    Notes
    -----
    log I = Σ w_i log(r_ai / r_i) / Σ w_i; Var(log I) = Σ w_i² Var(log r_ai) / (Σ w_i)² for
    independent indicators (delta method; for a Poisson count Var(log c) ≈ 1 / c). Working on
    log ratios makes every indicator count in proportion to its weight whatever its scale
    (composite-indicator practice: OECD/JRC Handbook on Constructing Composite Indicators,
    2008, geometric aggregation).
    """
    w = np.asarray(weights, float)
    log_index = np.asarray(log_ratios, float) @ w / w.sum()
    log_se = np.sqrt(np.asarray(variances, float) @ (w**2)) / w.sum()
    return index_from_log(log_index, log_se, confidence)


def index_from_log(log_index, log_se, confidence: float = 0.95):
    z = norm.ppf(0.5 + confidence / 2)
    log_index, log_se = np.asarray(log_index, float), np.asarray(log_se, float)
    return (100 * np.exp(log_index), 100 * np.exp(log_index - z * log_se), 100 * np.exp(log_index + z * log_se),
            log_index, log_se)


def classify(lower, upper, cut_low, cut_high=None) -> np.ndarray:
    """'high' when the whole interval is above the (upper) cut, 'low' when wholly below the
    (lower) cut, otherwise 'nd' (not distinguishable). With one cut line, pass it once."""
    cut_high = cut_low if cut_high is None else cut_high
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    return np.where(lower > cut_high, HIGH, np.where(upper < cut_low, LOW, NOT_DISTINGUISHABLE))


def hold_levels(raw_levels: list, hold_periods: int) -> list:
    """Published levels over consecutive periods: a change is published only once the new
    level has held for ``hold_periods`` periods in a row (1 = publish every change). The first
    period publishes its raw level."""
    if hold_periods < 1:
        raise ValueError(f"hold_periods must be at least 1 (got {hold_periods})")
    published = []
    for k, level in enumerate(raw_levels):
        if k == 0:
            published.append(level)
            continue
        recent = raw_levels[max(0, k - hold_periods + 1): k + 1]
        held = len(recent) == hold_periods and all(r == level for r in recent)
        published.append(level if held or level == published[-1] else published[-1])
    return published
