"""The glossary: every statistical or police term the pages use, in plain English, in one place
(no Dash). The glossary page (/glossary) lists them; ``components.glossary.term`` links a term
where it appears to its entry here. A key is the entry's anchor on the page (/glossary#KEY)."""

from __future__ import annotations

from dataclasses import dataclass

from .words import DAGGER, interval, small_base_note


@dataclass(frozen=True)
class Entry:
    key: str
    term: str
    text: str
    also: tuple[str, ...] = ()  # other names the pages use for it


# In the order a reader meets them; short, plain English, no formulas (docs/methods.md has those).
ENTRIES = (
    Entry("interval", "Interval (confidence interval)",
          "A survey asks some people, not everyone, so every percentage is an estimate. The interval is the "
          "range the true figure is very likely to lie in (95 times in 100). A wide interval means a rough "
          "estimate: two figures whose intervals overlap a lot may not really differ.", ("CI",)),
    Entry("base", "Base",
          "The number of people who answered the question (don't know and refusals left out). The smaller "
          "the base, the wider the interval."),
    Entry("small-base", f"Small base ({DAGGER})",
          f"The mark {DAGGER} beside a base says that fewer people answered than is usual at that level "
          "(force, division or area), so the interval is wider than usual: read the figure with care. It "
          "does not mean the figure is wrong."),
    Entry("suppression", "Withheld (suppression)",
          "A figure based on too few people is not shown at all, on screen or in any download, so that no "
          "one who answered can be identified and no one reads much into a handful of answers. Some other "
          "figures are withheld with it, so that the hidden one cannot be worked out by subtraction.",
          ("suppressed", "withheld")),
    Entry("significance", "Significant (statistically significant)",
          "A difference is significant when it is larger than chance alone would be likely to produce, "
          "given the intervals of both figures. Not significant does not mean no difference: it means the "
          "survey cannot tell.", ("significantly better", "significantly worse", "similar")),
    Entry("fdr", "After allowing for chance (false discovery rate)",
          "Comparing every area with the force at once, about one in twenty would look different by luck "
          "alone. Areas are marked better or worse only where the difference holds after allowing for the "
          "number of areas compared (the Benjamini–Hochberg method keeps the share of false alarms among "
          "the marked areas to about one in twenty).", ("FDR", "Benjamini–Hochberg", "BH")),
    Entry("control-limits", "Control limits (funnel plot)",
          "Limits around the force's figure that get narrower as an area's base grows. An area outside them "
          "is further from the force than chance would put it; a force may use them instead of the false "
          "discovery rate."),
    Entry("shrunken", "Shrunken estimate",
          "An area's figure pulled part of the way towards its division's average, more so when the area's "
          "base is small. It is a steadier guess of the area's true level than the raw figure, because a "
          "small sample swings by chance. Both are shown; only the raw figure is tested.",
          ("empirical Bayes",)),
    Entry("msf", "MSF (most similar forces)",
          "The group of police forces that the Home Office judges most like this one (population, area, "
          "deprivation). The MSF average is the plain average of those forces, this force left out. "
          "Better or worse than MSF is tested using the uncertainty of both."),
    Entry("target", "Target verdict",
          "Met: the whole interval is on the right side of the target. Missed: the whole interval is on the "
          "wrong side. Not distinguishable: the interval contains the target, so the survey cannot tell."),
    Entry("p-meets", "P(meets)",
          "The chance, given the survey's uncertainty, that the true figure meets the target: 0.50 is a coin "
          "toss, 0.95 or more is near certain. It is shown beside the target verdict, not instead of it."),
    Entry("hmic-outcome", "HMIC outcome",
          "The inspectorate's reading of an indicator: exceeding the standard (significantly better than "
          "MSF or significantly improved, and not deteriorating), failing to meet it (significantly worse "
          "than MSF, or significantly deteriorated), otherwise meeting it."),
    Entry("change", "Change (rise, fall)",
          "▲ and ▼ say only which way a figure moved. Whether the move is better or worse depends on the "
          "indicator (for perceived anti-social behaviour lower is better) and is said in words and colour; "
          "only significant changes are coloured."),
    Entry("resource-level", "Resource level",
          "The force's colour code for an area from its crime level (recorded crime) against its residents' "
          "worry about crime. It suggests the kind and frequency of engagement: for example reassurance and "
          "visibility where worry is high but crime is low, enforcement and problem solving where crime is "
          "high.", ("crime/worry matrix",)),
    Entry("spi", "SPI and KDI",
          "Statutory performance indicators (SPI 1e whole-experience satisfaction, SPI 2a confidence in "
          "local police, SPI 3b the white / minority-ethnic satisfaction gap, SPI 10b perceived anti-social "
          "behaviour) and the key diagnostic indicator (KDI: the police deal with what matters locally)."),
    Entry("uss", "USS (user satisfaction survey)",
          "Telephone interviews with victims of burglary, vehicle crime, violent crime and road traffic "
          "collisions about the service they received."),
    Entry("division", "Division (BCU)",
          "A basic command unit: the force's areas grouped under one commander."),
)
GLOSSARY = {e.key: e for e in ENTRIES}


def entry(key: str) -> Entry:
    try:
        return GLOSSARY[key]
    except KeyError:
        raise KeyError(f"no glossary entry {key!r} (known: {', '.join(GLOSSARY)})") from None


def force_detail(key: str, config) -> str:
    """What the entry means for this force's configuration, after the plain-English text ('' if
    nothing): the thresholds are configuration, so the glossary takes them from it."""
    if config is None:
        return ""
    if key == "small-base":
        return small_base_note(config)
    if key == "suppression":
        return f"Here: figures on fewer than {config.suppression_threshold} respondents are withheld."
    if key == "interval":
        return f"Here every interval is a {interval(config.policy.confidence)}."
    return ""
