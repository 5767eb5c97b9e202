"""Performance against a target: met, missed, or not distinguishable from the target."""

from __future__ import annotations

from dataclasses import dataclass

from scipy.stats import beta

from .proportions import wilson_interval

MET, MISSED, NOT_DISTINGUISHABLE = "met", "missed", "not distinguishable from target"


@dataclass(frozen=True)
class TargetResult:
    verdict: str
    probability_meets: float  # P(true value meets the target | data), Jeffreys posterior
    firm_verdict_base: int | None  # effective base giving a firm verdict at this estimate; None if never
    method: str


def target_verdict(p: float, n_effective: float, target_pct: float, polarity: str = "higher",
                   confidence: float = 0.95) -> TargetResult:
    """Judge an estimate against a target, never on the point estimate alone.

    Parameters
    ----------
    p : float
        Estimate as a proportion.
    n_effective : float
        Effective base of the estimate.
    target_pct : float
        Target in percent; met means at or above it (``polarity="higher"``) or at or below it.

    Returns
    -------
    TargetResult
        ``verdict``: met when the whole Wilson interval is on the right side of the target,
        missed when it is wholly on the wrong side, otherwise not distinguishable.
        ``probability_meets``: the posterior probability that the true value meets the target,
        from the Jeffreys Beta(x + 1/2, n - x + 1/2) posterior on the effective base.
        ``firm_verdict_base``: the smallest effective base whose interval, at this same
        estimate, would exclude the target (how much more survey a firm answer would need).

    References
    ----------
    .. [1] Brown, Cai and DasGupta (2001), Statistical Science 16, 101-133 (Jeffreys interval).
    .. [2] Wilson (1927); see :func:`dashboard.stats.proportions.wilson_interval`.
    """
    if polarity not in ("higher", "lower"):
        raise ValueError(f"polarity must be 'higher' or 'lower' (got {polarity!r})")
    t = target_pct / 100
    lo, hi = (float(v) for v in wilson_interval(p * n_effective, n_effective, confidence))
    sign = 1 if polarity == "higher" else -1
    if (lo >= t) if sign > 0 else (hi <= t):
        verdict = MET
    elif (hi < t) if sign > 0 else (lo > t):
        verdict = MISSED
    else:
        verdict = NOT_DISTINGUISHABLE
    x = p * n_effective
    above = float(beta.sf(t, x + 0.5, n_effective - x + 0.5))
    prob = above if sign > 0 else 1 - above
    return TargetResult(verdict, prob, _firm_base(p, t, confidence), "wilson interval vs target; jeffreys posterior")


def _firm_base(p: float, t: float, confidence: float) -> int | None:
    if p == t:
        return None
    lo_n, hi_n = 1, 1
    while True:
        lo, hi = wilson_interval(p * hi_n, hi_n, confidence)
        if not (lo <= t <= hi):
            break
        hi_n *= 2
        if hi_n > 10**9:
            return None
    while lo_n < hi_n:  # smallest n whose interval excludes t
        mid = (lo_n + hi_n) // 2
        lo, hi = wilson_interval(p * mid, mid, confidence)
        if lo <= t <= hi:
            lo_n = mid + 1
        else:
            hi_n = mid
    return int(hi_n)
