"""Background jobs: what is built from a snapshot once it is published (the meeting packs).

``prepare(store, snapshot_id)`` runs the steps of ``STEP_BUILDERS`` in order: a meeting pack for
the force and every division, for the published tables and, where the snapshot has its own tables
for a variant (the panel's, ``dashboard/access.py``), for that variant too; then the answer cache
warmed for the common views (``warm_steps``). Each pack is
kept beside the snapshot with ``Store.write_artifact`` under ``pack_name(division, variant)``,
and after each step a small ``progress.json`` artifact says how far the job is (``Progress``), so
any instance can tell a user "being prepared (3 of 6)". Steps are idempotent: a pack already
written is skipped, so a job run twice (a worker killed part-way, two requests for lost packs)
does only what is left. A pack is byte-identical when rebuilt (``dashboard.pack``: the PDF's
dates are the snapshot's publication time, its ID a digest of its content).

Where it runs (``after_publish``):

- With ``DASHBOARD_REDIS_URL`` set, the publishing process enqueues the Celery task
  ``prepare_snapshot`` on that Redis (broker and result backend) and returns; a worker started
  with ``celery -A dashboard.jobs worker`` builds the packs. The task is acknowledged only when
  it has finished (``acks_late``) and given back to the queue if the worker running it dies
  (``task_reject_on_worker_lost``); Redis hands an unacknowledged task to another worker after
  the visibility timeout (``DASHBOARD_JOB_VISIBILITY_SECONDS``), longer than a job takes
  (Celery's "Using Redis" page, Visibility Timeout; Tasks guide, ``Task.acks_late`` and
  ``Task.reject_on_worker_lost``; Configuration, ``worker_prefetch_multiplier``).
- Without Redis (one machine), the same steps run in the publishing process before it returns,
  so ``dashboard serve --demo`` has its packs before the server starts.

A request for a pack that is not there (``ensure_prepared``) starts the job once per snapshot if
none is known: with Redis it enqueues (a ``SET NX`` key with a lifetime dedupes); without Redis a
thread of the serving process builds them (the asked-for pack first). The web request itself
never builds a pack.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from celery import Celery

from .data.store import Store, StoreError
from .settings import setting, store_identity

log = logging.getLogger(__name__)

TASK = "dashboard.prepare_snapshot"
PROFILE_TASK = "dashboard.build_profile"
PROGRESS = "progress.json"
ALL = "all"
# How long "a job is known for this snapshot" lasts before a request may enqueue it again.
KNOWN_SECONDS = 3600
FAILED_RETRY_SECONDS = 60


def pack_name(division: str, variant: str | None = None) -> str:
    """The artifact name of a pack: ``pack-all.pdf``, ``pack-NW.pdf``, ``pack-panel-NW.pdf``."""
    return f"pack-{variant}-{division}.pdf" if variant else f"pack-{division}.pdf"


def profile_name(code: str, variant: str | None = None) -> str:
    """The artifact name of an area's one-page profile: ``profile-HE01.pdf``, ``profile-panel-HE01.pdf``."""
    return f"profile-{variant}-{code}.pdf" if variant else f"profile-{code}.pdf"


@dataclass(frozen=True)
class Step:
    """One unit of a job: ``done()`` says whether its result is already kept; ``run()`` makes it."""

    name: str
    done: Callable[[], bool]
    run: Callable[[], None]


@dataclass(frozen=True)
class Progress:
    """How far a snapshot's job is: ``done`` of ``total`` steps; ``state`` is queued, running,
    done or failed (with ``error``)."""

    state: str
    done: int = 0
    total: int = 0
    step: str = ""
    error: str = ""

    @classmethod
    def read(cls, store: Store, snapshot_id: str) -> Progress | None:
        raw = store.read_artifact(snapshot_id, PROGRESS)
        if raw is None:
            return None
        try:
            return cls(**json.loads(raw))
        except (ValueError, TypeError):
            return None

    def write(self, store: Store, snapshot_id: str) -> None:
        try:
            store.write_artifact(snapshot_id, PROGRESS, json.dumps(asdict(self)).encode())
        except (OSError, StoreError) as exc:  # progress is a courtesy; the packs are what count
            log.warning("could not record the progress of snapshot %s: %s", snapshot_id, exc)


def variants(store: Store, snapshot_id: str) -> list[str | None]:
    """The published tables (None) and each variant the snapshot has its own tables for."""
    manifest = store.open(snapshot_id).manifest
    return [None, *sorted(v for v, names in manifest.get("variant_tables", {}).items() if names)]


