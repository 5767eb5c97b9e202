"""Shared look and small helpers for figures (no Dash imports)."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Every figure starts from plotly_white. Set as the default once: naming a template on each
# figure makes plotly validate the whole template again (about 15 ms a figure).
pio.templates.default = "plotly_white"

# Paul Tol's colour-blind-safe palettes (https://personal.sron.nl/~pault/); the flag colours,
# words and shapes are in .words.
# An area drawn without a value (suppressed, or no population for a rate): a neutral grey.
NO_VALUE = "#BDBDBD"
SEQUENTIAL = ["#FFFFE5", "#FFF7BC", "#FEE391", "#FEC44F", "#FB9A29", "#EC7014", "#CC4C02", "#993404", "#662506"]
FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif", size=13)


def base_layout(fig: go.Figure, title: str | None = None, height: int | None = None) -> go.Figure:
    fig.update_layout(font=FONT, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      title=dict(text=title, x=0, font=dict(size=15)) if title else None, height=height)
    return fig
