"""Period arithmetic in one place: labels, rolling windows, comparison periods and their words.

The force's configuration names the kind of period it reports in (``[periods] kind``: financial
year ``2007/08``, calendar year ``2007``, calendar quarter ``2007 Q1`` = January to March, or
month ``2007-01``), the consecutive labels (``config.periods``, each with its start and
exclusive end date) and ``rolling`` (``config.rolling_periods``, N). With N > 1 a published
result for period P pools the N consecutive periods ending at P (four quarters: "12 months to
2024 Q2"); a period without N configured periods up to it has no full window and is not
published. Two windows are compared only when they do not overlap, so that the two estimates
rest on independent samples (the Newcombe difference of ``dashboard.stats.differences`` assumes
it): "the previous period" of P is the window ending N periods earlier, and the recent-trend
test uses every N-th period ending at the latest.

Everything here is a pure function of the configuration: no data is read.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

MONTHS_IN = {"financial_year": 12, "calendar_year": 12, "quarter": 3, "month": 1}
UNIT_WORDS = {"financial_year": "year", "calendar_year": "year", "quarter": "quarter", "month": "month"}


def labels(config) -> tuple[str, ...]:
    """Every configured period label, in order."""
    return tuple(p.label for p in config.periods)


def _index(config, label: str) -> int:
    try:
        return labels(config).index(label)
    except ValueError:
        raise ValueError(f"unknown period {label!r} (configured: {', '.join(labels(config))})") from None


def window(config, label: str) -> tuple[str, ...] | None:
    """The labels pooled into ``label``'s published result: the ``rolling_periods`` consecutive
    periods ending at it, or None when fewer configured periods lead up to it."""
    k, n = _index(config, label), config.rolling_periods
    if k + 1 < n:
        return None
    return labels(config)[k + 1 - n: k + 1]


def published_labels(config) -> tuple[str, ...]:
    """The labels with a full window: the periods results are published for."""
    return tuple(p for p in labels(config) if window(config, p) is not None)


def comparison_period(config, label: str) -> str | None:
    """The period whose window ends just before ``label``'s window starts (``rolling_periods``
    earlier): the nearest earlier window that shares no period with it, or None if that window
    is not full."""
    k = _index(config, label) - config.rolling_periods
    if k < 0:
        return None
    earlier = labels(config)[k]
    return earlier if window(config, earlier) is not None else None


def overlaps(config, a: str, b: str) -> bool:
    """Whether the windows of ``a`` and ``b`` share a period (their samples are not independent)."""
    return abs(_index(config, a) - _index(config, b)) < config.rolling_periods


def trend_labels(config, latest: str, count: int) -> tuple[str, ...]:
    """Up to ``count`` published periods for a trend ending at ``latest``: every
    ``rolling_periods``-th period, so that no two windows overlap, oldest first."""
    k, n = _index(config, latest), config.rolling_periods
    picked = [labels(config)[i] for i in range(k, -1, -n) if window(config, labels(config)[i]) is not None]
    return tuple(reversed(picked[:count]))


def span(config, label: str) -> tuple[dt.date, dt.date]:
    """(first day, day after the last) of ``label``'s window."""
    w = window(config, label) or (label,)
    by_label = {p.label: p for p in config.periods}
    return by_label[w[0]].start, by_label[w[-1]].end


def months(config, label: str) -> tuple[str, ...]:
    """The calendar months ``YYYY-MM`` (as police.uk's ``Month`` column writes them) of
    ``label``'s window."""
    start, end = span(config, label)
    return tuple(str(m) for m in pd.period_range(pd.Period(start, "M"), pd.Period(end, "M") - 1, freq="M"))


def period_of_month(config, month: pd.Series) -> pd.Series:
    """The configured period containing each police.uk month (``YYYY-MM``); NA outside them all."""
    starts = pd.to_datetime(month, format="%Y-%m", errors="coerce")
    out = pd.Series(pd.NA, index=month.index, dtype="string")
    for p in config.periods:
        out = out.mask((starts >= pd.Timestamp(p.start)) & (starts < pd.Timestamp(p.end)), p.label)
    return out


def _month_words(d: dt.date) -> str:
    return d.strftime("%B %Y")


def _single(config, label: str) -> str:
    if config.period_kind == "month":
        return _month_words(next(p.start for p in config.periods if p.label == label))
    return label


def period_phrase(config, label: str) -> str:
    """What ``label`` means on a page: ``2008/09`` or ``2024 Q2`` or ``June 2024`` for a single
    period; ``12 months to 2024 Q2`` for rolling quarters or months; ``2007/08 to 2008/09`` for
    rolling years."""
    w = window(config, label)
    n = config.rolling_periods
    if n == 1 or w is None:
        return _single(config, label)
    if config.period_kind in ("financial_year", "calendar_year"):
        return f"{w[0]} to {w[-1]}"
    return f"{n * MONTHS_IN[config.period_kind]} months to {_single(config, label)}"


def _between(start: dt.date, end: dt.date) -> str:
    last = end - dt.timedelta(days=1)
    if (start.year, start.month) == (last.year, last.month):
        return _month_words(start)
    return f"{_month_words(start)} to {_month_words(last)}"


def dates_phrase(config, label: str) -> str:
    """The calendar dates of ``label``'s window: ``April 2008 to March 2009``."""
    return _between(*span(config, label))


def previous_phrase(config) -> str:
    """What "the previous period" of a change is: ``the previous year``, ``the previous
    quarter``, ``the previous 12 months`` (the window before, not overlapping)."""
    n = config.rolling_periods
    if n == 1:
        return f"the previous {UNIT_WORDS[config.period_kind]}"
    if config.period_kind in ("financial_year", "calendar_year"):
        return f"the previous {n} years"
    return f"the previous {n * MONTHS_IN[config.period_kind]} months"


KIND_WORDS = {"financial_year": "financial years", "calendar_year": "calendar years",
              "quarter": "calendar quarters", "month": "months"}


def describe(config) -> str:
    """One sentence for a page: what the periods are and what a published figure covers."""
    first = config.periods[0].label
    kind = f"Results are for {KIND_WORDS[config.period_kind]} ({first}: {dates_phrase_single(config, first)})"
    n = config.rolling_periods
    if n == 1:
        return kind + "."
    latest = config.periods[-1].label
    return (f"{kind}; each published figure pools the {n} {UNIT_WORDS[config.period_kind]}s ending at its period "
            f"({period_phrase(config, latest)}: {dates_phrase(config, latest)}), and changes compare it with "
            f"{previous_phrase(config)}, which share no respondents with it.")


def dates_phrase_single(config, label: str) -> str:
    """The calendar dates of the single period ``label`` (not its window)."""
    p = next(p for p in config.periods if p.label == label)
    return _between(p.start, p.end)
