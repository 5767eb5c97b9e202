"""The commander's worklist: the division's areas that changed significantly, are off target (or
cannot be told from it), changed resource level, differ from the force's own matrix or from the
force, each with its reasons in words, its figures and a link to the area's profile
(``dashboard.views.worklist``). Follows the page-wide division control; downloadable."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from ..components.downloads import table_downloads
from ..components.glossary import terms_line
from ..components.state import checked, known
from ..data.store import per_snapshot, snapshot_at
from ..views.select import ALL_DIVISIONS, significance_policy
from ..views.words import WORKLIST_GROUP, WORKLIST_NOTHING, ci
from ..views.worklist import Worklist, worklist, worklist_export
from .common import DIVISION, division_label, live, page

LIST = "worklist-list"
SUMMARY = "worklist-summary"
READY = "worklist-ready"


@per_snapshot(maxsize=16)
def _cached(snapshot_key: str, variant: str | None, division: str) -> Worklist:
    """A division's worklist, worked out once per snapshot (snapshots never change)."""
    from ..live import snapshot_config

    snapshot = snapshot_at(snapshot_key, variant)
    return worklist(snapshot, snapshot_config(snapshot), division)


def _body(snapshot, config):
    policy = significance_policy(snapshot)
    return html.Div([
        dcc.Store(id=READY, data=True),
        html.P("Areas to look at before the meeting: those whose change since an earlier period or whose difference "
               "from the force is flagged under the published rule, those off target or that cannot be told from "
               "it, and those whose resource level changed or differs from the force's own matrix. Worst first; "
               "each area's reasons together.", className="mb-1"),
        html.P(f"{policy.change_text} {policy.area_text}", className="small text-body-secondary mb-0"),
        terms_line("significance", "fdr", "change", "target", "resource-level", "interval", "base"),
        html.Div([worklist_buttons()], className="mb-2"),
        html.Div(id=SUMMARY, role="status", **{"aria-live": "polite"}),
        html.Div(id=LIST),
    ])


def layout(**_query):
    return page("Commander's worklist", _body)


def _geography_cell(level, code, name, span):
    if level == "area":
        content = [dcc.Link(name, href=f"/area/{code}"), html.Span(f" ({code})", className="text-body-secondary")]
    else:
        content = [html.Strong(name), html.Span(" (the division's own figures)", className="small d-block")]
    return html.Th(content, scope="rowgroup" if span > 1 else "row", rowSpan=span)


def _group_table(geos, confidence):
    rows = []
    for level, code, name, reasons in geos:
        for k, r in enumerate(reasons):
            cells = [_geography_cell(level, code, name, len(reasons))] if k == 0 else []
            cells += [html.Td([html.Strong(WORKLIST_GROUP[(r["kind"], r["verdict"])] + ": "), r["reason"]]),
                      html.Td(r["figures"], className="small")]
            rows.append(html.Tr(cells, **{"data-kind": r["kind"], "data-verdict": r["verdict"],
                                          "data-geography": code}))
    return html.Div(html.Table([
        html.Thead(html.Tr([html.Th("Area", scope="col"), html.Th("Why it is on the list", scope="col"),
                            html.Th(f"Figures ({ci(confidence)}, base)", scope="col")])),
        html.Tbody(rows)], className="table table-sm worklist-table"), "Worklist")


def worklist_view(wl: Worklist, config, confidence: float):
    """(summary, list) of the page for a worklist."""
    notes = [html.P(text, className="alert alert-info py-2 small", role="note") for text in wl.cannot]
    if wl.rows.empty:
        empty = [] if wl.period is None else [html.P(WORKLIST_NOTHING)]
        return html.Div(notes), html.Div(empty)
    where = division_label(config, wl.division)
    summary = html.P(
        f"{where[:1].upper() + where[1:]}, {wl.period or 'latest period'}: {wl.areas():,} areas listed, "
        f"{len(wl.rows):,} reasons. Areas by reason: "
        + ", ".join(f"{n} {WORKLIST_GROUP[k].lower()}" for k, n in _group_counts(wl).items()) + ".",
        className="fw-semibold")
    sections = []
    for (_dcode, dname), geos in wl.groups():
        part = [_group_table(geos, confidence)]
        if wl.division == ALL_DIVISIONS:
            areas = sum(1 for g in geos if g[0] == "area")
            part.insert(0, html.H2(f"{dname}: {areas} area{'s' if areas != 1 else ''}", className="h5 mt-3"))
        sections.append(html.Section(part))
    return html.Div([summary, *notes]), html.Div(sections)


def _group_counts(wl: Worklist) -> dict:
    areas = wl.rows[wl.rows["level"] == "area"]
    out = {}
    for key in WORKLIST_GROUP:
        n = areas.loc[(areas["kind"] == key[0]) & (areas["verdict"] == key[1]), "geography_code"].nunique()
        if n:
            out[key] = int(n)
    return out


@callback(Output(SUMMARY, "children"), Output(LIST, "children"), Input(DIVISION, "value"), Input(READY, "data"))
def update(division, _ready):
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    wl = _cached(snapshot.key, snapshot.variant, division)
    return worklist_view(wl, config, significance_policy(snapshot).confidence)


def _export(division):
    """The worklist rebuilt on the server from the validated division (never from the page)."""
    snapshot, config = live()
    division = known(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    wl = _cached(snapshot.key, snapshot.variant, division)
    return worklist_export(wl, config), f"worklist-{division}"


worklist_buttons = table_downloads("worklist", _export, [State(DIVISION, "value")], what="worklist")


dash.register_page(__name__, path="/worklist", name="Worklist", title="Commander's worklist", order=0.5,
                   nav="Worklist", layout=layout)
