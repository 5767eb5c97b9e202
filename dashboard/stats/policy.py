"""The significance policy: which differences the dashboard may colour or mark, stated once.

A force configures the rule in ``[statistics]``; the ingest applies it and publishes, for every
geography, the verdict it gives (``flag``) and the sentence that says what the rule was. Views
read those and never test anything again, so the map, the rug, the ranked bars, the trend markers
and the meeting pack cannot disagree.

Force and division figures are few (one force, a handful of divisions), so they keep the
report's two-sided tests at ``confidence`` (95%), as HMIC's Appendix 2 uses them. Areas are many
(145 by default): testing each at 95% colours about one in twenty by chance, so area flags
follow one of three established rules:

``fdr``
    Benjamini-Hochberg control of the false discovery rate at ``q`` within one indicator ×
    period × comparison over the force's areas (the family one map or one trend view shows):
    of the areas coloured, on average no more than ``q`` are false discoveries
    (Benjamini and Hochberg 1995).
``control_limit``
    Funnel-plot control limits at ``level`` (99.8%, about three standard errors), as NHS and
    PHE indicator publications use them (Spiegelhalter 2005a).
``overdispersed``
    The same limits widened for the between-area variation that sampling does not explain
    (Spiegelhalter's additive random-effects model, 2005b); area changes, which have no common
    benchmark to estimate overdispersion around, use the plain ``level`` limits.

References
----------
.. [1] Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57.
.. [2] Spiegelhalter, D. J. (2005a). Funnel plots for comparing institutional performance.
   Statistics in Medicine 24, 1185-1202.
.. [3] Spiegelhalter, D. J. (2005b). Handling over-dispersion of performance indicators.
   Quality and Safety in Health Care 14, 347-351.
.. [4] HMIC (2008). West Mercia Constabulary inspection report, Appendix 2.
"""

from __future__ import annotations

from dataclasses import dataclass

RULES = ("fdr", "control_limit", "overdispersed")
FLAGS = ("better", "similar", "worse", "not tested", "suppressed")


def percent(level: float) -> str:
    """0.95 -> '95%', 0.998 -> '99.8%', 0.05 -> '5%': the one way a level is written."""
    return f"{100 * level:.10g}%"


@dataclass(frozen=True)
class StatisticsPolicy:
    """Every statistical setting a force may change, with the report's values as defaults."""

    confidence: float = 0.95  # intervals, and every force and division test
    area_rule: str = "fdr"
    fdr_q: float = 0.05
    control_level: float = 0.998
    trend_periods: int = 5  # recent-trend test: the last N periods...
    trend_min_periods: int = 3  # ...and at least this many
    trend_confidence: float = 0.998
    shrinkage_min_areas: int = 3  # fewer areas in a division: no shrunken estimate

    def __post_init__(self):
        problems = []
        if self.area_rule not in RULES:
            problems.append(f"area_flag_rule must be one of {', '.join(RULES)} (got {self.area_rule!r})")
        for name in ("confidence", "fdr_q", "control_level", "trend_confidence"):
            if not 0 < getattr(self, name) < 1:
                problems.append(f"{name} must be between 0 and 1 (got {getattr(self, name)!r})")
        if not 2 <= self.trend_min_periods <= self.trend_periods:
            problems.append(f"trend_min_periods must be at least 2 and at most trend_periods "
                            f"(got {self.trend_min_periods} and {self.trend_periods})")
        if self.shrinkage_min_areas < 3:
            problems.append(f"shrinkage_min_areas must be at least 3 (got {self.shrinkage_min_areas})")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def label(self) -> str:
        """A short name for legends: 'BH FDR 5%', '99.8% limits', '99.8% overdispersed limits'."""
        return {"fdr": f"BH FDR {percent(self.fdr_q)}", "control_limit": f"{percent(self.control_level)} limits",
                "overdispersed": f"{percent(self.control_level)} overdispersed limits"}[self.area_rule]

    def area_text(self, areas: int) -> str:
        """What a coloured area means, in words for a panel member."""
        if self.area_rule == "fdr":
            return (f"Coloured only where the difference from the force holds after controlling false discoveries "
                    f"at {percent(self.fdr_q)} across the {areas:,} areas, for this indicator and period "
                    f"(Benjamini-Hochberg); every other area is 'similar': no evidence it differs.")
        widened = " widened for the real variation between areas" if self.area_rule == "overdispersed" else ""
        return (f"Coloured only where the area lies outside the force's {percent(self.control_level)} control "
                f"limits{widened}, for this indicator and period; every other area is 'similar': no evidence "
                f"it differs.")

    def change_text(self, areas: int) -> str:
        """What an area trend marker means."""
        if self.area_rule == "fdr":
            return (f"An area's change is marked only where it holds after controlling false discoveries at "
                    f"{percent(self.fdr_q)} across the {areas:,} areas' changes for this indicator and period "
                    f"(Benjamini-Hochberg).")
        return (f"An area's change is marked only where it is significant at {percent(self.control_level)} "
                f"(its {percent(self.control_level)} interval excludes no change).")

    @property
    def force_text(self) -> str:
        """What a force or division marker means (few comparisons: the report's tests, unadjusted)."""
        return (f"Force and divisions: marked where the {percent(self.confidence)} interval of the difference "
                f"excludes zero (each division against the rest of the force; each change against the earlier "
                f"period), as in HMIC's Appendix 2; few comparisons, so no adjustment.")

    def area_rule_name(self, areas: int) -> str:
        """The rule as recorded beside each area verdict (``flag_rule``)."""
        return {"fdr": f"Benjamini-Hochberg FDR {percent(self.fdr_q)} within indicator x period over {areas} areas",
                "control_limit": f"{percent(self.control_level)} control limits",
                "overdispersed": f"{percent(self.control_level)} control limits with overdispersion "
                                 f"(Spiegelhalter 2005)"}[self.area_rule]

    def change_rule_name(self, areas: int) -> str:
        if self.area_rule == "fdr":
            return (f"Benjamini-Hochberg FDR {percent(self.fdr_q)} within indicator x period x comparison "
                    f"over {areas} areas")
        return f"significant at {percent(self.control_level)}"

    @property
    def force_rule_name(self) -> str:
        return f"{percent(self.confidence)} interval excludes zero"

    def record(self, areas: int) -> dict:
        """The published one-row ``significance_policy`` table."""
        return {"rule": self.area_rule, "q": self.fdr_q, "level": self.control_level,
                "confidence": self.confidence, "areas": areas, "label": self.label,
                "area_text": self.area_text(areas), "change_text": self.change_text(areas),
                "force_text": self.force_text, "trend_periods": self.trend_periods,
                "trend_min_periods": self.trend_min_periods, "trend_confidence": self.trend_confidence}
