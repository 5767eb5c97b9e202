"""Command line of the dashboard, one subcommand per task (argument parsing only).

Subcommands: demo | ingest | validate | fetch-policeuk | rollback | activate | pack | serve |
audit-disclosure | docs.

Exit codes of ingest, validate, rollback and activate: see EXIT_CODES.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .settings import DEMO_INPUT, DEMO_STORE, SETTINGS, store_location

log = logging.getLogger("dashboard")

OK, INVALID, USAGE, BUSY, STORE_IO = 0, 1, 2, 3, 4
EXIT_CODES = """exit codes of ingest, validate, rollback and activate:
  0  done: published, valid, rolled back or activated
  1  invalid input: nothing published (ingest writes a rejection report to STORE/reports/),
     including a count that fell beyond [inputs] max_count_drop in a period the live snapshot
     had complete (control totals; --accept-drop SURVEY:PERIOD --reason TEXT publishes anyway),
     or nothing earlier to roll back to
  2  usage error, or activate of a snapshot id the store does not keep
  3  store busy: another ingest, rollback or activate holds the store's lock; nothing changed
  4  store I/O or permission error (the path is named); what was live stays live

store permissions: files 0640, directories 0750. Run ingest, rollback and activate as the
store's owner; the web process reads through the store's group (README, "The store").
Each of them first removes what a killed ingest left in STORE/staging/, under the lock."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dashboard", description=__doc__.splitlines()[0], epilog=EXIT_CODES,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-q", "--quiet", action="store_true", help="only print warnings and errors")
    sub = p.add_subparsers(dest="command", required=True)

    from .data.examples import DEFAULT, EXAMPLES

    d = sub.add_parser("demo", help="write an example force's input set (the synthetic demo by default)",
                       description="Write an example force's complete input set (force.toml and its data) for "
                                   "`dashboard ingest`. Forces: " + "; ".join(f"{e.name}: {e.summary}"
                                                                             for e in EXAMPLES.values()))
    d.add_argument("--force", choices=list(EXAMPLES), default=DEFAULT, help=f"example force (default: {DEFAULT})")
    d.add_argument("--out", type=Path, required=True, help="directory to write into")
    d.add_argument("--seed", type=int, default=None,
                   help="random seed of a synthetic force (same seed, same bytes; default: the force's own)")
    d.add_argument("--data", type=Path, default=None,
                   help="folder of the real public data for west-mercia-wards (default: ../shared/data beside "
                        "the repository); its files are copied into --out, never into the repository")
    d.add_argument("--scale", type=float, help="west-mercia: multiply respondents and crimes (benchmarks)")
    d.add_argument("--crime-months", type=int, help="west-mercia: months of police.uk-format crime (0-24, default 24)")
    d.add_argument("--areas", type=int, default=None,
                   help="west-mercia: about this many areas instead of 145 (benchmarks)")
    d.add_argument("--null-world", action="store_true",
                   help="west-mercia: no true change between years: every true probability stays at its 2005/06 value")

    for name, text in (("ingest", "validate inputs and publish a new snapshot"),
                       ("validate", "validate inputs without publishing")):
        i = sub.add_parser(name, help=text, description=text, epilog=EXIT_CODES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        i.add_argument("source_dir", type=Path, help="directory holding the input files")
        i.add_argument("--config", type=Path, help="force configuration (default: SOURCE_DIR/force.toml)")
        if name == "ingest":
            i.add_argument("--store", type=store_location, required=True,
                           help="store to publish into: a directory or an s3:// URI")
            i.add_argument("--accept-drop", action="append", default=[], metavar="SURVEY:PERIOD",
                           help="publish although this count fell beyond [inputs] max_count_drop in a period the live "
                                "snapshot had complete (control totals): SURVEY:PERIOD such as LOCAL:2007/08, a "
                                "survey code alone for all its periods, crime:YYYY-MM or crime for crime months, "
                                "all for every fall; repeatable; needs --reason; recorded in the manifest")
            i.add_argument("--reason", help="why the accepted counts fell (recorded in the manifest with the counts, "
                                            "the time and the user)")
            i.add_argument("--no-prepare", action="store_true",
                           help="publish without preparing the snapshot (meeting packs, warm answer cache) now: "
                                "each pack is then built when first asked for")

    f = sub.add_parser("fetch-policeuk", help="download neighbourhoods, boundaries and street crime from police.uk")
    f.add_argument("--force", required=True, help="police.uk force id, e.g. west-mercia")
    f.add_argument("--from", dest="first", required=True, help="first month, YYYY-MM")
    f.add_argument("--to", dest="last", required=True, help="last month, YYYY-MM")
    f.add_argument("--out", type=Path, required=True, help="directory to write areas.csv, boundaries.kml, crime/")
    f.add_argument("--base-url", default=None, help="API address (default: the public police.uk API)")
    f.add_argument("--retries", type=int, default=4, help="retries for failed requests (with backoff)")

    r = sub.add_parser("rollback", help="make the snapshot that was live before the current one live again",
                       epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("--store", type=store_location, required=True)

    v = sub.add_parser("activate", help="make a kept snapshot live (undoes a rollback)",
                       epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("snapshot_id", help="id of a snapshot under STORE/snapshots/")
    v.add_argument("--store", type=store_location, required=True)

    c = sub.add_parser("copy-snapshot", epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
                       help="publish a copy of a store's live snapshot in another store (a directory into S3, say)")
    c.add_argument("--from", dest="source", type=store_location, required=True, help="store to copy from")
    c.add_argument("--store", type=store_location, required=True, help="store to publish the copy in")

    k = sub.add_parser("pack", help="write the meeting pack (PDF) for a division from the live snapshot")
    k.add_argument("--division", required=True, help="division name or code, or 'all' for the whole force")
    k.add_argument("--out", type=Path, required=True, help="PDF file to write")
    k.add_argument("--store", type=store_location,
                   help=f"store directory or URI (default: $DASHBOARD_STORE or {SETTINGS.store})")

    a = sub.add_parser("audit-disclosure", help="attack the live snapshot's published tables (and the panel's); "
                       "exit 1 if a withheld value can be recovered")
    a.add_argument("--store", type=store_location, required=True, help="store directory whose live snapshot is audited")
    a.add_argument("--examples", type=int, default=3, help="recovered cells listed per attack")

    g = sub.add_parser("docs", help="regenerate the generated tables of docs/ (config keys, input columns)")
    g.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 listing the files that differ from what the code generates")

    w = sub.add_parser("warm", help="put the live snapshot's common views in the answer cache (each page for the "
                       "force and every division, every area's profile, for each role)")
    w.add_argument("--store", type=store_location,
                   help=f"store directory or URI (default: $DASHBOARD_STORE or {SETTINGS.store})")
    w.add_argument("--no-areas", action="store_true", help="leave the area profiles out")
    w.add_argument("--role", action="append", choices=["analyst", "command", "panel"],
                   help="warm only this role's answers (repeatable; default: every role)")

    s = sub.add_parser("serve", help="serve the dashboard (development server; use gunicorn in production)")
    s.add_argument("--store", type=store_location,
                   help=f"store directory or URI (default: $DASHBOARD_STORE or {SETTINGS.store})")
    s.add_argument("--demo", action="store_true",
                   help=f"generate and ingest the demo data set into {DEMO_STORE} if not there yet, and serve it")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8050)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Our own progress at INFO; libraries (kaleido, choreographer...) only when something is wrong.
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    log.setLevel(logging.WARNING if args.quiet else logging.INFO)
    if args.command in ("ingest", "validate"):
        if getattr(args, "accept_drop", None) and not (args.reason or "").strip():
            print("dashboard ingest: --accept-drop needs --reason: say why the counts fell", file=sys.stderr)
            return USAGE
        return _ingest(args)
    if args.command == "fetch-policeuk":
        from .data.policeuk_api import DEFAULT_BASE_URL, FetchError, fetch_policeuk, session

        try:
            result = fetch_policeuk(args.force, args.first, args.last, args.out, args.base_url or DEFAULT_BASE_URL,
                                    http=session(retries=args.retries))
        except FetchError as exc:
            print(f"dashboard fetch-policeuk: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {result.neighbourhoods} neighbourhoods and {result.crime_rows:,} crime rows to {args.out}; "
              "fill in division_code (and population) in areas.csv before ingesting")
        return 0
    handlers = {"demo": _demo, "rollback": _move_current, "activate": _move_current, "pack": _pack, "serve": _serve,
                "audit-disclosure": _audit, "docs": _docs, "copy-snapshot": _copy_snapshot, "warm": _warm}
    return handlers[args.command](args)


def _warm(args) -> int:
    """The answer cache of the settings (DASHBOARD_REDIS_URL or DASHBOARD_CACHE_DIR), warmed."""
    from .cache import warm
    from .data.store import StoreError

    try:
        warmed = warm(args.store or SETTINGS.store, roles=tuple(args.role) if args.role else None,
                      areas=not args.no_areas)
    except StoreError as exc:
        print(f"dashboard warm: {exc}", file=sys.stderr)
        return 1
    print(f"warmed snapshot {warmed.snapshot_id}: {warmed.answered:,} of {warmed.requests:,} answers in "
          f"{warmed.seconds:.0f} s")
    return 0 if warmed.answered == warmed.requests else 1


def _docs(args) -> int:
    from .docsgen import DocsError, generate

    try:
        changed = generate(check=args.check)
    except DocsError as exc:
        print(f"dashboard docs: {exc}", file=sys.stderr)
        return 1
    if args.check:
        for path in changed:
            print(f"differs from what the code generates: {path} (run `dashboard docs`)", file=sys.stderr)
        return 1 if changed else 0
    print("\n".join(f"rewrote {path}" for path in changed) or "the docs were up to date")
    return 0


def _demo(args) -> int:
    from .data.examples import EXAMPLES, write_example

    options = {k: v for k, v in (("scale", args.scale), ("crime_months", args.crime_months), ("areas", args.areas),
                                 ("null_world", args.null_world or None)) if v is not None}
    try:
        files = write_example(args.force, args.out, seed=args.seed, shared=args.data,
                              progress=lambda m: log.info("demo: %s", m), **options)
    except (ValueError, FileNotFoundError) as exc:
        print(f"dashboard demo: {exc}", file=sys.stderr)
        return USAGE
    kind = "synthetic" if EXAMPLES[args.force].synthetic else "public-data"
    print(f"wrote {len(files)} {kind} files of the {args.force} example force to {args.out}")
    return OK


def _store_failure(command: str, exc: Exception) -> int:
    """One line on stderr and the exit code for a store error or an OSError (never a traceback)."""
    from .data.store import StoreBusy, UnknownSnapshot

    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        print(f"dashboard {command}: {exc.strerror or exc}{where}", file=sys.stderr)
        return STORE_IO
    print(f"dashboard {command}: {exc}", file=sys.stderr)
    if isinstance(exc, StoreBusy):
        return BUSY
    return USAGE if isinstance(exc, UnknownSnapshot) else INVALID


def _move_current(args) -> int:
    from .data.store import Store, StoreError

    try:
        if args.command == "rollback":
            old, new = Store(args.store).rollback()
        else:
            old, new = Store(args.store).activate(args.snapshot_id)
    except (StoreError, OSError) as exc:
        return _store_failure(args.command, exc)
    if old != new:
        from .jobs import after_publish

        after_publish(args.store, new)  # its packs, if they were lost (each one kept is skipped)
    if args.command == "rollback":
        print(f"rolled back: {new} is live again (was {old})")
    elif old == new:
        print(f"{new} is already live")
    else:
        print(f"activated: {new} is live (was {old or 'none'})")
    return OK


def _copy_snapshot(args) -> int:
    from .data.store import Store, StoreError, copy_snapshot

    try:
        new = copy_snapshot(Store(args.source), Store(args.store))
    except (StoreError, OSError) as exc:
        return _store_failure(args.command, exc)
    print(f"published snapshot {new} in {Store(args.store).root} (a copy of {args.source}'s live snapshot)")
    return OK


def _ingest(args) -> int:
    from .data.store import StoreError
    from .ingest import run_ingest

    publish = args.command == "ingest"
    try:
        result = run_ingest(args.source_dir, args.store if publish else Path("."), args.config, publish=publish,
                            accept_drops=tuple(args.accept_drop) if publish else (),
                            reason=args.reason if publish else None,
                            prepare=publish and not getattr(args, "no_prepare", False))
    except (StoreError, OSError) as exc:
        return _store_failure(args.command, exc)
    for (rule, message), count in result.findings.warning_summary().items():
        print(f"warning: {count:,} × {message} [{rule}]", file=sys.stderr)
    if result.code:
        for p in result.findings.errors:
            print(f"error: {p}", file=sys.stderr)
        where = f"; report: {result.report_path}" if result.report_path else ""
        total, listed = result.findings.count("error"), len(result.findings.errors)
        shown = f" ({listed:,} listed above)" if listed < total else ""
        print(f"{total:,} error(s){shown}: nothing was published{where}", file=sys.stderr)
        return INVALID
    if publish:
        print(f"published snapshot {result.snapshot_id} to {args.store}")
    else:
        print("valid: every input passed its checks")
    return OK


def _pack(args) -> int:
    from .data.store import Store, StoreError
    from .figures.images import ImageExportError
    from .live import snapshot_config
    from .pack import PackError, build_pack, resolve_division

    try:
        snapshot = Store(args.store or SETTINGS.store).open()
        config = snapshot_config(snapshot)
        pdf = build_pack(snapshot, config, resolve_division(config, args.division))
    except OSError as exc:
        return _store_failure("pack", exc)
    except (StoreError, PackError, ImageExportError) as exc:
        print(f"dashboard pack: {exc}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(pdf)
    print(f"wrote the meeting pack ({len(pdf):,} bytes) to {args.out}")
    return 0


def _audit(args) -> int:
    """Exit codes: 0 nothing recovered, 1 a withheld value recovered, 2 no store or nothing published,
    4 the store cannot be read."""
    from .audit import audit_store, variants
    from .data.store import Store, StoreError

    try:
        if not Store(args.store).exists() or Store(args.store).current_id() is None:
            print(f"dashboard audit-disclosure: no published snapshot in {args.store}", file=sys.stderr)
            return 2
        reports = [audit_store(args.store, variant) for variant in variants(args.store)]
    except OSError as exc:
        return _store_failure("audit-disclosure", exc)
    except StoreError as exc:
        print(f"dashboard audit-disclosure: {exc}", file=sys.stderr)
        return 2
    print("\n\n".join(report.text(args.examples) for report in reports))
    return max(report.code for report in reports)


def _code_fingerprint() -> str:
    """sha256 of the package's code and the default force configuration: the demo store is
    rebuilt when they change, so `serve --demo` never shows what older code computed."""
    import hashlib

    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted([*root.rglob("*.py"), *(root.parent / "data" / "forces").glob("*.toml")]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _serve(args) -> int:
    from .data.store import Store

    store = args.store or SETTINGS.store
    if args.demo:
        store = args.store or DEMO_STORE
        built_by = _code_fingerprint()
        stamp = Store(store).read_text("demo-built-by.txt")
        stale = stamp is not None and stamp.strip() != built_by
        if Store(store).current_id() is None or stale:
            import shutil

            from .data.demo import write_demo
            from .ingest import run_ingest

            if stale:
                log.info("the demo store was built by another version of the code: rebuilding it")
            log.info("generating the synthetic demonstration data in %s", DEMO_INPUT)
            shutil.rmtree(DEMO_INPUT, ignore_errors=True)
            write_demo(DEMO_INPUT, progress=lambda m: log.info("demo: %s", m))
            # Synthetic data rebuilt by other code: its counts may change, and that is no fault of any file.
            result = run_ingest(DEMO_INPUT, store, accept_drops=("all",),
                                reason="the demo store is rebuilt by another version of the code")
            if result.code:
                for p in result.findings.errors:
                    print(f"error: {p}", file=sys.stderr)
                return 1
            Store(store).write_text("demo-built-by.txt", built_by + "\n")
        from .jobs import after_publish

        log.info("preparing the meeting packs (each one already kept is skipped)")
        after_publish(store, Store(store).current_id())  # so they are there when the server starts
    if Store(store).current_id() is None:
        print(f"dashboard serve: nothing is published in {store}; run `dashboard ingest SOURCE_DIR --store {store}` "
              "or `dashboard serve --demo`", file=sys.stderr)
        return 1
    from .access import AccessConfigError, AccessSettings, check_bind
    from .app import create_app

    try:
        access = AccessSettings.from_env()
        check_bind([f"{args.host}:{args.port}"], access)
    except AccessConfigError as exc:
        print(f"dashboard serve: {exc}", file=sys.stderr)
        return 2
    app = create_app(store, access)
    print(f"Dashboard at http://{args.host}:{args.port}/ (store {store}; Ctrl+C to stop)", flush=True)
    app.run(host=args.host, port=args.port, debug=False)
    return 0
