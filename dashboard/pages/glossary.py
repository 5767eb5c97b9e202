"""Glossary: the terms of the pages in plain English, for the police authority's panel and anyone
new to the figures. The words are dashboard.views.glossary's; this page only lays them out, with
this force's thresholds where an entry depends on them."""

from __future__ import annotations

import dash
from dash import html

from ..components.glossary import KEEP_STATE
from ..views.glossary import ENTRIES, force_detail
from .common import page


def _body(_snapshot, config):
    items = []
    for e in ENTRIES:
        detail = force_detail(e.key, config)
        items += [html.Dt(e.term, id=e.key, className="mt-3"),
                  html.Dd([html.P(e.text, className="mb-1")]
                          + ([html.P(detail, className="mb-1 small")] if detail else [])
                          + ([html.P("Also written: " + ", ".join(e.also) + ".",
                                     className="mb-0 small text-body-secondary")] if e.also else []))]
    return html.Div([
        html.P(["What the words on these pages mean. Each indicator's own definition, survey question and "
                "method are on the ", html.A("Data and definitions", href="/data#definitions", **KEEP_STATE),
                " page."], className="mb-2"),
        html.Dl(items, className="glossary", style={"maxWidth": "48rem"}),
    ])


def layout(**_query):
    return page("Glossary", _body)


dash.register_page(__name__, path="/glossary", name="Glossary", title="Glossary", order=7, nav="Glossary",
                   layout=layout)
