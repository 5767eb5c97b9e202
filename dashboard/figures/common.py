"""Shared look and small helpers for figures (no Dash imports).

Every chart fits its box at any width from a phone (390 px) to a projector: the title (which
states the finding, where there is one) and its "Source: …" line sit below the chart toolbar and
wrap onto short lines; legends go below the plot, where they never meet the toolbar.
"""

from __future__ import annotations

import textwrap

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
TITLE_SIZE, SOURCE_SIZE = 15, 11
# The chart toolbar (modebar) sits in the top 30 px of the figure: nothing is drawn there.
TOOLBAR = 30
# Characters a line of title / source text may hold so that it fits a 390 px phone screen.
TITLE_CHARS, SOURCE_CHARS, LEGEND_CHARS = 38, 46, 34


def wrap(text: str, width: int) -> str:
    """Text broken onto lines of at most ``width`` characters with <br> (plotly does not wrap);
    line breaks already in the text are kept."""
    lines = []
    for part in text.split("<br>"):
        lines += textwrap.wrap(part, width, break_long_words=False) or [""]
    return "<br>".join(lines)


def lines(text: str | None) -> int:
    return 0 if not text else text.count("<br>") + 1


def axis_title(text: str, width: int = 28) -> str:
    """An axis title wrapped to fit a phone (the explanation belongs in the legend or caption)."""
    return wrap(text, width)


def base_layout(fig: go.Figure, title: str | None = None, height: int | None = None, source: str | None = None,
                legend: str = "below", bottom: int = 10, top: int = 0) -> go.Figure:
    """Font, margins and title: ``title`` and ``source`` (the chart's "Source: …" line, drawn in
    small grey type under the title) wrapped to fit a phone; the legend "below" the plot (at the
    figure's foot) or "above" it (under the title: for tall charts shown in a scrolling box).
    ``bottom`` is the room kept under the plot, ``top`` more room above it (for panel titles)."""
    for trace in fig.data:  # a legend entry wider than a phone's chart goes onto two lines
        if isinstance(trace.name, str) and len(trace.name) > LEGEND_CHARS and "<br>" not in trace.name:
            trace.name = wrap(trace.name, LEGEND_CHARS)
    title_text = wrap(title, TITLE_CHARS) if title else None
    source_text = wrap(source, SOURCE_CHARS) if source else None
    head = 20 * lines(title_text) + 15 * lines(source_text)
    top = TOOLBAR + (head + 30 if head else 0) + top
    layout = dict(font=FONT, margin=dict(l=10, r=10, t=top, b=bottom), height=None if height is None else height + head)
    if title_text or source_text:
        # Below the toolbar: plotly ignores the title's top padding when it has a subtitle, so the
        # title is placed by its y, TOOLBAR px down the figure (whose height is known) and 16 px more
        # (plotly's "top" anchor sits about one line's ascent above the first line).
        total = layout["height"]
        layout["title"] = dict(text=title_text or "", x=0, xref="container", xanchor="left",
                               y=1 - (TOOLBAR + 16) / total if total else 1, yref="container", yanchor="top",
                               pad=dict(t=0 if total else TOOLBAR, l=10), font=dict(size=TITLE_SIZE),
                               automargin=False)
        source_font = dict(size=SOURCE_SIZE, color="#555555")
        if source_text and title_text:
            layout["title"]["subtitle"] = dict(text=source_text, font=source_font)
        elif source_text:  # a subtitle under an empty title is drawn at the top, under the toolbar
            layout["title"].update(text=source_text, font=source_font)
    else:
        layout["title"] = None
    if legend == "above":
        # Under the title, in room kept for one entry a line (what a phone shows): plotly would
        # otherwise draw it up over the title.
        entries = sum(1 for t in fig.data if t.showlegend is not False and t.name)
        total = layout["height"] + 20 * entries + 6 if layout["height"] else None
        layout["legend"] = dict(orientation="h", x=0, xanchor="left", y=1 - top / total if total else 1,
                                yanchor="top", yref="container")
        layout["margin"]["t"] = top + 20 * entries + 6
        layout["height"] = total
        if total and layout.get("title"):
            layout["title"]["y"] = 1 - (TOOLBAR + 16) / total
    elif legend == "below":
        # Anchored to the figure's foot (not the plot's): plotly then widens the bottom margin to
        # hold it, below the axis title, however many rows it wraps onto.
        layout["legend"] = dict(orientation="h", x=0, xanchor="left", y=0, yanchor="bottom", yref="container")
    fig.update_layout(**layout)
    return fig
