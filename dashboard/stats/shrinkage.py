"""Empirical-Bayes (beta-binomial) estimates for small areas, shrunk toward their division.

Always shown beside the raw estimate, never instead of it: the shrunken value answers "what is
our best guess for this area, borrowing strength from similar areas", the raw one "what did
this area's respondents say".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln
from scipy.stats import beta


@dataclass(frozen=True)
class Shrunken:
    value: np.ndarray  # posterior mean, percent
    lower: np.ndarray
    upper: np.ndarray
    prior_alpha: float
    prior_beta: float
    weight_on_area: np.ndarray  # n / (n + alpha + beta): how much the area's own data counts
    confidence: float
    method: str


def fit_beta_prior(x, n) -> tuple[float, float]:
    """Maximum marginal likelihood Beta(alpha, beta) prior for areas' counts (x_i of n_i).

    The beta-binomial log-likelihood (constants dropped) is
    Σ [ln B(x_i + a, n_i - x_i + b) - ln B(a, b)], maximised over log a and log b. Effective
    (non-integer) counts are allowed. When the areas vary no more than sampling explains the
    fit drives a + b very large, i.e. full shrinkage to the group mean; it is capped at 1e6.
    """
    x, n = np.asarray(x, float), np.asarray(n, float)
    if x.size < 3:
        raise ValueError(f"need at least three areas to estimate a prior (got {x.size})")
    m = np.clip(x.sum() / n.sum(), 1e-6, 1 - 1e-6)

    def nll(theta):
        a, b = np.exp(np.clip(theta, -10, np.log(1e6)))
        return -np.sum(betaln(x + a, n - x + b) - betaln(a, b))

    start = np.log([m * 20, (1 - m) * 20])
    res = minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 2000})
    a, b = np.exp(np.clip(res.x, -10, np.log(1e6)))
    return float(a), float(b)


def shrink(x, n, confidence: float = 0.95, prior: tuple[float, float] | None = None) -> Shrunken:
    """Posterior Beta(a + x, b + n - x) for each area under the fitted (or given) prior.

    References
    ----------
    .. [1] Casella, G. (1985). An introduction to empirical Bayes data analysis. The American
       Statistician 39, 83-87.
    .. [2] Clayton, D. and Kaldor, J. (1987). Empirical Bayes estimates of age-standardized
       relative risks for use in disease mapping. Biometrics 43, 671-681.
    """
    x, n = np.asarray(x, float), np.asarray(n, float)
    a, b = prior if prior is not None else fit_beta_prior(x, n)
    post_a, post_b = a + x, b + n - x
    lo, hi = beta.ppf([(1 - confidence) / 2, (1 + confidence) / 2], post_a[:, None], post_b[:, None]).T
    return Shrunken(100 * post_a / (post_a + post_b), 100 * lo, 100 * hi, a, b, n / (n + a + b), confidence,
                    "empirical Bayes beta-binomial, prior fitted by marginal likelihood within the division")