def pack_steps(store: Store, snapshot_id: str) -> list[Step]:
    """A step per pack: the force's and each division's, for every variant of the snapshot."""
    from .live import snapshot_config

    config = snapshot_config(store.open(snapshot_id))
    divisions = [ALL, *(d.code for d in config.divisions)]
    return [_pack_step(store, snapshot_id, division, variant)
            for variant in variants(store, snapshot_id) for division in divisions]


def _pack_step(store: Store, snapshot_id: str, division: str, variant: str | None) -> Step:
    def build(snapshot, config) -> bytes:
        from .pack import build_pack

        return build_pack(snapshot, config, division)

    return _pdf_step(store, snapshot_id, variant, pack_name(division, variant), build)


def profile_step(store: Store, snapshot_id: str, code: str, variant: str | None) -> Step:
    """An area's one-page profile (``dashboard.profile``), built when first asked for."""
    def build(snapshot, config) -> bytes:
        from .profile import build_area_profile

        return build_area_profile(snapshot, config, code)

    return _pdf_step(store, snapshot_id, variant, profile_name(code, variant), build)


def _pdf_step(store: Store, snapshot_id: str, variant: str | None, name: str,
              build: Callable[[object, object], bytes]) -> Step:
    """A step that keeps ``build(snapshot, config)`` beside the snapshot as ``name``; done once kept."""
    def run() -> None:
        from .live import snapshot_config

        snapshot = store.open(snapshot_id, variant)
        _keep(store, snapshot_id, name, build(snapshot, snapshot_config(snapshot)))

    return Step(name, lambda: store.read_artifact(snapshot_id, name) is not None, run)


def _keep(store: Store, snapshot_id: str, name: str, data: bytes) -> None:
    try:
        store.write_artifact(snapshot_id, name, data)
    except FileNotFoundError:  # another process wrote the same file (same bytes) at the same moment
        if store.read_artifact(snapshot_id, name) is None:
            raise


def warm_steps(store: Store, snapshot_id: str) -> list[Step]:
    """The answer cache warmed (``dashboard.cache.warm``: every page of the navigation for the
    force and each division, and every indicator of the map) for each role that can use the
    dashboard here: the three roles with sign-in, the one role everyone has without. Area
    profiles are left to the first person who opens each. Done when its marker (the warm's
    counts, per role and code version: an upgrade's answers have other keys) is kept."""
    from .access import ROLES, AccessSettings
    from .cache import code_version

    access = AccessSettings.from_env()
    roles = ROLES if access.mode != "none" else (access.no_signin_role,)
    return [_warm_step(store, snapshot_id, role, f"warmed-{role}-{code_version()}.json") for role in roles]


def _warm_step(store: Store, snapshot_id: str, role: str, name: str) -> Step:
    def run() -> None:
        from .cache import warm

        if store.current_id() == snapshot_id:  # a later snapshot's own job warms that one
            done = warm(store.location, roles=(role,), areas=False)
            log.info("snapshot %s: %d answers warmed for %s in %.0f s", snapshot_id, done.answered, role, done.seconds)
            _keep(store, snapshot_id, name, json.dumps(asdict(done)).encode())

    return Step(name, lambda: store.read_artifact(snapshot_id, name) is not None, run)


# What a published snapshot gets, in order: each builder returns its steps (counted in Progress).
# Then ``prepare`` warms the answer cache for the first users (``warm_steps``).
STEP_BUILDERS: list[Callable[[Store, str], list[Step]]] = [pack_steps]


def steps(store: Store, snapshot_id: str) -> list[Step]:
    return [step for build in STEP_BUILDERS for step in build(store, snapshot_id)]


def prepare(store: Store | str | Path, snapshot_id: str, first: str | None = None,
            report: Callable[[Progress], None] | None = None) -> Progress:
    """Run every step the snapshot still lacks (``first``: that step's name before the others),
    recording progress beside the snapshot; returns the final Progress. Raises what a step raises
    (after recording it as failed). Charts share one browser for the whole job: call it where
    nothing else draws images at the same time (a worker, the publishing command)."""
    store = _store(store)
    todo = steps(store, snapshot_id)
    todo.sort(key=lambda s: s.name != first)
    total = len(todo)
    with _kaleido_server():
        for i, step in enumerate(todo):
            _record(store, snapshot_id, Progress("running", i, total, step.name), report)
            if step.done():
                continue
            started = time.monotonic()
            try:
                step.run()
            except Exception as exc:
                _record(store, snapshot_id, Progress("failed", i, total, step.name, str(exc)[:500]), report)
                raise
            log.info("snapshot %s: %s in %.1f s (%d of %d)", snapshot_id, step.name, time.monotonic() - started,
                     i + 1, total)
    final = Progress("done", total, total)
    _record(store, snapshot_id, final, report)
    for step in warm_steps(store, snapshot_id):  # after the packs are "done": a courtesy, not counted
        if not step.done():
            try:
                step.run()
            except Exception as exc:  # noqa: BLE001 (an unwarmed view is answered, and kept, when asked)
                log.warning("snapshot %s: %s did not finish: %s", snapshot_id, step.name, exc)
    return final


