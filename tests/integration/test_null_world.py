"""Acceptance for the significance policy in a world with no true change: a demo generated with
every area's true rates the same in every period (`dashboard demo --null-world`), so every
year-on-year change the ingest finds is sampling noise. Unadjusted 95% markers would flag about
one area change in twenty; the published policy must flag well under one in a hundred."""

from __future__ import annotations

import pytest

from dashboard.data.store import Store


@pytest.fixture(scope="module")
def changes(null_store):
    return Store(null_store).open().table("changes")


def test_area_trend_markers_are_under_one_percent_of_area_year_on_year_points(changes):
    area = changes[(changes.level == "area") & (changes.subgroup_dimension == "all")
                   & (changes.compared_with == "previous") & ~changes["suppressed"]]
    assert len(area) > 4000
    marked = area["flag"].isin(["better", "worse"]).sum()
    unadjusted = (area["p_value"] < 0.05).sum()
    assert marked / len(area) < 0.01, (marked, len(area))
    assert unadjusted / len(area) > 0.03  # the noise is there: 95% per point would mark it


def test_force_and_division_changes_are_judged_at_95_percent(changes):
    big = changes[(changes.level != "area") & (changes.subgroup_dimension == "all") & ~changes["suppressed"]]
    marked = big["flag"].isin(["better", "worse"])
    assert (marked == (big["p_value"] < 0.05)).all()
    assert marked.mean() < 0.12  # about 5% by chance, with few comparisons
