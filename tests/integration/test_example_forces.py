"""The example forces of `dashboard demo --force NAME`: each is written the same for the same
seed, ingests with no error, and publishes what its shape is there to exercise (Eastmoor: area
rows rolled up to division and force over rolling twelve months; west-mercia-wards: crime rates
from the areas whose population is known)."""

from __future__ import annotations

import glob
import tomllib

import numpy as np
import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.config import load_config
from dashboard.data.examples import EXAMPLES, write_example
from dashboard.data.store import Store
from tests.conftest import need_shared_data, tree_digest
from tests.integration.test_real_policeuk_wards import independent_counts

NEW_EXAMPLES = ["eastmoor", "west-mercia-wards"]


@pytest.mark.parametrize("name", NEW_EXAMPLES)
def test_an_example_is_written_byte_for_byte_the_same_again(name, example_sources, tmp_path):
    data = [] if EXAMPLES[name].synthetic else ["--data", str(need_shared_data())]
    assert main(["-q", "demo", "--force", name, "--out", str(tmp_path / "again"), *data]) == 0
    assert tree_digest(tmp_path / "again") == tree_digest(example_sources[name])


def test_another_seed_gives_another_eastmoor(example_sources, tmp_path):
    write_example("eastmoor", tmp_path / "other", seed=7)
    assert tree_digest(tmp_path / "other") != tree_digest(example_sources["eastmoor"])


@pytest.mark.parametrize("name", NEW_EXAMPLES)
def test_an_example_ingests_with_no_error_and_publishes_every_area(name, example_stores):
    example = example_stores[name]  # ingested with no error
    snapshot = Store(example.store).open()
    assert "\n0 error(s)" in (snapshot.path / "ingest-report.txt").read_text(encoding="utf-8")
    areas = pd.read_csv(example.source / "areas.csv", dtype=str)
    assert sorted(snapshot.table("areas")["area_code"]) == sorted(areas["area_code"])
    assert sorted(snapshot.table("boundaries")["area_code"]) == sorted(areas["area_code"])
    config = load_config(example.source / "force.toml")
    assert set(areas["division_code"]) == set(config.division_codes)


# -- Eastmoor: aggregated quarterly area rows only -----------------------------------------------

def _eastmoor_inputs(source) -> pd.DataFrame:
    files = sorted(glob.glob(str(source / "aggregated" / "*.csv")))
    return pd.concat([pd.read_csv(p, dtype={"period": str}) for p in files], ignore_index=True)


def test_eastmoor_has_its_own_shape(example_sources):
    source = example_sources["eastmoor"]
    config = load_config(source / "force.toml")
    areas = pd.read_csv(source / "areas.csv")
    tables = _eastmoor_inputs(source)
    assert (len(config.divisions), len(areas)) == (8, 40)
    assert config.period_kind == "quarter" and config.rolling_periods == 4 and len(config.periods) == 12
    assert set(tables["geography_level"]) == {"area"}  # nothing for the ingest but to roll up
    assert not config.inputs.surveys and not config.inputs.crime and config.matrix is None
    scored = [i.id for i in config.indicators if i.kind != "gap"]
    assert len(scored) == 8 and set(tables["indicator"]) == set(scored)
    # Each gap's indicator is split by the gap's subgroup; the 'all' row is the sum of its groups.
    for gap in (i for i in config.indicators if i.kind == "gap"):
        rows = tables[tables["indicator"] == gap.of]
        split = rows[rows["subgroup_dimension"] == gap.subgroup].groupby(["geography_code", "period"])
        whole = rows[rows["subgroup"] == "all"].set_index(["geography_code", "period"])
        assert (split["base"].sum() == whole["base"].reindex(split["base"].sum().index)).all()
    # A quarter alone is below the suppression threshold in an area; its rolling year is not.
    per_quarter = tables[tables["subgroup"] == "all"].groupby(["indicator", "geography_code", "period"])["base"].sum()
    assert per_quarter.median() < config.suppression_threshold < 4 * per_quarter.median()
    assert (tables["positives"] <= tables["base"]).all() and (tables["effective_base"] < tables["base"]).all()