def _record(store: Store, snapshot_id: str, progress: Progress, report) -> None:
    progress.write(store, snapshot_id)
    if report is not None:
        report(progress)


class _kaleido_server:
    """One headless Chromium for every chart of a job (about 0.4 s an image instead of about 2 s
    with a browser per image; kaleido's ``start_sync_server``); left running if it already was."""

    def __enter__(self):
        import kaleido

        self.started = False
        # plotly warns on every image that kaleido's options are ignored while a shared browser runs.
        warnings.filterwarnings("ignore", message="The kopts argument is ignored")
        if not kaleido._global_server.is_running():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                kaleido.start_sync_server(mathjax=False, silence_warnings=True)
            self.started = True
        return self

    def __exit__(self, *exc):
        import kaleido

        if self.started:
            kaleido.stop_sync_server(silence_warnings=True)
        return False


# ---- Celery ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def celery_app(url: str) -> Celery:
    """The Celery app on Redis ``url`` (broker and result backend), with ``prepare_snapshot``."""
    visibility = int(setting("DASHBOARD_JOB_VISIBILITY_SECONDS"))
    app = Celery("dashboard", broker=url, backend=url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_track_started=True,
        worker_prefetch_multiplier=1,  # a worker holds only the job it runs; the rest wait for any worker
        # A lost job (its worker killed) goes back on the queue once its visibility timeout has passed,
        # noticed at the next sweep: kombu sweeps every unacked_restore_interval (10 s) times
        # unacked_restore_throttle (default 10); 1 looks every 10 s (kombu.transport.redis).
        broker_transport_options={"visibility_timeout": visibility, "unacked_restore_throttle": 1},
        result_backend_transport_options={"visibility_timeout": visibility},
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        task_serializer="json", result_serializer="json", accept_content=["json"],
    )

    @app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
    def prepare_snapshot(self, store: str, snapshot_id: str, first: str | None = None) -> dict:
        """Build what snapshot ``snapshot_id`` of ``store`` still lacks (``prepare``)."""
        def report(progress: Progress) -> None:
            self.update_state(state="PROGRESS", meta=asdict(progress))

        try:
            done = asdict(prepare(store, snapshot_id, first=first, report=report))
        except Exception:
            _forget(url, store, snapshot_id, FAILED_RETRY_SECONDS)  # a later request may try again
            raise
        _forget(url, store, snapshot_id, 0)  # packs lost later are asked for again
        return done

    @app.task(name=PROFILE_TASK, acks_late=True, reject_on_worker_lost=True)
    def build_profile(store: str, snapshot_id: str, code: str, variant: str | None = None) -> str:
        """Build area ``code``'s one-page profile beside the snapshot, unless it is there already."""
        step = profile_step(Store(store), snapshot_id, code, variant)
        try:
            if not step.done():
                with _kaleido_server():
                    step.run()
        finally:
            _forget(url, store, f"{snapshot_id}:{step.name}", 0)
        return step.name

    return app


def _store(store: Store | str | Path) -> Store:
    return store if isinstance(store, Store) else Store(store)


def _where(store: Store) -> str:
    return store_identity(store.location)


def _redis_url() -> str:
    return setting("DASHBOARD_REDIS_URL").strip()


def _known_key(store: str, snapshot_id: str) -> str:
    digest = hashlib.sha256(_where(Store(store)).encode()).hexdigest()[:16]
    return f"dashboard:job:prepare:{digest}:{snapshot_id}"


@functools.lru_cache(maxsize=4)
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url)


def _forget(url: str, store: str, snapshot_id: str, after: int) -> None:
    try:
        if after:
            _redis(url).expire(_known_key(store, snapshot_id), after)
        else:
            _redis(url).delete(_known_key(store, snapshot_id))
    except Exception as exc:  # noqa: BLE001 (redis errors have several types; this is best effort)
        log.warning("could not shorten the job key of %s: %s", snapshot_id, exc)


def enqueue(store: Store | str | Path, snapshot_id: str, first: str | None = None, url: str | None = None) -> bool:
    """Put ``prepare_snapshot`` on the queue unless a job for this snapshot is already known
    (dedupe: ``SET NX`` with a lifetime); True if it was enqueued now."""
    url = url or _redis_url()
    root = _where(_store(store))
    if not _redis(url).set(_known_key(root, snapshot_id), "queued", nx=True, ex=KNOWN_SECONDS):
        return False
    Progress("queued").write(Store(root), snapshot_id)
    celery_app(url).send_task(TASK, args=[root, snapshot_id, first])
    log.info("snapshot %s: queued its packs on %s", snapshot_id, url.split("@")[-1])
    return True


