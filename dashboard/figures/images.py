"""Figures as PNG, SVG or PDF through kaleido and the system's Chromium, offline.

Geo maps need plotly's topojson: it is pointed at the project's local stub, so nothing is
fetched; MathJax is off. Each export runs under a timeout, because a browser that failed to
start can leave the next call hanging.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

TOPOJSON = Path(__file__).resolve().parent.parent.parent / "assets" / "topojson"
FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)


class ImageExportError(RuntimeError):
    pass


def figure_image(fig: go.Figure, fmt: str, width: int = 1200, height: int = 800, timeout: float = 60.0) -> bytes:
    """The figure as image bytes; raises ImageExportError (with the reason) on failure or timeout."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    pio.defaults.topojson = TOPOJSON.as_uri() + "/"
    pio.defaults.mathjax = None
    future = _pool.submit(fig.to_image, format=fmt, width=width, height=height)
    try:
        return future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise ImageExportError(f"the {fmt.upper()} export did not finish within {timeout:g} s") from None
    except Exception as exc:  # kaleido reports browser problems with several exception types
        raise ImageExportError(f"the {fmt.upper()} export failed: {exc}") from exc
