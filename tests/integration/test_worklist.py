"""The commander's worklist (dashboard/views/worklist.py) on published snapshots: it lists exactly
the published flags and verdicts (nothing tested again), in a fixed order, grouped by area and
division; a force without a table says in one sentence what it cannot list; the page's CSV and
Excel downloads are rebuilt on the server from a validated division."""

from __future__ import annotations

import pytest

from dashboard.app import create_app
from dashboard.data.store import Store
from dashboard.live import snapshot_config
from dashboard.views.words import (
    WORKLIST_CRIME_ONLY,
    WORKLIST_DIVISION_TARGETS,
    WORKLIST_NO_MATRIX,
    WORKLIST_NO_SUPPLIED,
)
from dashboard.views.worklist import worklist
from tests.integration.test_page_downloads import _both
from tests.protocol import download_request, state


def _open(store):
    snapshot = Store(store).open()
    return snapshot, snapshot_config(snapshot)


@pytest.fixture(scope="module")
def demo(demo_store):
    return _open(demo_store)


def _listed(wl, kind) -> set:
    rows = wl.rows[(wl.rows["kind"] == kind) & (wl.rows["level"] == "area")]
    return set(zip(rows["geography_code"], rows["indicator"], rows["verdict"]))


def test_a_divisions_worklist_is_exactly_the_published_flags_and_verdicts(demo):
    snapshot, config = demo
    wl = worklist(snapshot, config, "NW")
    period = "2008/09"
    assert wl.period == period
    areas = snapshot.table("areas")
    nw = set(areas.loc[areas.division_code == "NW", "area_code"])
    assert set(wl.rows.loc[wl.rows.level == "area", "geography_code"]) <= nw
    inds = {i.id for i in config.indicators}
    chg = snapshot.table("changes")
    chg = chg[(chg.level == "area") & (chg.period == period) & (chg.subgroup_dimension == "all")
              & chg.geography_code.isin(nw) & chg.flag.isin(["better", "worse"]) & chg.indicator.isin(inds)]
    assert len(chg) and _listed(wl, "change") == set(zip(chg.geography_code, chg.indicator, chg.flag))
    ac = snapshot.table("area_comparisons")
    ac = ac[(ac.period == period) & ac.area_code.isin(nw) & ac.flag.isin(["better", "worse"]) & ac.indicator.isin(inds)]
    assert len(ac) > 10 and _listed(wl, "vs_force") == set(zip(ac.area_code, ac.indicator, ac.flag))
    m = snapshot.table("matrix")
    latest = m[(m.period == "2008/09") & m.area_code.isin(nw)]
    differs = latest[(latest.crime_agrees == False) | (latest.worry_agrees == False)]  # noqa: E712 (published bools)
    assert len(differs) and {c for c, _, _ in _listed(wl, "own_matrix")} == set(differs.area_code)
    before = m[m.period == "2007/08"].set_index("area_code")["resource_level"]
    moved = {c for c, lv in zip(latest.area_code, latest.resource_level) if before[c] != lv}
    assert {c for c, _, _ in _listed(wl, "resource")} == moved
    # Targets exist for the force and divisions only: the division's own rows, and the sentence.
    t = snapshot.table("targets")
    t = t[(t.level == "division") & (t.geography_code == "NW") & (t.verdict != "met")]
    own = wl.rows[wl.rows.level == "division"]
    assert set(own["indicator"]) == set(t["indicator"]) and set(own["geography_code"]) == {"NW"}
    assert WORKLIST_DIVISION_TARGETS in wl.cannot
    # Every reason is in words with its figures: a change names its size, interval and the rule.
    c = chg.iloc[0]
    row = wl.rows[(wl.rows.kind == "change") & (wl.rows.geography_code == c.geography_code)
                  & (wl.rows.indicator == c.indicator)].iloc[0]
    verb = "rose" if c.difference > 0 else "fell"
    assert f"{verb} {abs(c.difference):.1f} pts since {c.reference_period}" in row.reason
    assert f"95% CI {c.lower:+.1f} to {c.upper:+.1f}" in row.reason and "after allowing for chance" in row.reason
    assert row.figures.startswith("now ") and "n = " in row.figures


