"""Data and definitions: the live snapshot, its inputs, bases and suppression, the last
rejection report, and every indicator's definition, source question, polarity and method."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import html
from flask import current_app

from .. import periods
from ..access import may_see_ingest_reports
from ..components.banner import absent
from ..components.downloads import table_downloads
from ..components.glossary import term, terms_line
from ..components.scroll import scroll_box
from ..data.store import Store
from ..views.exports import definitions_export
from ..views.select import optional_table, significance_policy
from ..views.words import (
    NO_INDICATORS,
    NO_SURVEY_RESULTS,
    difference_method,
    estimate_method,
    polarity_words,
    small_base_note,
)
from .common import live, page

SMALL_BASE_NOTE = "data-small-base-note"


def _body(snapshot, config):
    m = snapshot.manifest
    est = optional_table(snapshot, "estimates")
    inputs = html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in ("File", "What", "Bytes", "SHA-256")])),
                         html.Tbody([html.Tr([html.Td(_shown(i["file"])), html.Td(i.get("kind", "")),
                                              html.Td(f"{i['bytes']:,}"),
                                              html.Td(html.Code(i["sha256"][:16] + "…", title=i["sha256"]))])
                                     for i in m["inputs"]])],
                        className="table table-sm")
    supp = absent(NO_SURVEY_RESULTS) if est is None else _suppression_table(est)
    rejection = _last_rejection()
    policy = significance_policy(snapshot)
    defs = [_definition(ind, config, policy) for ind in config.indicators] or [absent(NO_INDICATORS)]
    return html.Div([
        html.H2("Live snapshot", className="h4"),
        html.P(f"Snapshot {m['snapshot_id']}, published {m['created']} by {m['software']} from "
               f"the source folder {Path(m['source_dir']).name!r} "
               f"(configuration {Path(m['config_file']).name}); {m['warnings']} warning(s) at ingest"
               + ("; synthetic demonstration data." if m.get("synthetic") else ".")),
        html.P(periods.describe(config)),
        scroll_box(inputs, "Input files"),
        html.H2("Bases and suppression", className="h4 mt-3"),
        html.P([f"Estimates on fewer than {config.suppression_threshold} respondents are ",
                term("suppression", "withheld"), " everywhere, exports included. ", small_base_note(config), " ",
                term("small-base", "What the small-base flag means"), "."], id=SMALL_BASE_NOTE),
        supp,
        html.H2("Last rejected ingest", className="h4 mt-3"), rejection,
        html.H2(["What is marked ", term("significance", "significant")], className="h4 mt-3"),
        terms_line("interval", "fdr", "control-limits", "shrunken", "msf", "target", "p-meets", "hmic-outcome"),
        html.P([html.Strong(f"Areas ({policy.label}): "), policy.area_text]),
        html.P([html.Strong("Area changes: "), policy.change_text]),
        html.P(policy.force_text),
        html.Div([html.H2("Definitions", className="h4 mt-3 me-3 d-inline-block", id="definitions"),
                  definitions_buttons()]),
        *defs,
    ])


def _suppression_table(est):
    by_level = est.groupby("level").agg(cells=("value", "size"), suppressed=("suppressed", "sum")).reset_index()
    return html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Level", "Estimates", "Suppressed")])),
                       html.Tbody([html.Tr([html.Td(r.level), html.Td(f"{r.cells:,}"),
                                            html.Td(f"{int(r.suppressed):,}")])
                                   for r in by_level.itertuples()])], className="table table-sm w-auto")


def _definition(ind, config, policy):
    """One indicator's definition, source question, polarity, target and method."""
    how = {"proportion": lambda i: _question_text(i, config),
           "strand_score": lambda i: f"{len(i.strands)} strands ({', '.join(i.strands)}), high when the score is "
                                     f"{i.high_threshold} or more.",
           "gap": lambda i: f"{i.groups[0]} minus {i.groups[1]} of {i.of}, percentage points."}[ind.kind](ind)
    return html.Div([
        html.H3(f"{ind.short_name}: {ind.name}", className="h6", id=f"def-{ind.id}"),
        html.P(ind.definition, className="mb-1"),
        html.P([html.Strong("Source: "), config.surveys[ind.survey].name, ". ", how, " ",
                html.Strong("Polarity: "), polarity_words(ind.polarity), ". ",
                (f"Target {ind.target.value:g}% in {ind.target.period}. " if ind.target else
                 "Monitored without a target. " if ind.monitored_only else ""),
                html.Strong("Method: "), estimate_method(policy.confidence)
                + (f", design effect {config.surveys[ind.survey].design_effect:g}"
                   if (config.surveys[ind.survey].design_effect or 1) > 1 else "")
                + f"; changes and gaps: {difference_method(policy.confidence)}."], className="small"),
    ], className="mb-3")


def _question_text(ind, config) -> str:
    """The question and its positive answers; for a survey given only as tables, the codes."""
    if ind.question not in config.questions:
        return f"Question {ind.question}: answers {', '.join(map(str, ind.positive))} count as positive."
    codes = config.allowed_codes(ind.question)
    return (f"Question {ind.question}: {config.questions[ind.question].text} Positive answers: "
            + ", ".join(codes.get(c, str(c)) for c in ind.positive) + ".")


def _shown(file: str) -> str:
    """An input file as the page shows it: relative to the source folder, never the server's path
    (a snapshot published by an older version may record an absolute path: its name only)."""
    path = Path(file)
    return path.name if path.is_absolute() or ".." in path.parts else file


def _last_rejection():
    """The last rejected ingest's report, for analysts only: it quotes input values (with real
    survey files, respondents' answers) and the server's paths (dashboard/access.py)."""
    if not may_see_ingest_reports():
        return html.P("Ingest reports are shown to analysts only.")
    report = Store(current_app.config["DASHBOARD_STORE"]).read_text("reports/last-rejection.txt")
    if report is None:
        return html.P("No ingest has been rejected for this store.")
    return html.Pre(report[:20_000], className="small border p-2",
                    style={"maxHeight": "20rem", "overflow": "auto"})


def layout(**_query):
    return page("Data and definitions", _body)


def _definitions_export():
    snapshot, config = live()
    return definitions_export(config, significance_policy(snapshot)), f"definitions-{config.force_code}"


definitions_buttons = table_downloads("definitions", _definitions_export, [], what="indicator definitions")


dash.register_page(__name__, path="/data", name="Data and definitions", title="Data and definitions", order=5,
                   nav="Data and definitions", layout=layout)
