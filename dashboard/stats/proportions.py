"""Proportions with confidence intervals: Wilson score intervals on the effective base.

Pure numpy/scipy, vectorised over arrays; no Dash, no file access.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm


@dataclass(frozen=True)
class Estimate:
    """A percentage with its interval and the bases it rests on (arrays or scalars).

    ``value``, ``lower`` and ``upper`` are percentages; ``base`` is the unweighted number of
    valid respondents, ``effective_base`` the base the interval was computed on.
    """

    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    base: np.ndarray
    effective_base: np.ndarray
    confidence: float
    method: str


def wilson_interval(successes, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion, as proportions in [0, 1].

    ``successes`` and ``n`` may be non-integer (weighted positives on an effective base).

    Parameters
    ----------
    successes : array_like
        Number of positive answers (0 <= successes <= n).
    n : array_like
        Number of trials; must be positive.
    confidence : float
        Two-sided confidence level, strictly between 0 and 1.

    Returns
    -------
    (lower, upper) : tuple of ndarray

    Notes
    -----
    The Wilson interval keeps close to its nominal coverage for small n and for proportions
    near 0 or 1, where the Wald interval fails (Brown, Cai and DasGupta 2001); it is the
    interval recommended for public health and official statistics indicators (Fingertips,
    PHEindicatormethods ``phe_proportion``).

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. JASA 22, 209-212.
    .. [2] Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
       comparison of seven methods. Statistics in Medicine 17, 857-872.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence})")
    x = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any(n <= 0):
        raise ValueError(f"n must be positive (got {np.min(n):g})")
    if np.any(x < 0) or np.any(x > n * (1 + 1e-12)):
        raise ValueError("successes must be between 0 and n")
    z = norm.ppf(0.5 + confidence / 2)
    p = x / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    lower = np.where(x <= 0, 0.0, np.clip(centre - half, 0, 1))  # exact at the edges, no rounding dust
    upper = np.where(x >= n, 1.0, np.clip(centre + half, 0, 1))
    return lower, upper


def weighted_proportion(weighted_positives, sum_weights, n_unweighted, effective_base,
                        confidence: float = 0.95) -> Estimate:
    """Weighted percentage with a Wilson interval on the effective base.

    ``effective_base`` is the one base every interval and test uses
    (:func:`dashboard.data.aggregate.effective_base`: n over the survey's configured total
    design effect, or Kish's (Σw)² / Σw² where none is configured); it is used as given here,
    so no design effect is ever applied twice. For unweighted data it is the unweighted base.

    References
    ----------
    .. [1] Kish, L. (1965). Survey Sampling. Wiley. (effective sample size, design effect)
    .. [2] Wilson, E. B. (1927); see :func:`wilson_interval`.
    """
    p = np.asarray(weighted_positives, float) / np.asarray(sum_weights, float)
    n_eff = np.asarray(effective_base, float)
    lower, upper = wilson_interval(p * n_eff, n_eff, confidence)
    return Estimate(value=100 * p, lower=100 * lower, upper=100 * upper, base=np.asarray(n_unweighted),
                    effective_base=n_eff, confidence=confidence, method="wilson score on the effective base")