# ---- in-process (no Redis) ------------------------------------------------------------------

_threads: dict[tuple[str, str, str], threading.Thread] = {}
_threads_lock = threading.Lock()


def _build_in_thread(store: Store, snapshot_id: str, step: Step) -> None:
    """One machine without Redis, an artifact missing (a pack lost, or the snapshot published by
    a program that did not prepare it; an area profile): build it in a thread of this process,
    once at a time. Only what was asked for: a serving process has no spare cores for the rest,
    and the charts use a browser per image here (a shared one could be stopped under another
    thread's export)."""
    key = (_where(store), snapshot_id, step.name)
    with _threads_lock:
        if key in _threads and _threads[key].is_alive():
            return

        def work():
            try:
                if not step.done():
                    step.run()
            except Exception:
                log.exception("snapshot %s: building %s failed", snapshot_id, step.name)

        _threads[key] = threading.Thread(target=work, name=f"build-{step.name}", daemon=True)
        _threads[key].start()


def ensure_profile(store: Store, snapshot, code: str) -> None:
    """For a request that found area ``code``'s profile missing: have it built once (a Celery task
    with Redis, a thread of this process without). Never builds in the calling thread."""
    variant = pack_variant(snapshot)
    step = profile_step(store, snapshot.id, code, variant)
    url = _redis_url()
    if not url:
        _build_in_thread(store, snapshot.id, step)
        return
    root = _where(store)
    if _redis(url).set(_known_key(root, f"{snapshot.id}:{step.name}"), "queued", nx=True, ex=600):
        celery_app(url).send_task(PROFILE_TASK, args=[root, snapshot.id, code, variant])


# ---- the hooks ------------------------------------------------------------------------------


def after_publish(store: Store | str | Path, snapshot_id: str) -> None:
    """Called when ``snapshot_id`` has become live (publish, activate, rollback): with Redis,
    enqueue its job; without, run it here and now (packs already kept are skipped)."""
    store = _store(store)
    if _redis_url():
        try:
            enqueue(store, snapshot_id)
        except Exception as exc:  # noqa: BLE001 (Redis down: the publish stands; /pack queues it later)
            log.warning("snapshot %s is live, but its packs could not be queued (%s); they are queued when "
                        "first asked for", snapshot_id, exc)
        return
    try:
        prepare(store, snapshot_id)
    except Exception as exc:  # the snapshot is live whatever happens to its packs
        log.warning("snapshot %s is live, but its packs could not all be built now (%s); "
                    "they are built when first asked for", snapshot_id, exc)


def ensure_prepared(store: Store, snapshot_id: str, name: str) -> Progress:
    """For a request that found artifact ``name`` missing: start the snapshot's job if none is
    known (once), and say how far it is. Never builds anything in the calling thread."""
    if _redis_url():
        try:
            enqueue(store, snapshot_id, first=name)
        except Exception as exc:  # noqa: BLE001 (redis-py raises several types; the page says to try again)
            log.warning("snapshot %s: could not queue its packs: %s", snapshot_id, exc)
            return Progress("failed", error="the job queue did not answer")
        return Progress.read(store, snapshot_id) or Progress("queued")
    step = next((s for s in steps(store, snapshot_id) if s.name == name), None)
    if step is not None:
        _build_in_thread(store, snapshot_id, step)
    progress = Progress.read(store, snapshot_id)
    return progress if progress is not None and progress.state == "running" else Progress("running", 0, 1, name)


def pack_status(store: Store, snapshot, division: str) -> tuple[bool, Progress | None]:
    """(whether the pack a reader of ``snapshot`` gets for ``division`` is kept, the job's progress)."""
    name = pack_name(division, pack_variant(snapshot))
    if store.read_artifact(snapshot.id, name) is not None:
        return True, None
    progress = Progress.read(store, snapshot.id)
    if progress is not None and progress.state in ("queued", "running"):
        return False, progress
    thread = _threads.get((_where(store), snapshot.id, name))
    return False, Progress("running", 0, 1, name) if thread is not None and thread.is_alive() else progress


def pack_variant(snapshot) -> str | None:
    """The variant whose pack a reader of ``snapshot`` gets: its own where the snapshot has
    tables for it (the panel's), else the published one (the same figures)."""
    variant = getattr(snapshot, "variant", None)
    return variant if variant and snapshot.manifest.get("variant_tables", {}).get(variant) else None


# The worker's app: `celery -A dashboard.jobs worker` (DASHBOARD_REDIS_URL must be set).
app = celery_app(_redis_url() or "redis://127.0.0.1:6379/0")

