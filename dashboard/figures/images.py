"""Figures as PNG, SVG or PDF through kaleido and the system's Chromium, offline.

Geo maps need plotly's topojson: it is pointed at the project's local stub, so nothing is
fetched; MathJax is off. Each export runs under a timeout, because a browser that failed to
start can leave the next call hanging.
"""

from __future__ import annotations

import threading
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

TOPOJSON = Path(__file__).resolve().parent.parent.parent / "assets" / "topojson"
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
# One export at a time per process: each drives a headless Chromium, which is heavy.
_one_at_a_time = threading.Lock()


class ImageExportError(RuntimeError):
    pass


def figure_image(fig: go.Figure, fmt: str, width: int = 1200, height: int = 800, timeout: float = 60.0) -> bytes:
    """The figure as image bytes; raises ImageExportError (with the reason) on failure or timeout.

    Each export runs in its own daemon thread, so one that hangs is abandoned after ``timeout``
    without blocking the next (a shared worker thread, once stuck, would block every later one).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    pio.defaults.topojson = TOPOJSON.as_uri() + "/"
    pio.defaults.mathjax = None
    if not _one_at_a_time.acquire(timeout=timeout):
        raise ImageExportError(f"another export is still running after {timeout:g} s; try again")
    try:
        outcome: dict = {}

        def work():
            try:
                outcome["image"] = fig.to_image(format=fmt, width=width, height=height)
            except Exception as exc:  # kaleido reports browser problems with several exception types
                outcome["error"] = exc

        worker = threading.Thread(target=work, name=f"kaleido-{fmt}", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise ImageExportError(f"the {fmt.upper()} export did not finish within {timeout:g} s")
        if "error" in outcome:
            raise ImageExportError(f"the {fmt.upper()} export failed: {outcome['error']}") from outcome["error"]
        return outcome["image"]
    finally:
        _one_at_a_time.release()
