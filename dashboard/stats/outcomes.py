"""HMIC outcome on the SPI evidence: exceeding the standard, meeting it, or failing to meet it."""

from __future__ import annotations

from dataclasses import dataclass

EXCEEDING, MEETING, FAILING = "exceeding", "meeting", "failing to meet"


@dataclass(frozen=True)
class Comparison:
    """One significance verdict to weigh: ``difference`` in points (subject minus reference)."""

    label: str  # "MSF" or the label of the period compared with
    difference: float
    significant: bool


@dataclass(frozen=True)
class Outcome:
    verdict: str
    reasons: tuple[str, ...]

    @property
    def text(self) -> str:
        return "; ".join(self.reasons)


def _better(diff: float, polarity: str) -> bool:
    if polarity == "higher":
        return diff > 0
    if polarity == "lower":
        return diff < 0
    raise ValueError(f"polarity must be 'higher' or 'lower' for an outcome (got {polarity!r})")


def hmic_outcome(polarity: str, vs_msf: Comparison | None, vs_earlier: list[Comparison]) -> Outcome:
    """The indicative outcome for one indicator, with its reasons in plain English.

    Rules (HMIC 2008, Appendix 2 and the grading notes), in order:

    1. Significantly deteriorated against any earlier year compared: failing to meet (never
       exceeding while significantly deteriorating).
    2. Significantly worse than the MSF average: failing to meet, unless the indicator has
       also significantly improved, in which case the improvement earns meeting.
    3. Significantly better than the MSF average, or significantly improved: exceeding (credit
       for a significant improvement is given even below the MSF average).
    4. Otherwise: meeting.

    ``polarity`` is "higher" or "lower" (SPI 10b: lower is better). Differences that are not
    significant are named as such, so a reader sees what was tested.

    Notes
    -----
    HMIC's published grades also drew on professional judgement; this is the statistical part
    only and is labelled "indicative" wherever it is shown.
    """
    reasons: list[str] = []
    better_msf = worse_msf = improved = deteriorated = False
    if vs_msf is not None:
        word = _describe(vs_msf, polarity, "than", ("better", "worse"))
        reasons.append(f"{word} MSF ({vs_msf.difference:+.1f} pts)")
        better_msf = vs_msf.significant and _better(vs_msf.difference, polarity)
        worse_msf = vs_msf.significant and not _better(vs_msf.difference, polarity)
    for c in vs_earlier:
        word = _describe(c, polarity, "since", ("improved", "deteriorated"))
        reasons.append(f"{word} {c.label} ({c.difference:+.1f} pts)")
        improved |= c.significant and _better(c.difference, polarity)
        deteriorated |= c.significant and not _better(c.difference, polarity)
    if deteriorated:
        verdict = FAILING
    elif worse_msf:
        verdict = MEETING if improved else FAILING
    elif better_msf or improved:
        verdict = EXCEEDING
    else:
        verdict = MEETING
    return Outcome(verdict, tuple(reasons))


def _describe(c: Comparison, polarity: str, joiner: str, words: tuple[str, str]) -> str:
    good, bad = words
    if not c.significant:
        return ("not significantly different from" if joiner == "than" else "no significant change since")
    return f"significantly {good if _better(c.difference, polarity) else bad} {joiner}"


def overall_outcome(outcomes: list[Outcome]) -> Outcome:
    """Combine per-indicator outcomes: any failing gives failing; exceeding needs at least as many
    exceeding as meeting and none failing; otherwise meeting. A stated rule of this software
    (HMIC combined the SPI evidence with professional judgement)."""
    if not outcomes:
        raise ValueError("no outcomes to combine")
    counts = {v: sum(o.verdict == v for o in outcomes) for v in (EXCEEDING, MEETING, FAILING)}
    if counts[FAILING]:
        verdict = FAILING
    elif counts[EXCEEDING] >= counts[MEETING]:
        verdict = EXCEEDING
    else:
        verdict = MEETING
    return Outcome(verdict, tuple(f"{n} {v}" for v, n in counts.items() if n))
