"""The significance policy and disclosure control under a configuration that is not the
default one: another area rule (overdispersed limits at 99%) and another suppression threshold
(30), from config alone. Everything the views read must follow the configured values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from dashboard.audit import audit_store
from dashboard.data.store import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from dashboard.data.demo import write_demo
    from dashboard.ingest import run_ingest
    from tests.conftest import without_panel_tables

    source = tmp_path_factory.mktemp("other-policy-source")
    write_demo(source, scale=0.5, crime_months=1)
    config = source / "force.toml"
    text = config.read_text(encoding="utf-8")
    for old, new in (('area_flag_rule = "fdr"', 'area_flag_rule = "overdispersed"'),
                     ("control_limit = 0.998", "control_limit = 0.99"),
                     ("suppression_threshold = 50", "suppression_threshold = 30")):
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    without_panel_tables(source)
    out = tmp_path_factory.mktemp("other-policy-store")
    result = run_ingest(source, out)
    assert result.code == 0, result.findings.report_text("other policy")
    return out


def test_the_published_policy_is_the_configured_one(store):
    snap = Store(store).open()
    pol = snap.table("significance_policy").iloc[0]
    assert (pol.rule, pol.level) == ("overdispersed", 0.99)
    assert "99% control limits widened for the real variation between areas" in pol.area_text
    ac = snap.table("area_comparisons")
    shown = ac[~ac["suppressed"]]
    assert len(shown) > 0 and np.allclose(shown["flag_z"], norm.isf(0.005))
    assert (shown["flag_tau2"] > 0).any()  # the demo's areas really differ on some indicators
    outside = (shown.value < shown.flag_lower) | (shown.value > shown.flag_upper)
    assert (outside == shown.flag.isin(["better", "worse"])).all()
    assert shown["flag_rule"].str.contains("overdispersion").all()


def test_area_changes_use_the_configured_level(store):
    chg = Store(store).open().table("changes")
    area = chg[(chg.level == "area") & ~chg["suppressed"]]
    assert len(area) > 0
    assert (area["flag"].isin(["better", "worse"]) == (area["p_value"] < 0.01)).all()


def test_the_configured_threshold_is_the_one_withheld_below(store):
    snap = Store(store).open()
    e = snap.table("estimates")
    shown = e[~e["suppressed"]]
    assert (shown["base"] >= 30).all() and (shown["base"] < 50).any()
    assert (e.loc[e["suppressed"], "suppression_reason"].str.startswith("withheld: fewer than 30 respondents")).all()
    assert audit_store(store).code == 0
