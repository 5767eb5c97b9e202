"""An accessible table of estimates: indicators down, geographies across.

Every number carries its interval and base; suppressed cells say why; small bases are marked.
"""

from __future__ import annotations

import pandas as pd
from dash import html

from ..views.words import base_text, ci, estimate_method, small_base_note
from .glossary import terms_line
from .scroll import scroll_box


def _cell(row, confidence: float) -> html.Td:
    if row is None:
        return html.Td("not collected at this level", className="text-body-secondary small")
    if row.suppressed:
        return html.Td([html.Span("suppressed", className="fw-semibold"), html.Br(),
                        html.Span(row.suppression_reason, className="small")])
    return html.Td([
        html.Span(f"{row.value:.1f}%", className="fs-5 fw-semibold"),
        html.Br(),
        html.Span(f"{ci(confidence)} {row.lower_95:.1f}–{row.upper_95:.1f}", className="small text-nowrap"),
        html.Br(),
        html.Span(f"n = {base_text(row.base, row.small_base)}", className="small text-body-secondary"),
    ], **{"data-indicator": row.indicator, "data-geography": row.geography_code})


def estimate_table(frame: pd.DataFrame, config, table_id: str, confidence: float) -> html.Div:
    geographies = [(config.force_code, config.force_short_name or config.force_name)]
    geographies += [(d.code, d.name) for d in config.divisions]
    by_key = {(r.indicator, r.geography_code): r for r in frame.itertuples(index=False)}
    head = html.Thead(html.Tr([html.Th("Indicator", scope="col")]
                              + [html.Th(name, scope="col") for _, name in geographies]))
    rows = []
    for ind in config.indicators:
        if not any((ind.id, code) in by_key for code, _ in geographies):
            continue
        label = [html.Span(ind.short_name, className="fw-semibold"), html.Br(),
                 html.Span(ind.name, className="small"), html.Br(),
                 html.Span(config.surveys[ind.survey].name, className="small text-body-secondary")]
        rows.append(html.Tr([html.Th(label, scope="row")]
                            + [_cell(by_key.get((ind.id, code)), confidence) for code, _ in geographies]))
    notes = html.P([
        f"Intervals: {estimate_method(confidence)}. ",
        f"Estimates on fewer than {config.suppression_threshold} respondents are suppressed; ",
        small_base_note(config),
    ], className="small text-body-secondary mb-0")
    return html.Div([
        scroll_box(html.Table([head, html.Tbody(rows)], id=table_id,
                              className="table table-sm table-bordered align-top"), "Every indicator, latest period"),
        notes,
        terms_line("interval", "base", "small-base", "suppression"),
    ])
