"""The words beside the headline figures: every difference with its interval at its published
level, better or worse only when the published flag says so (polarity applied at ingest), the
arrow giving the direction."""

from __future__ import annotations

from types import SimpleNamespace as Row

from dashboard.views.headline import change_text, msf_text

HIGHER = Row(polarity="higher")


def _chg(diff, lo, hi, flag, direction=None, suppressed=False, confidence=0.95):
    direction = direction or ("up" if diff > 0 else "down" if diff < 0 else "none")
    return Row(difference=diff, lower=lo, upper=hi, flag=flag, direction=direction, suppressed=suppressed,
               confidence=confidence)


def test_a_flagged_change_says_the_published_flag_and_the_arrow_says_the_direction():
    assert change_text(_chg(3.5, 0.4, 6.6, "better"), HIGHER, "2005/06") == (
        "▲ vs 2005/06: significantly better (+3.5 pts, 95% CI +0.4 to +6.6)")
    # A rise in a lower-is-better indicator: the ingest published "worse"; the arrow still points up.
    assert change_text(_chg(3.5, 0.4, 6.6, "worse"), Row(polarity="lower"), "2005/06") == (
        "▲ vs 2005/06: significantly worse (+3.5 pts, 95% CI +0.4 to +6.6)")
    assert change_text(_chg(-2.0, -3.9, -0.1, "better"), Row(polarity="lower"), "previous year") == (
        "▼ vs previous year: significantly better (-2.0 pts, 95% CI -3.9 to -0.1)")


def test_no_verdict_without_a_flag_or_data():
    assert change_text(_chg(-1.2, -3.0, 0.6, "similar"), HIGHER, "previous year") == (
        "vs previous year: no significant change (-1.2 pts, 95% CI -3.0 to +0.6)")
    # The interval says nothing here: only the published flag marks a change.
    assert change_text(_chg(2.5, 0.2, 4.8, "similar"), HIGHER, "previous year").startswith(
        "vs previous year: no significant change")
    assert change_text(_chg(5.0, 1.0, 9.0, "suppressed", suppressed=True), HIGHER, "x") == "vs x: suppressed"
    assert change_text(None, HIGHER, "previous year") == "no comparison with previous year"


def test_the_interval_is_written_at_its_published_level():
    assert "99.8% CI" in change_text(_chg(3.5, 0.4, 6.6, "better", confidence=0.998), HIGHER, "x")


def test_msf_comparison_names_the_peers_and_the_interval():
    m = Row(msf_average=82.4, peers=7, difference=-1.9, lower=-3.3, upper=-0.5, flag="worse", confidence=0.95)
    assert msf_text(m, HIGHER) == ("vs MSF average 82.4% (7 forces): significantly worse "
                                   "(-1.9 pts, 95% CI -3.3 to -0.5)")
    m.flag = "similar"
    assert "not significantly different" in msf_text(m, HIGHER)
