"""Ingest: the one place that joins the readers, the aggregation and the store.

``run_ingest`` reads every input named by the force configuration, validates all of it, and
publishes a new snapshot only if no error was found. On any error nothing is published, the
live snapshot keeps serving, and a rejection report lists every problem with its file, row,
column, value and rule. Before publishing, the counts of what came in are compared with the
live snapshot's (``dashboard.data.control``): a file cut short is an error too. Respondent
rows are summed here and never published.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__, derived, derived_crime, derived_matrix
from .config import ConfigError, ForceConfig, load_config
from .data import aggregate, benchmarks, control, geography, policeuk, surveys
from .data.problems import Findings
from .data.store import Store, new_snapshot_id
from .data.tables import ROW

log = logging.getLogger(__name__)

PUBLISHED, INVALID = 0, 1
STEPS = 9


@dataclass
class IngestResult:
    code: int
    findings: Findings
    snapshot_id: str | None = None
    report_path: Path | str | None = None
    counts: dict = field(default_factory=dict)


def resolve_config(source_dir: Path, config_path: Path | None) -> ForceConfig:
    if config_path is None:
        config_path = source_dir / "force.toml"
        if not config_path.is_file():
            raise ConfigError(config_path, ["no force.toml in the source directory; pass --config FILE"])
    return load_config(config_path)


def _files(source_dir: Path, patterns, findings: Findings, what: str, required: bool) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        matched = sorted(Path(p) for p in glob.glob(str(source_dir / pattern)))
        if not matched and not any(ch in pattern for ch in "*?["):
            findings.add(source_dir / pattern, "missing_file", f"the {what} file named in [inputs] does not exist")
        found += [p for p in matched if p.is_file() and p not in found]
    if required and not found:
        findings.add(source_dir, "missing_file", f"no {what} file matches {', '.join(patterns)}")
    return found


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _relative(path: Path, source_dir: Path) -> str:
    """An input's name as the manifest records it: relative to the source directory (a file
    outside it, by its name only; the server's paths are not published)."""
    resolved, root = path.resolve(), source_dir.resolve()
    return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else path.name


def _progress(step: int, total: int, message: str) -> None:
    log.info("[%d/%d] %s", step, total, message)


