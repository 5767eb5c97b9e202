"""Bayesian (beta-binomial) estimates for small areas, shrunk toward their division.

Always shown beside the raw estimate, never instead of it: the shrunken value answers "what is
our best guess for this area, borrowing strength from similar areas", the raw one "what did
this area's respondents say".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc, betaln, expit, logit, ndtri

# Grid over the prior precision s = alpha + beta, on log s, from s = 0.0009 (areas all but
# unrelated) to 5e8 (no between-area variation at all). The hyperprior puts 1e-3 of its mass
# below the grid and 2e-9 above it; the posterior is integrated over the whole range, never
# taken at an end of it.
LOG_S_GRID = np.arange(-7.0, 20.0 + 1e-9, 0.25)
# The posterior over the grid is compressed into this many equal-mass strata, each one Beta
# component per area (tested against the uncompressed grid: quantiles agree to 0.05 point).
MIXTURE_COMPONENTS = 12
METHOD = ("Bayesian beta-binomial within the division: prior mean at the pooled rate, precision "
          "integrated over a grid under a uniform prior on the intra-area correlation 1/(1+s); "
          "mean and equal-tailed interval of the Beta mixture")


@dataclass(frozen=True)
class Shrunken:
    """Each area's shrunken estimate, in percent.

    ``value`` is the posterior mean and ``lower`` / ``upper`` the equal-tailed interval of the
    area's posterior. ``prior_alpha`` and ``prior_beta`` are m·s and (1 - m)·s at the pooled
    rate m and the *posterior median* of the precision s (the posterior mean of s can be
    infinite under the hyperprior); with a given ``prior`` they are that prior.
    ``weight_on_area`` is the posterior mean of n / (n + s), the share of the estimate that
    comes from the area's own respondents: value = m + weight · (raw - m).
    """

    value: np.ndarray  # posterior mean, percent
    lower: np.ndarray
    upper: np.ndarray
    prior_alpha: float
    prior_beta: float
    weight_on_area: np.ndarray  # posterior mean of n / (n + s)
    confidence: float
    method: str


def _check(x, n) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, n = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(n, float))
    if x.shape != n.shape:
        raise ValueError(f"x and n must have the same shape (got {x.shape} and {n.shape})")
    ok = np.isfinite(x) & np.isfinite(n)
    if (n[ok] <= 0).any():
        raise ValueError(f"n must be positive (got {n[ok][n[ok] <= 0][0]:g})")
    if (x[ok] < 0).any():
        raise ValueError(f"x must not be negative (got {x[ok][x[ok] < 0][0]:g})")
    over = ok & (x > n * (1 + 1e-12))
    if over.any():
        raise ValueError(f"x must not exceed n (got {x[over][0]:g} > {n[over][0]:g})")
    return np.minimum(x, n), n, ok


def log_hyperprior(log_s: np.ndarray) -> np.ndarray:
    """Log density of log s when the intra-area correlation rho = 1/(1 + s) is uniform on (0, 1).

    p(s) = (1 + s)^-2, so p(log s) = s (1 + s)^-2: proper, flat in rho near rho = 0 (no
    between-area variation) and weak everywhere else.
    """
    return log_s - 2.0 * np.logaddexp(0.0, log_s)


def precision_posterior(x, n) -> tuple[float, np.ndarray, np.ndarray]:
    """The pooled rate m and the posterior of s = alpha + beta over ``LOG_S_GRID``.

    The beta-binomial likelihood Σ [ln B(x_i + m s, n_i - x_i + (1 - m) s) - ln B(m s, (1 - m) s)]
    (constants dropped; effective, non-integer counts allowed) times the hyperprior of
    :func:`log_hyperprior`. Returns (m, s grid, posterior weights summing to 1).
    """
    x, n, ok = _check(x, n)
    x, n = x[ok], n[ok]
    if x.size < 3:
        raise ValueError(f"need at least three areas to estimate a prior (got {x.size})")
    m = float(np.clip(x.sum() / n.sum(), 1e-6, 1 - 1e-6))
    s = np.exp(LOG_S_GRID)
    a, b = m * s, (1 - m) * s
    loglik = (betaln(x[None, :] + a[:, None], (n - x)[None, :] + b[:, None]).sum(axis=1)
              - x.size * betaln(a, b))
    lp = loglik + log_hyperprior(LOG_S_GRID)
    w = np.exp(lp - lp.max())
    return m, s, w / w.sum()


def fit_beta_prior(x, n) -> tuple[float, float]:
    """Beta(alpha, beta) summary of the fitted prior: m·s and (1 - m)·s at the posterior median of s.

    Kept for callers that want one prior; :func:`shrink` integrates over s instead of using it.
    """
    m, s, w = precision_posterior(x, n)
    s_med = float(s[np.searchsorted(np.cumsum(w), 0.5)])
    return m * s_med, (1 - m) * s_med


def _compress(log_s: np.ndarray, w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """K equal-posterior-mass strata of the grid, each at its mean log s with its mass."""
    mid = np.cumsum(w) - w / 2
    stratum = np.minimum((mid * k).astype(int), k - 1)
    mass = np.bincount(stratum, w, k)
    keep = mass > 0
    centre = np.bincount(stratum, w * log_s, k)[keep] / mass[keep]
    return np.exp(centre), mass[keep] / mass[keep].sum()


def mixture_quantile(a: np.ndarray, b: np.ndarray, weights: np.ndarray, q: float,
                     tol: float = 1e-10, max_iter: int = 200) -> np.ndarray:
    """Quantile q of each row's mixture Σ_k weights[k] Beta(a[i, k], b[i, k]).

    Safeguarded Newton on the logit scale (the mixture CDF is monotone, so a bracket is kept
    and a step that leaves it is replaced by bisection), started from a normal approximation
    on the logit scale; vectorised over rows, each row stopped once converged.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    wk = np.broadcast_to(np.asarray(weights, float), a.shape)
    lb = betaln(a, b)
    mean = np.sum(wk * a / (a + b), axis=1)
    m2 = np.sum(wk * a * (a + 1) / ((a + b) * (a + b + 1)), axis=1)
    mean = np.clip(mean, 1e-12, 1 - 1e-12)
    sd = np.sqrt(np.maximum(m2 - mean ** 2, 0.0))
    z = np.clip(logit(mean) + ndtri(q) * sd / (mean * (1 - mean)), -45.0, 45.0)
    lo, hi = np.full(len(z), -46.0), np.full(len(z), 46.0)
    active = np.arange(len(z))
    for _ in range(max_iter):
        za = z[active]
        p = expit(za)
        A, B, W = a[active], b[active], wk[active]
        g = np.sum(W * betainc(A, B, p[:, None]), axis=1) - q
        logf = (A - 1) * np.log(p)[:, None] + (B - 1) * np.log1p(-p)[:, None] - lb[active]
        dg = np.sum(W * np.exp(logf), axis=1) * p * (1 - p)
        lo[active] = np.where(g < 0, za, lo[active])
        hi[active] = np.where(g >= 0, za, hi[active])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            new = za - g / dg
        outside = ~np.isfinite(new) | (new <= lo[active]) | (new >= hi[active])
        new = np.where(outside, (lo[active] + hi[active]) / 2, new)
        z[active] = new
        done = (np.abs(new - za) < tol) | (hi[active] - lo[active] < tol)
        active = active[~done]
        if active.size == 0:
            break
    return expit(z)


