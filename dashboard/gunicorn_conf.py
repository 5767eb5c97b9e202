"""gunicorn settings: ``gunicorn -c dashboard/gunicorn_conf.py dashboard.app:server``.

Every value can be overridden from the environment (``BIND``, ``PORT``, ``WEB_CONCURRENCY``,
``GUNICORN_THREADS``, ``GUNICORN_TIMEOUT``, ``LOG_LEVEL``; docs/configuration.md) or the command
line. It binds to loopback unless told otherwise: a police network reaches it through the proxy
in front (gunicorn's own docs require a buffering proxy), never directly.
"""

import multiprocessing
import os
import sys

from dashboard.access import AccessConfigError, AccessSettings

try:  # the sign-in settings, checked before the app is imported: one line, not a traceback
    AccessSettings.from_env()
except AccessConfigError as exc:
    sys.exit(f"dashboard: {exc}")

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Two workers per core plus one, the gunicorn rule of thumb for mixed CPU / I/O work, capped so
# a large machine does not hold a copy of the snapshot's tables per worker without need.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
preload_app = True  # import Dash and the pages once, then fork: faster start, shared memory
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then; jitter so they do not all restart together
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
control_socket_disable = True  # gunicorn 27: no control socket (two instances would fight over it)


def on_starting(server):
    """Refuse to start without sign-in on an address other than loopback (dashboard/access.py):
    checked here, on the final bind list, so a ``--bind`` on the command line is checked too."""
    import sys

    from dashboard.access import AccessConfigError, AccessSettings, check_bind

    try:
        check_bind(list(server.cfg.bind), AccessSettings.from_env())
    except AccessConfigError as exc:
        print(f"dashboard: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