def validate_and_build(source_dir: Path, config: ForceConfig, findings: Findings) -> dict[str, pd.DataFrame] | None:
    """Read and check every input; return the tables to publish, or None when there are errors."""
    steps = STEPS
    inp = config.inputs
    _progress(1, steps, "areas and boundaries")
    areas_files = _files(source_dir, [inp.areas], findings, "areas", required=True)
    areas = geography.read_areas(areas_files[0], config, findings) if areas_files else None
    known = set(areas["area_code"].dropna()) if areas is not None else set()
    boundary_files = _files(source_dir, inp.boundaries, findings, "boundaries", required=True)
    boundaries = geography.read_boundaries(boundary_files, config, findings,  # a national file is cut to `known`
                                           keep=known if areas is not None else None) if boundary_files else None
    if areas is not None and boundaries is not None:
        geography.match_areas(areas, boundaries, areas_files[0], findings)

    _progress(2, steps, "respondent-level surveys")
    survey_files = _files(source_dir, inp.surveys, findings, "survey", required=False)
    frames, respondents = _respondents(survey_files, config, findings, known)

    _progress(3, steps, "aggregated survey tables")
    agg_files = _files(source_dir, inp.aggregated, findings, "aggregated survey", required=False)
    agg_frames = [surveys.read_aggregated(p, config, findings, known) for p in agg_files]
    agg_frames = [f for f in agg_frames if f is not None]

    _progress(4, steps, "most similar forces and the supplied matrix")
    msf = matrix = None
    msf_files, m_files = [], []
    if inp.msf:
        msf_files = _files(source_dir, [inp.msf], findings, "MSF", required=False)
        msf = benchmarks.read_msf(msf_files[0], config, findings) if msf_files else None
    if inp.matrix:
        m_files = _files(source_dir, [inp.matrix], findings, "matrix", required=False)
        matrix = benchmarks.read_matrix(m_files[0], config, findings, known) if m_files else None

    crime_files = _files(source_dir, inp.crime, findings, "crime", required=False)
    _progress(5, steps, f"police.uk crime: {len(crime_files)} file(s)")
    crime = policeuk.read_crime_files(crime_files, config, findings) if crime_files else None

    if findings.errors:
        return None
    control_totals = control.count_inputs(frames, agg_frames, crime, config)

    _progress(6, steps, "joining crime to areas and summing survey results")
    tables: dict[str, pd.DataFrame] = {}
    tables["areas"] = areas.drop(columns=[ROW]).reset_index(drop=True)
    tables["area_population"] = geography.long_population(areas, config)
    full = boundaries[["area_code", "geometry"]].reset_index(drop=True)
    tables["boundaries"] = full
    divisions = areas.drop_duplicates("area_code").set_index("area_code")["division_code"]
    tables["boundaries_display"] = geography.display_geometry(full, divisions)

    results = aggregate.survey_results(respondents, areas, config)
    if agg_frames:
        results = _with_aggregated(results, agg_frames, areas, config, findings)
    if findings.errors:  # conflicting sources: stop before any statistic is computed from them
        return None
    per_period = results  # the matrix pools its own survey window from single periods
    results = aggregate.rolling_results(results, config)  # [periods] rolling: each window's sums
    tables["survey_results"] = results
    _progress(7, STEPS, "statistics: intervals, changes, MSF, outcomes, targets, area comparisons, trends")
    raw_results = results
    results = derived.with_disclosure(results, tables["areas"], config,  # one decision for every table
                                      singles=per_period)
    published = derived.build(results, msf, tables["areas"], config)
    tables.update(published)
    # Respondent rows stay here: the pages read only aggregates (the store refuses respondent rows).
    tables["respondent_profile"] = aggregate.respondent_profile(respondents, tables["areas"], config,
                                                                prefer=derived_matrix.worry_survey(config))

    if crime is not None:
        rows, counts, accounting = policeuk.join_crime(crime, full)
        del crime
        policeuk.report_unjoined(rows, findings)
        tables["crime_counts"] = counts
        tables["crime_accounting"] = accounting
        tables.update(derived_crime.build(counts, tables["areas"], config))
    _progress(8, STEPS, "crime/worry matrix" + (" and the panel's tables" if config.panel_variant else ""))
    single = results if per_period is raw_results else derived.with_disclosure(per_period, tables["areas"], config)
    built = derived_matrix.build_matrix(tables.get("crime_counts"), respondents, single, tables["areas"], matrix,
                                        config)
    tables.update(built)
    if config.panel_variant:
        tables.update(_panel_tables(raw_results, per_period, msf, matrix, respondents, tables, config,
                                    set(published) | set(built)))
    if msf is not None:
        tables["msf"] = msf.drop(columns=[ROW])
    if matrix is not None:
        tables["matrix_supplied"] = matrix.drop(columns=[ROW])
    if findings.errors:
        return None
    # Every file a published figure came from, with what it is (the manifest checksums each one).
    tables["_inputs"] = pd.DataFrame(
        [{"file": str(p), "kind": kind} for kind, paths in (
            ("areas", areas_files), ("boundaries", boundary_files), ("respondent survey", survey_files),
            ("aggregated survey", agg_files), ("most similar forces", msf_files), ("supplied matrix", m_files),
            ("police.uk crime", crime_files)) for p in paths], columns=["file", "kind"])
    tables["_control_totals"] = control_totals
    return tables


def _respondents(paths: list[Path], config: ForceConfig, findings: Findings, known: set[str]):
    """The respondent-level files, read and checked: (every file's rows, {survey: its rows})."""
    frames = [df for df in (surveys.read_respondents(p, config, findings, known) for p in paths) if df is not None]
    surveys.duplicate_respondents(frames, findings)
    respondents = {}
    for code in config.surveys:
        mine = [f for f in frames if f["survey"].iat[0] == code]
        if mine:
            respondents[code] = pd.concat(mine, ignore_index=True)
    return frames, respondents


