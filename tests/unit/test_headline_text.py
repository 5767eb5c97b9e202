"""The words beside the headline figures: every difference with its interval, better or worse
only when the test says so, and in the indicator's own direction."""

from __future__ import annotations

from types import SimpleNamespace as Row

from dashboard.figures.headline import change_text, msf_text

HIGHER = Row(polarity="higher")
LOWER = Row(polarity="lower")


def _chg(diff, lo, hi, significant, suppressed=False):
    return Row(difference=diff, lower=lo, upper=hi, significant=significant, suppressed=suppressed)


def test_a_significant_rise_is_better_or_worse_by_polarity():
    rise = _chg(3.5, 0.4, 6.6, True)
    assert change_text(rise, HIGHER, "2005/06") == "▲ vs 2005/06: significantly better (+3.5 pts, 95% CI +0.4 to +6.6)"
    assert change_text(rise, LOWER, "2005/06") == "▲ vs 2005/06: significantly worse (+3.5 pts, 95% CI +0.4 to +6.6)"


def test_no_verdict_without_significance_or_data():
    assert change_text(_chg(-1.2, -3.0, 0.6, False), HIGHER, "previous year") == (
        "vs previous year: no significant change (-1.2 pts, 95% CI -3.0 to +0.6)")
    assert change_text(_chg(5.0, 1.0, 9.0, True, suppressed=True), HIGHER, "x") == "vs x: suppressed"
    assert change_text(None, HIGHER, "previous year") == "no comparison with previous year"


def test_msf_comparison_names_the_peers_and_the_interval():
    m = Row(msf_average=82.4, peers=7, difference=-1.9, lower=-3.3, upper=-0.5, significant=True)
    assert msf_text(m, HIGHER) == ("vs MSF average 82.4% (7 forces): significantly worse "
                                   "(-1.9 pts, 95% CI -3.3 to -0.5)")
    m.significant = False
    assert "not significantly different" in msf_text(m, HIGHER)
