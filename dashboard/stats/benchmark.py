"""The most-similar-forces (MSF) benchmark and the test of a force against it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .differences import Difference, z_difference


@dataclass(frozen=True)
class MsfAverage:
    value: float  # proportion
    standard_error: float
    peers: int
    method: str


def msf_average(peer_values, peer_bases) -> MsfAverage:
    """Plain mean of the peer forces' rates, with its standard error from their bases.

    Parameters
    ----------
    peer_values : array_like
        Peer rates as proportions in [0, 1]; the force itself is not among them.
    peer_bases : array_like
        Each peer's unweighted base.

    Notes
    -----
    HMIC compared each force with the average of its most similar forces: the unweighted mean
    of the group's rates, so each force counts once whatever its survey size (Appendix 2). The
    force being assessed is left out, so the comparison is between independent samples. Each
    peer rate is a binomial estimate, so Var(mean) = Σ p_i (1 - p_i) / n_i / k². The peers'
    own design effects are not published; this standard error is therefore a lower bound.

    References
    ----------
    .. [1] HMIC (2008), West Mercia inspection report, Appendix 2.
    """
    p = np.asarray(peer_values, float)
    n = np.asarray(peer_bases, float)
    if p.size == 0:
        raise ValueError("at least one peer value is needed")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("peer values must be proportions between 0 and 1")
    if np.any(n <= 0):
        raise ValueError("peer bases must be positive")
    k = p.size
    return MsfAverage(float(p.mean()), float(np.sqrt(np.sum(p * (1 - p) / n)) / k), k,
                      "plain mean of peer rates (force excluded); SE from peer bases")


def compare_to_msf(p, n_effective, msf: MsfAverage, confidence: float = 0.95) -> Difference:
    """Force minus MSF average, tested with the uncertainty of both sides (Appendix 2).

    SE(d) = sqrt(p (1 - p) / n_eff + SE(MSF)²); the interval is p - MSF ± z·SE(d).
    """
    p = np.asarray(p, float)
    se = np.sqrt(p * (1 - p) / np.asarray(n_effective, float) + msf.standard_error**2)
    return z_difference(p - msf.value, se, confidence, method="z-test: force vs MSF mean, both uncertainties")