def _with_aggregated(results: pd.DataFrame, agg_frames: list[pd.DataFrame], areas: pd.DataFrame,
                     config: ForceConfig, findings: Findings) -> pd.DataFrame:
    """The results from respondent rows with those of the aggregated tables beside them, each
    result from one source (a clash or a repeated row is an error naming the file and row), and
    division and force rows summed from the area rows where they are not supplied."""
    raw_agg = pd.concat(agg_frames, ignore_index=True)
    agg = aggregate.aggregated_results(raw_agg, config)  # keeps raw_agg's index
    key = ["indicator", "level", "geography_code", "period", "subgroup_dimension", "subgroup"]
    clash = agg.reset_index().merge(results[key], on=key, how="inner")["index"]
    twice = agg.index[agg.duplicated(key, keep="first")]
    for i, message in [(i, "is also computed from respondent-level data; give each result one source")
                       for i in clash] + [(i, "appears twice in the aggregated tables") for i in twice]:
        rec = raw_agg.loc[i]
        findings.add(rec["source_file"], "conflicts_with_respondents" if i in set(clash) else "duplicate",
                     f"{rec['indicator']} {rec['geography_level']} {rec['geography_code']} {rec['period']} "
                     + message, row=int(rec[ROW]), column="indicator", value=rec["indicator"])
    if not findings.errors:
        rolled = aggregate.roll_up(agg, raw_agg, areas, config, findings)
        known_keys = pd.MultiIndex.from_frame(results[key])
        agg = pd.concat([agg, rolled[~pd.MultiIndex.from_frame(rolled[key]).isin(known_keys)]])
    return pd.concat([results, agg], ignore_index=True)


def _panel_tables(raw_results, per_period, msf, matrix, respondents, tables, config,
                  names) -> dict[str, pd.DataFrame]:
    """The panel's own disclosure-controlled tables (``dashboard/access.py``): the same derivation
    and the same primary and secondary suppression, at ``panel_suppression_threshold``, written
    under ``panel/``. ``names`` (every variant-dependent table the published set has) go into the
    manifest, so a table the panel's set lacks (all of it withheld) is never read from the
    published set instead."""
    panel_config = config.for_panel()
    results = derived.with_disclosure(raw_results, tables["areas"], panel_config, singles=per_period)
    out = derived.build(results, msf, tables["areas"], panel_config)
    single = results if per_period is raw_results else derived.with_disclosure(per_period, tables["areas"],
                                                                               panel_config)
    out.update(derived_matrix.build_matrix(tables.get("crime_counts"), respondents, single, tables["areas"], matrix,
                                           panel_config))
    out["respondent_profile"] = aggregate.profile_for_threshold(tables["respondent_profile"],
                                                               panel_config.suppression_threshold)
    tables["_variant_tables"] = pd.DataFrame({"name": sorted(names | set(out))})
    return {f"panel/{name}": frame for name, frame in out.items()}


def check_control_totals(store: Store, counts: pd.DataFrame, config: ForceConfig, findings: Findings,
                         accept: tuple[str, ...], reason: str | None, source_dir: Path) -> list[dict]:
    """Compare the new counts with the live snapshot's (dashboard.data.control): an error for every
    fall beyond the limit in a complete period, unless accepted; returns the accepted ones as the
    manifest records them."""
    live_id = store.current_id()
    if live_id is None:
        return []
    live = store.open(live_id).manifest.get("control_totals")
    if live is None:
        findings.add(store.file_location(f"snapshots/{live_id}/manifest.json"), "control_total",
                     "the live snapshot records no control totals (published by an older version): counts "
                     "not compared this time", severity="warning")
        return []
    inp = config.inputs
    fallback = {"respondents": tuple(str(source_dir / p) for p in inp.surveys),
                "aggregated_bases": tuple(str(source_dir / p) for p in inp.aggregated),
                "crime_rows": tuple(str(source_dir / p) for p in inp.crime)}
    accepted, used = [], set()
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for fall in control.falls(live, counts, inp.max_count_drop, fallback):
        files = ", ".join(fall.files) or str(source_dir)
        by = fall.accepted_by(accept)
        if by is None:
            findings.add(files, "control_total", fall.message(live_id, inp.max_count_drop), column="period",
                         value=fall.period)
            continue
        used.add(by)
        findings.add(files, "control_total_accepted",
                     f"{fall.group} {fall.period}: {fall.new:,} {control.KINDS[fall.kind]}, {fall.fraction:.1%} fewer "
                     f"than the {fall.live:,} in the live snapshot {live_id}; accepted (--accept-drop {by}): {reason}",
                     column="period", value=fall.period, severity="warning")
        accepted.append({"what": fall.name, "kind": fall.kind, "files": list(fall.files), "live_snapshot": live_id,
                         "live_count": fall.live, "new_count": fall.new, "fall": round(fall.fraction, 4),
                         "accepted_as": by, "reason": reason, "accepted_at": now, "accepted_by": _user()})
    for name in accept:
        if name not in used:
            findings.add(source_dir, "control_total_accepted",
                         f"--accept-drop {name}: no count fell beyond the limit there; nothing accepted for it",
                         severity="warning")
    return accepted


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.geteuid())