def test_eastmoor_publishes_force_and_division_rolled_up_over_twelve_months(example_stores):
    """The force's and each division's result for the last quarter: the sum of the area rows'
    weighted positives over the sum of their bases, over the four quarters ending with it."""
    example = example_stores["eastmoor"]
    config = load_config(example.source / "force.toml")
    tables = _eastmoor_inputs(example.source)
    labels = list(config.period_labels)
    window = labels[-config.rolling_periods:]
    rows = tables[tables["period"].isin(window) & (tables["subgroup"] == "all")]
    division_of = pd.read_csv(example.source / "areas.csv").set_index("area_code")["division_code"]
    estimates = Store(example.store).open().table("estimates")
    latest = estimates[(estimates["period"] == labels[-1]) & (estimates["subgroup"] == "all")]
    for indicator, part in rows.groupby("indicator"):
        mine = latest[latest["indicator"] == indicator].set_index(["level", "geography_code"])
        sums = {("force", config.force_code): part[["positives", "base"]].sum()}
        sums.update({("division", d): g[["positives", "base"]].sum()
                     for d, g in part.groupby(part["geography_code"].map(division_of))})
        for key, s in sums.items():
            assert key in mine.index, (indicator, key)
            assert mine.loc[key, "base"] == s["base"], (indicator, key)
            assert mine.loc[key, "value"] == pytest.approx(100 * s["positives"] / s["base"], abs=0.05), (indicator, key)


# -- west-mercia-wards: real crime, some populations unknown ------------------------------------

def test_wards_keep_unmatched_populations_blank(example_sources):
    """Hand-checked: 188 of the 257 wards of 2013 have a mid-2020 ward of the same name in the same
    authority (ONS SAPE23DT8a); the other 69 (renamed or redrawn) are blank, not guessed."""
    source = example_sources["west-mercia-wards"]
    areas = pd.read_csv(source / "areas.csv", dtype={"population": "Int64"})
    assert len(areas) == 257 and int(areas["population"].isna().sum()) == 69
    assert int(areas["population"].sum()) == 911_932
    divisions = tomllib.loads((source / "force.toml").read_text(encoding="utf-8"))["divisions"]
    names = {d["code"]: d["name"] for d in divisions}
    assert set(names) == set(areas["division_code"]) and len(names) == 9
    assert names["E06000019"] == "Herefordshire, County of"


def test_crime_only_force_rate_is_crimes_over_residents_of_areas_with_a_known_population(example_stores):
    """Acceptance (issue 12): the force's crime rate is the crimes in the areas whose population is
    known over those areas' residents, never all crimes over the known residents."""
    example = example_stores["west-mercia-wards"]
    rates = Store(example.store).open().table("crime_rates")
    areas = pd.read_csv(example.source / "areas.csv", dtype={"population": "Int64"})
    known = areas.loc[areas["population"].notna(), "area_code"]
    residents = int(areas["population"].sum())
    force = rates[rates["level"] == "force"].set_index(["measure", "period"])

    # By hand (independent point-in-polygon count, tests/integration/test_real_policeuk_wards.py):
    # February 2019, 364 burglaries in the 188 wards with a population, 911,932 residents.
    assert force.loc[("Burglary", "2019-02"), "population"] == residents == 911_932
    assert force.loc[("Burglary", "2019-02"), "rate"] == pytest.approx(364 / 911_932 * 1000, rel=1e-9)

    counts, _ = independent_counts(example.source)
    types = set(counts["crime_type"])
    assert types <= set(force.index.get_level_values("measure"))
    counts = counts[counts["area_code"].isin(known)]
    for (measure, period), row in force[force.index.get_level_values("measure").isin(types)].iterrows():
        months = [str(pd.Period(period, freq="M") - k) for k in range(int(row["months"]))]
        crimes = counts[(counts["crime_type"] == measure) & counts["month"].isin(months)]["count"].sum()
        assert row["population"] == residents, (measure, period)
        assert row["rate"] == pytest.approx(crimes / residents * 1000, rel=1e-9), (measure, period)
    assert np.isfinite(force["rate"]).all()  # baskets too
