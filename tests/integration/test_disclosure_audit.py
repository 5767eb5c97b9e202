"""The disclosure audit: it passes a snapshot protected by cell_suppression, and catches each
attack when a leak is planted in a copy of that snapshot."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.audit import audit_store
from dashboard.cli import main
from dashboard.stats.disclosure import KEY, cell_suppression, suppress, window_suppression

THRESHOLD = 50


def _copy_store(store: Path, dest: Path) -> Path:
    shutil.copytree(store, dest)
    for p in dest.rglob("*"):
        if p.is_file():
            p.chmod(0o644)
    return dest


def _snapshot_dir(store: Path) -> Path:
    return store / "snapshots" / (store / "CURRENT").read_text(encoding="utf-8").strip()


def _write(snap: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_parquet(snap / f"{name}.parquet", index=False)


def _hidden_of(frame: pd.DataFrame, keys: pd.DataFrame, hidden: pd.Series) -> np.ndarray:
    return hidden.reindex(pd.MultiIndex.from_frame(keys)).fillna(False).to_numpy(bool)


def protect_snapshot(snap: Path) -> None:
    """What the ingest does once cell_suppression is wired in (the contract for derived.py):
    every row resting on a hidden cell is withheld with its base, limits, tests and verdicts."""
    results = pd.read_parquet(snap / "survey_results.parquet")
    areas = pd.read_parquet(snap / "areas.parquet")
    force = tomllib.loads((snap / "force.toml").read_text(encoding="utf-8"))["force"]["code"]
    parent = {**dict(zip(areas["area_code"], areas["division_code"])),
              **{d: force for d in areas["division_code"].unique()}}
    decision = cell_suppression(results, parent, THRESHOLD)
    hidden = pd.Series(decision["hidden"].to_numpy(), index=pd.MultiIndex.from_frame(results[KEY]))
    survey_of = results.groupby("indicator")["survey"].first()

    est = pd.read_parquet(snap / "estimates.parquet")
    mask = _hidden_of(est, est[KEY], hidden)
    _write(snap, "estimates", suppress(est.drop(columns=["suppressed", "suppression_reason", "small_base"]),
                                       THRESHOLD, 100, hidden=mask,
                                       value_columns=("value", "lower_95", "upper_95", "lower_998", "upper_998",
                                                      "effective_base")))
    chg = pd.read_parquet(snap / "changes.parquet")
    mask = _hidden_of(chg, chg[KEY], hidden) | _hidden_of(chg, chg[KEY].assign(period=chg["reference_period"]),
                                                          hidden)
    out = suppress(chg.drop(columns=["suppressed", "suppression_reason", "small_base"]), THRESHOLD, 100,
                   hidden=mask, value_columns=("difference", "lower", "upper", "p_value"))
    out.loc[out["suppressed"], "significant"] = False
    _write(snap, "changes", out)

    gaps = pd.read_parquet(snap / "gaps.parquet")
    if not gaps.empty:
        def gap_key(group):
            return pd.DataFrame({"indicator": "spi1e", "survey": "USS", "level": gaps["level"],
                                 "geography_code": gaps["geography_code"], "period": gaps["period"],
                                 "subgroup_dimension": "ethnicity", "subgroup": group})
        mask = _hidden_of(gaps, gap_key(gaps["group_1"]), hidden) | _hidden_of(gaps, gap_key(gaps["group_2"]), hidden)
        out = suppress(gaps.drop(columns=["suppressed", "suppression_reason", "small_base"]), THRESHOLD, 100,
                       hidden=mask, value_columns=("value_1", "value_2", "gap", "lower", "upper", "p_value",
                                                   "base_1", "base_2"))
        out.loc[out["suppressed"], "significant"] = False
        _write(snap, "gaps", out)

    ac = pd.read_parquet(snap / "area_comparisons.parquet")
    def cell(level, code, frame):
        return pd.DataFrame({"indicator": frame["indicator"], "survey": frame["indicator"].map(survey_of),
                             "level": level, "geography_code": code, "period": frame["period"],
                             "subgroup_dimension": "all", "subgroup": "all"})
    mask = _hidden_of(ac, cell("area", ac["area_code"], ac), hidden)
    numeric = [c for c in ac.columns if ac[c].dtype.kind == "f" and c not in ("force_value", "division_value",
                                                                               "tau2", "phi")]
    out = suppress(ac.drop(columns=["suppressed", "suppression_reason", "small_base"]), THRESHOLD, 100, hidden=mask,
                   value_columns=tuple(numeric))
    for col in ("vs_force_95", "vs_force_998", "vs_force_od_998", "vs_division_95", "vs_division_998"):
        out.loc[out["suppressed"], col] = "suppressed"
    out.loc[out["suppressed"], ["vs_rest_significant", "bh_significant"]] = False
    div_hidden = _hidden_of(ac, cell("division", ac["division_code"], ac), hidden)
    out.loc[div_hidden, "division_value"] = np.nan
    _write(snap, "area_comparisons", out)

    dc = pd.read_parquet(snap / "division_comparisons.parquet")
    mask = _hidden_of(dc, cell("division", dc["division_code"], dc), hidden)
    dc.loc[mask, "p_value"] = np.nan
    dc.loc[mask, "base"] = np.nan
    dc.loc[mask, ["vs_force_95", "vs_force_998"]] = "suppressed"
    _write(snap, "division_comparisons", dc)

    tg = pd.read_parquet(snap / "targets.parquet")
    if not tg.empty:
        mask = _hidden_of(tg, cell(tg["level"], tg["geography_code"], tg), hidden)
        tg.loc[mask, ["value", "lower_95", "upper_95", "base", "probability_meets"]] = np.nan
        tg.loc[mask, "suppressed"] = True
        tg.loc[mask, "verdict"] = "suppressed"
        tg["firm_verdict_base"] = tg["firm_verdict_base"].astype(float).mask(mask)
        _write(snap, "targets", tg)

    tr = pd.read_parquet(snap / "trends.parquet")
    labels = sorted(results["period"].unique())
    allrows = results[(results["subgroup_dimension"] == "all")].assign(h=decision["hidden"].to_numpy()[
        (results["subgroup_dimension"] == "all").to_numpy()])
    hp = allrows[allrows["h"]].groupby(["indicator", "level", "geography_code"])["period"].agg(set)
    keep = [not (hp.get((r.indicator, r.level, r.geography_code), set())
                 & set(labels[labels.index(r.first_period): labels.index(r.last_period) + 1]))
            for r in tr.itertuples()]
    _write(snap, "trends", tr[keep])

    wm = pd.read_parquet(snap / "worry_measures.parquet")
    mask = window_suppression(wm, results, decision["hidden"], THRESHOLD).to_numpy()
    _write(snap, "worry_measures", suppress(wm.drop(columns=["suppressed", "suppression_reason", "small_base"]),
                                            THRESHOLD, 100, hidden=mask,
                                            value_columns=("value", "lower", "upper", "effective_base",
                                                           "shrunk_value", "shrunk_lower", "shrunk_upper")))
    mx = pd.read_parquet(snap / "matrix.parquet")
    hidden_measure = wm[mask & (wm["level"] == "area").to_numpy()].groupby(["geography_code", "period"]).size()
    m_hidden = mx.set_index(["area_code", "period"]).index.isin(hidden_measure.index) | (mx["worry_base"] < THRESHOLD)
    mx.loc[m_hidden, ["worry_index", "worry_lower", "worry_upper"]] = np.nan
    mx["worry_base"] = mx["worry_base"].astype(float).mask(m_hidden)
    mx.loc[m_hidden, "worry_level"] = "nd"
    _write(snap, "matrix", mx)


@pytest.fixture(scope="module")
def protected_store(demo_store, tmp_path_factory) -> Path:
    store = _copy_store(demo_store, tmp_path_factory.mktemp("protected") / "store")
    protect_snapshot(_snapshot_dir(store))
    return store


@pytest.fixture(scope="module")
def baseline(protected_store):
    return {r.attack: len(r.recovered) for r in audit_store(protected_store).results}


@pytest.fixture()
def leaky(protected_store, tmp_path) -> Path:
    return _copy_store(protected_store, tmp_path / "store")


def _truth(snap: Path) -> pd.DataFrame:
    return pd.read_parquet(snap / "survey_results.parquet").set_index(KEY)


def _restore_estimate(snap: Path, positions) -> None:
    est = pd.read_parquet(snap / "estimates.parquet")
    t = _truth(snap).reindex(pd.MultiIndex.from_frame(est.loc[positions, KEY]))
    est.loc[positions, "value"] = (100 * t["weighted_positives"] / t["sum_weights"]).to_numpy()
    est.loc[positions, "base"] = t["n_unweighted"].to_numpy()
    _write(snap, "estimates", est)


def _relation_with_two_hidden(snap: Path, kind: str) -> int:
    """A hidden member of a relation of ``kind`` whose total is visible and that has exactly two
    hidden members in an unweighted survey: restoring it leaves the other alone."""
    from dashboard.stats.disclosure import additive_relations

    est = pd.read_parquet(snap / "estimates.parquet")
    areas = pd.read_parquet(snap / "areas.parquet")
    force = tomllib.loads((snap / "force.toml").read_text(encoding="utf-8"))["force"]["code"]
    parent = {**dict(zip(areas["area_code"], areas["division_code"])),
              **{d: force for d in areas["division_code"].unique()}}
    rel, pos, tot, kinds = additive_relations(est, parent)
    hidden = est["value"].isna().to_numpy()
    usable = (est["survey"] == "USS").to_numpy()
    n_hidden = np.bincount(rel, weights=hidden[pos])
    total_visible = np.zeros(n_hidden.size, bool)
    total_visible[rel[tot]] = ~hidden[pos[tot]]
    ok = (n_hidden == 2) & total_visible
    pick = np.flatnonzero(ok[rel] & (kinds == kind) & hidden[pos] & ~tot & usable[pos])
    assert len(pick), f"no {kind} relation with two hidden members to plant a leak in"
    return int(pos[pick[0]])


def _run(store: Path, capsys) -> tuple[int, str]:
    code = main(["audit-disclosure", "--store", str(store)])
    return code, capsys.readouterr().out


def test_complement_within_a_dimension_is_caught(leaky, baseline, capsys):
    snap = _snapshot_dir(leaky)
    _restore_estimate(snap, [_relation_with_two_hidden(snap, "dimension")])
    code, out = _run(leaky, capsys)
    assert code == 1
    report = {r.attack: r for r in audit_store(leaky).results}
    assert len(report["a"].recovered) > baseline["a"]
    assert "(a) complement within a dimension" in out


def test_geography_differencing_is_caught(leaky, baseline, capsys):
    snap = _snapshot_dir(leaky)
    _restore_estimate(snap, [_relation_with_two_hidden(snap, "geography")])
    code, out = _run(leaky, capsys)
    assert code == 1
    assert len({r.attack: r for r in audit_store(leaky).results}["b"].recovered) > baseline["b"]
    assert "(b) geography differencing" in out


def test_window_differencing_is_caught(leaky, baseline):
    snap = _snapshot_dir(leaky)
    wm = pd.read_parquet(snap / "worry_measures.parquet")
    est = pd.read_parquet(snap / "estimates.parquet")
    visible = set(map(tuple, est.loc[est["value"].notna() & (est["subgroup_dimension"] == "all"),
                                     ["indicator", "level", "geography_code", "period"]].to_numpy()))
    for i, row in wm[wm["value"].isna()].iterrows():
        periods = row["window"].split(" + ")
        seen = [(row["indicator"], row["level"], row["geography_code"], p) in visible for p in periods]
        if len(periods) == 2 and sum(seen) == 1:
            break
    else:
        pytest.fail("no withheld window with exactly one visible period")
    results = pd.read_parquet(snap / "survey_results.parquet")
    comp = results[(results["indicator"] == row["indicator"]) & (results["level"] == row["level"])
                   & (results["geography_code"] == row["geography_code"]) & results["period"].isin(periods)
                   & (results["subgroup_dimension"] == "all")]
    wm.loc[i, "value"] = 100 * comp["weighted_positives"].sum() / comp["sum_weights"].sum()
    wm.loc[i, "base"] = comp["n_unweighted"].sum()
    _write(snap, "worry_measures", wm)
    report = audit_store(leaky)
    assert report.code == 1
    assert len({r.attack: r for r in report.results}["c"].recovered) > baseline["c"]


def test_index_limits_of_a_withheld_worry_index_are_caught(leaky, baseline):
    snap = _snapshot_dir(leaky)
    mx = pd.read_parquet(snap / "matrix.parquet")
    i = mx.index[mx["worry_index"].isna()]
    assert len(i), "no withheld worry index in the protected demo"
    mx.loc[i[:1], ["worry_lower", "worry_upper"]] = [60.0, 90.0]
    _write(snap, "matrix", mx)
    report = audit_store(leaky)
    d = {r.attack: r for r in report.results}["d"]
    assert report.code == 1 and len(d.recovered) > baseline["d"]
    assert any("sqrt(lower x upper)" in e for e in d.recovered)


def test_limits_of_a_withheld_estimate_are_caught(leaky, baseline):
    snap = _snapshot_dir(leaky)
    est = pd.read_parquet(snap / "estimates.parquet")
    pos = _relation_with_two_hidden(snap, "dimension")
    t = _truth(snap).loc[tuple(est.loc[pos, KEY])]
    p = t["weighted_positives"] / t["sum_weights"]
    est.loc[pos, ["lower_95", "upper_95"]] = [100 * p - 3, 100 * p + 3]
    _write(snap, "estimates", est)
    assert len({r.attack: r for r in audit_store(leaky).results}["d"].recovered) > baseline["d"]


def test_published_bases_of_withheld_cells_let_the_bounds_attack_pin_them(leaky, baseline):
    snap = _snapshot_dir(leaky)
    est = pd.read_parquet(snap / "estimates.parquet")
    hidden = est["value"].isna()
    est.loc[hidden, "base"] = _truth(snap)["n_unweighted"].reindex(
        pd.MultiIndex.from_frame(est.loc[hidden, KEY])).to_numpy()
    _write(snap, "estimates", est)
    report = audit_store(leaky)
    assert report.code == 1
    assert len({r.attack: r for r in report.results}["e"].recovered) > baseline["e"]


def test_a_missing_store_is_a_usage_error(tmp_path, capsys):
    assert main(["audit-disclosure", "--store", str(tmp_path / "nowhere")]) == 2
    assert "no published snapshot" in capsys.readouterr().err


@pytest.mark.xfail(reason="until derived.py publishes with cell_suppression (and the residual white-group "
                          "intervals are settled), the live demo store leaks", strict=False)
@pytest.mark.parametrize("store", ["demo_store", "quarter_store"])
def test_the_published_demo_store_passes(store, request):
    assert audit_store(request.getfixturevalue(store)).code == 0