def run_ingest(source_dir: Path, store_dir: Path | str, config_path: Path | None = None,
               publish: bool = True, accept_drops: tuple[str, ...] = (), reason: str | None = None,
               prepare: bool = False) -> IngestResult:
    """Validate a source directory and, if it is valid and ``publish``, publish a snapshot.

    Publishing also compares the control totals with the live snapshot's (``check_control_totals``);
    ``accept_drops`` names the falls the analyst accepts, for ``reason``. With ``prepare`` (the
    command line), what is built from a published snapshot (its meeting packs) is prepared once
    the store's lock is released: queued for a worker with Redis, else built here
    (``dashboard.jobs.after_publish``)."""
    result = _ingest(source_dir, store_dir, config_path, publish, accept_drops, reason)
    if prepare and result.snapshot_id:
        from .jobs import after_publish

        after_publish(Path(store_dir), result.snapshot_id)
    return result


def _ingest(source_dir: Path, store_dir: Path, config_path: Path | None, publish: bool,
            accept_drops: tuple[str, ...], reason: str | None) -> IngestResult:
    if accept_drops and not (reason or "").strip():
        raise ValueError("--accept-drop needs --reason: say why the counts fell")
    started = time.monotonic()
    source_dir, store = Path(source_dir), Store(store_dir)
    findings = Findings()
    try:
        config = resolve_config(source_dir, config_path)
    except ConfigError as exc:
        for p in exc.problems:
            findings.add(exc.path, "config", p)
        return _reject(store, findings, source_dir, publish)

    with store.lock() if publish else _null():  # the lock also clears a killed ingest's staging
        tables = validate_and_build(source_dir, config, findings)
        if tables is None:
            return _reject(store, findings, source_dir, publish)
        counts = tables.pop("_control_totals")
        if not publish:
            return IngestResult(PUBLISHED, findings)
        accepted = check_control_totals(store, counts, config, findings, tuple(accept_drops), reason, source_dir)
        if findings.errors:
            return _reject(store, findings, source_dir, publish)
        _progress(9, STEPS, "writing the snapshot")
        snapshot_id = new_snapshot_id()
        staged = store.stage(snapshot_id)
        inputs = tables.pop("_inputs")
        variant_tables = tables.pop("_variant_tables", None)
        for name, frame in tables.items():
            staged.write_table(frame, name)
        manifest = {
            "snapshot_id": snapshot_id,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "software": f"confidence-dashboard {__version__}",
            "force_code": config.force_code, "force_name": config.force_name,
            "synthetic": config.synthetic,
            "source_dir": str(source_dir.resolve()),
            "config_file": str(config.path),
            "inputs": [{"file": _relative(Path(f), source_dir), "kind": kind, "sha256": _sha256(Path(f)),
                        "bytes": Path(f).stat().st_size} for f, kind in zip(inputs["file"], inputs["kind"])],
            "tables": {name: int(len(frame)) for name, frame in tables.items()},
            "variant_tables": {} if variant_tables is None else {"panel": list(variant_tables["name"])},
            "control_totals": control.as_manifest(counts),
            "max_count_drop": config.inputs.max_count_drop,
            "accepted_drops": accepted,
            "warnings": findings.count("warning"),
            "ingest_seconds": round(time.monotonic() - started, 2),
        }
        staged.write_text("manifest.json", json.dumps(manifest, indent=2))  # (an object store writes it last)
        staged.write_text("force.toml", config.text)
        staged.write_text("ingest-report.txt", findings.report_text(f"Ingest report for snapshot {snapshot_id}"))
        store.publish(staged)
        log.info("published snapshot %s in %.1f s", snapshot_id, time.monotonic() - started)
        return IngestResult(PUBLISHED, findings, snapshot_id=snapshot_id, counts=manifest["tables"])


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _reject(store: Store, findings: Findings, source_dir: Path, publish: bool) -> IngestResult:
    title = f"Rejected: {source_dir} was not published"
    text = findings.report_text(title)
    if not publish:
        return IngestResult(INVALID, findings)
    stamp = new_snapshot_id()
    store.write_text(f"reports/{stamp}-rejected.txt", text)
    store.write_text(f"reports/{stamp}-rejected.csv", findings.report_csv())
    store.write_text("reports/last-rejection.txt", text)
    return IngestResult(INVALID, findings, report_path=store.file_location(f"reports/{stamp}-rejected.txt"))