def test_the_order_is_fixed_worst_first_and_each_areas_reasons_are_together(demo):
    snapshot, config = demo
    wl = worklist(snapshot, config, "all")
    again = worklist(snapshot, config, "all")
    assert wl.rows.equals(again.rows)
    divisions = [d[0] for d, _ in wl.groups()]
    assert divisions == [d.code for d in config.divisions if d.code in divisions]
    for (code, _), geos in wl.groups():
        assert geos[0][0] == "division" or "division" not in {g[0] for g in geos}  # its own rows first
        tops = [min(r["severity"] for r in reasons) for level, _, _, reasons in geos if level == "area"]
        assert tops == sorted(tops), code
        for _, _, _, reasons in geos:
            assert [r["severity"] for r in reasons] == sorted(r["severity"] for r in reasons)
        # The force's list is each division's list, one after another.
        mine = worklist(snapshot, config, code).rows
        part = wl.rows[wl.rows.division_code == code].reset_index(drop=True)
        assert part[["geography_code", "kind", "indicator"]].equals(mine[["geography_code", "kind", "indicator"]])
    codes = list(wl.rows["geography_code"])
    for code in set(codes):  # each geography's reasons are together
        at = [i for i, c in enumerate(codes) if c == code]
        assert at == list(range(at[0], at[-1] + 1)), code


def test_eastmoor_lists_its_changes_and_says_it_has_no_matrix(example_stores):
    """Eastmoor: aggregated quarterly results and no crime/worry matrix."""
    snapshot, config = _open(example_stores["eastmoor"].store)
    wl = worklist(snapshot, config, "all")
    assert WORKLIST_NO_MATRIX in wl.cannot and WORKLIST_NO_SUPPLIED not in wl.cannot
    assert not wl.rows["kind"].isin(["resource", "own_matrix"]).any()
    chg = snapshot.table("changes")
    chg = chg[(chg.level == "area") & (chg.period == wl.period) & (chg.subgroup_dimension == "all")
              & chg.flag.isin(["better", "worse"])]
    assert len(chg) and _listed(wl, "change") == set(zip(chg.geography_code, chg.indicator, chg.flag))
    missed = snapshot.table("targets").query("level == 'division' and verdict == 'missed'")
    shown = wl.rows[(wl.rows.level == "division") & (wl.rows.verdict == "missed")]
    assert set(shown["geography_code"]) == set(missed["geography_code"]) and len(missed)
    assert shown["reason"].str.contains("missed").all()


def test_a_crime_only_force_says_in_one_sentence_what_it_cannot_list(example_stores):
    snapshot, config = _open(example_stores["west-mercia-wards"].store)
    for division in ["all", config.divisions[0].code]:
        wl = worklist(snapshot, config, division)
        assert wl.rows.empty and wl.cannot == [WORKLIST_CRIME_ONLY] and wl.period is None


def test_the_worklist_downloads_as_csv_and_excel_for_a_validated_division(demo_store, demo):
    snapshot, config = demo
    client = create_app(demo_store).server.test_client()
    frame = _both(client, "worklist", [(state("division"), "value", "SW")])
    wl = worklist(snapshot, config, "SW")
    assert list(frame["geography_code"]) == list(wl.rows["geography_code"])
    assert list(frame["reason"]) == list(wl.rows["reason"]) and list(frame["figures"]) == list(wl.rows["figures"])
    assert set(frame.loc[frame.level == "area", "page"]) == {f"/area/{c}" for c in
                                                              wl.rows.loc[wl.rows.level == "area", "geography_code"]}
    r = client.post("/_dash-update-component",
                    json=download_request("worklist", "csv", [(state("division"), "value", "../../etc")]))
    assert r.status_code == 400