def shrink(x, n, confidence: float = 0.95, prior: tuple[float, float] | None = None) -> Shrunken:
    """Each area's posterior under a Beta(m·s, (1 - m)·s) prior for the areas' true rates.

    Parameters
    ----------
    x, n : array_like
        Positives and base per area (effective, non-integer counts allowed). Areas with a
        non-finite count get NaN and take no part in the fit.
    confidence : float
        Probability content of the equal-tailed interval.
    prior : (alpha, beta), optional
        A fixed prior: each area's posterior is then the plain Beta(alpha + x, beta + n - x).

    Notes
    -----
    Without ``prior``, the prior mean m is the division's pooled rate Σx / Σn and the
    precision s is integrated out (full Bayes over s): its posterior is computed on a grid of
    log s under the proper hyperprior p(s) = (1 + s)^-2, i.e. a uniform prior on the
    intra-area correlation rho = 1/(1 + s), the share of the answers' variance that lies
    between areas. Given s, area i's posterior is Beta(m s + x_i, (1 - m) s + n_i - x_i);
    the uncertainty of m given s (conditional posterior variance
    m(1 - m) / Σ n_i / (1 + (n_i - 1) rho)) is added to each component by matching its mean
    and variance. The area's posterior is the mixture of these Betas over the grid
    (compressed to ``MIXTURE_COMPONENTS`` equal-mass strata); the estimate is its mean and
    the interval its equal-tailed quantiles, found by safeguarded Newton on the mixture CDF.

    This replaces the empirical-Bayes fit of s by maximum marginal likelihood, which ran to
    the top of its search range (s = 1e6) whenever the areas varied no more than sampling
    explains, and then published intervals of about ±0.1 point around the division rate.

    Coverage (seeded simulations, 30 areas of 60-100 respondents; tests/unit/test_shrinkage.py):
    95% intervals cover the areas' true rates 94-96% of the time when the areas genuinely
    differ (between-area SD 3-10 points); when they do not differ, or barely (SD under about
    2 points), the intervals are conservative (98-100%): the hyperprior keeps some belief in
    between-area differences that the data cannot rule out. The Uniform prior on rho is the
    proper analogue of Gelman et al.'s p(alpha, beta) ∝ (alpha + beta)^-5/2 for the rat
    tumour example, with s + 1 in place of s.

    References
    ----------
    .. [1] Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A. and Rubin,
       D. B. (2013). Bayesian Data Analysis, 3rd ed., section 5.3 (hierarchical beta-binomial
       model, rat tumours). CRC Press.
    .. [2] Casella, G. (1985). An introduction to empirical Bayes data analysis. The American
       Statistician 39, 83-87.
    .. [3] Clayton, D. and Kaldor, J. (1987). Empirical Bayes estimates of age-standardized
       relative risks for use in disease mapping. Biometrics 43, 671-681.
    .. [4] Morris, C. N. (1983). Parametric empirical Bayes inference: theory and
       applications. JASA 78, 47-55 (why plug-in intervals under-cover).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (got {confidence})")
    x, n, ok = _check(x, n)
    nan = np.full(x.shape, np.nan)
    value, lower, upper, weight = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    xo, no = x[ok], n[ok]
    if prior is not None:
        alpha, beta_ = (float(v) for v in prior)
        if not (alpha > 0 and beta_ > 0):
            raise ValueError(f"prior parameters must be positive (got {alpha:g}, {beta_:g})")
        a, b = (alpha + xo)[:, None], (beta_ + no - xo)[:, None]
        mix = np.ones(1)
        w_area = no / (no + alpha + beta_)
        method = "Bayesian beta-binomial with a given Beta prior: posterior mean and equal-tailed interval"
    else:
        m, s_grid, post = precision_posterior(xo, no)
        s, mix = _compress(LOG_S_GRID, post, MIXTURE_COMPONENTS)
        rho = 1.0 / (1.0 + s)
        var_m = m * (1 - m) / np.sum(no[:, None] / (1.0 + (no[:, None] - 1.0) * rho), axis=0)
        shrink_to = s / (s + no[:, None])  # (areas, K): weight on m
        mu = (m * s + xo[:, None]) / (s + no[:, None])
        var = mu * (1 - mu) / (s + no[:, None] + 1) + shrink_to ** 2 * var_m
        total = np.maximum(mu * (1 - mu) / var - 1, 1e-9)
        a, b = mu * total, (1 - mu) * total
        w_area = np.sum(mix * (1 - shrink_to), axis=1)
        s_med = float(s_grid[np.searchsorted(np.cumsum(post), 0.5)])
        alpha, beta_ = m * s_med, (1 - m) * s_med
        method = METHOD
    if xo.size:
        value[ok] = 100 * np.sum(mix * a / (a + b), axis=1)
        lower[ok] = 100 * mixture_quantile(a, b, mix, (1 - confidence) / 2)
        upper[ok] = 100 * mixture_quantile(a, b, mix, (1 + confidence) / 2)
        weight[ok] = w_area
    return Shrunken(value, lower, upper, alpha, beta_, weight, confidence, method)
