"""Force overview: the meeting board (a row per headline indicator: the latest value with its
interval and base, then target, MSF, last period, baseline and HMIC outcome, each a shape, a
word and a colour of one key, readable on a projector; the sentences behind them one click away)
and the tartan rug of indicators by division or by area."""

from __future__ import annotations

import dash
from dash import Input, Output, State, callback, dcc, html

from .. import periods
from ..components.banner import absent
from ..components.downloads import table_downloads
from ..components.estimate_table import estimate_table
from ..components.glossary import term, terms_line
from ..components.rug import rug_section
from ..components.scroll import scroll_box
from ..components.state import checked
from ..views.board import BoardRow, Cell, Column, arrows_sentence, board_columns, board_rows, key_entries
from ..views.choices import crime_summary, has_survey_results
from ..views.exports import estimates_export, geography_names
from ..views.headline import overall_outcome
from ..views.overview import overview_frame
from ..views.select import ALL_DIVISIONS, latest_period, significance_policy
from ..views.words import NO_SURVEY_RESULTS, interval, level_name
from .common import DIVISION, division_label, info_link, live, page

BOARD = "overview-board"
BOARD_TABLE = "meeting-board"
BOARD_KEY = "meeting-board-key"
BOARD_DETAILS = "meeting-board-details"
OVERVIEW_TABLE = "overview-table"
READY = "overview-ready"  # an input inside the page, so its callbacks run when the page is rendered


def _body(snapshot, config):
    crime = _crime_section(snapshot, config)
    if not has_survey_results(snapshot):
        return html.Div([absent(NO_SURVEY_RESULTS), crime])
    return html.Div([
        dcc.Store(id=READY, data=True),
        html.Div(id=BOARD),
        rug_section(snapshot, config),
        html.Div([html.H2("Every indicator, latest period", className="h4 mt-4 me-3 d-inline-block"),
                  table_buttons()]),
        html.Div(id="overview-table-holder", children=estimate_table(
            overview_frame(snapshot.table("estimates"), config), config, table_id=OVERVIEW_TABLE,
            confidence=significance_policy(snapshot).confidence)),
        crime,
    ])


def _crime_section(snapshot, config):
    """Recorded crime for the force and each division, latest period; nothing without crime data."""
    rows = crime_summary(snapshot, config)
    if rows is None:
        return html.Div()
    first = rows.iloc[0]
    left_out = rows[rows["level"] == "force"]["areas_left_out"].max()
    return html.Div([
        html.H2(f"Recorded crime, {periods.period_phrase(config, first.period)}", className="h4 mt-4"),
        html.P("police.uk crime per 1,000 residents"
               + (f" ({first.window})" if int(first.months) > 1 else "")
               + f", with its exact Poisson {interval(config.policy.confidence)}; "
               "rates are not tested against each other or the force."
               + (f" {int(left_out)} areas have no known population: their crimes and residents are left out of "
                  "every rate." if left_out else ""), className="small"),
        scroll_box(html.Table([
            html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                ("Geography", "Measure", "Crimes", "Residents",
                                 f"Rate per 1,000 ({interval(config.policy.confidence)})")])),
            html.Tbody([html.Tr([html.Td(r.geography), html.Td(r.measure_name), html.Td(f"{int(r['count']):,}"),
                                 html.Td(f"{int(r.population):,}" if r.population == r.population else "not known"),
                                 html.Td(f"{r.rate:.2f} ({r.lower:.2f}–{r.upper:.2f})" if r.rate == r.rate
                                         else "not calculated")])
                        for _, r in rows.iterrows()])], className="table table-sm w-auto", id="overview-crime"),
            "Recorded crime"),
    ])


def _level(config, level: str) -> str:
    return level_name(config, level).capitalize()


def layout(**_query):
    return page("Force overview", _body)


def _cell(cell: Cell, column: str, indicator: str):
    """A board cell: the key's shape (hidden from screen readers: the word says it), the word, and
    the short second line; filled with the key's colour (inline: 42 cells, from words.py)."""
    style = {"backgroundColor": cell.fill, "color": cell.text_colour} if cell.state else {}
    word_class = "board-figure" if cell.state is None and column == "value" else "board-word"
    return html.Td([
        html.Span(cell.glyph, className="board-glyph", **{"aria-hidden": "true"}) if cell.glyph else None,
        html.Span(cell.word, className=word_class),
        html.Span(cell.note, className="board-note") if cell.note else None,
    ], style=style, **{"data-state": cell.state or "figure", "data-column": column, "data-indicator": indicator})


def _row(row: BoardRow, columns: list[Column]):
    return html.Tr([html.Th([html.Span(row.short_name, className="board-short"),
                             html.Span(row.name, className="board-name"),
                             html.Span(row.where, className="board-where") if row.where else None],
                            scope="row", **{"data-indicator": row.indicator_id})]
                   + [_cell(row.cells[c.key], c.key, row.indicator_id) for c in columns])


# The glossary entry that explains each board column (its sub-heading links there).
COLUMN_TERM = {"value": "interval", "target": "target", "msf": "msf", "previous": "change", "baseline": "change",
               "outcome": "hmic-outcome"}


def _board_table(rows: list[BoardRow], columns: list[Column], caption: str):
    head = html.Tr([html.Th("Indicator", scope="col")]
                   + [html.Th([html.Span(c.header, className="d-block"),
                               html.Span(term(COLUMN_TERM[c.key], c.subheader) if c.key in COLUMN_TERM
                                         else c.subheader, className="board-sub")], scope="col")
                      for c in columns])
    return html.Div(html.Table([html.Caption(caption), html.Thead(head), html.Tbody([_row(r, columns) for r in rows])],
                               id=BOARD_TABLE, className="board"),
                    className="board-scroll", tabIndex="0", role="region", **{"aria-labelledby": f"{BOARD_TABLE}-cap"})


def _key():
    """The one key of the board's cells: each state's swatch (shape, word, colour) and meaning."""
    items = [html.Li([html.Span([html.Span(glyph, className="board-glyph", **{"aria-hidden": "true"}), f" {word}"],
                                className="board-swatch", style={"backgroundColor": Cell(state, word).fill,
                                                                 "color": Cell(state, word).text_colour},
                                **{"data-state": state}),
                      html.Span(f" {meaning}")], className="board-key-item")
             for state, glyph, word, meaning in key_entries()]
    return html.Div([html.H2("Key", className="h5 mb-1"), html.Ul(items, className="list-unstyled mb-1"),
                     html.P(arrows_sentence(), className="mb-0")], id=BOARD_KEY, className="board-key")


def _details(rows: list[BoardRow]):
    """The sentences behind every cell, one click (or Enter on the summary) away."""
    return html.Details([
        html.Summary("Details: every comparison in words, with its interval"),
        html.Div([html.Div([html.H3([f"{r.short_name}: {r.name}", info_link(r.indicator_id)], className="h6 mb-1"),
                            html.Ul([html.Li(line) for line in r.details], className="mb-2")])
                  for r in rows], className="pt-2"),
    ], id=BOARD_DETAILS, className="board-details")


@callback(Output(BOARD, "children"), Input(DIVISION, "value"), Input(READY, "data"))
def board(division, _ready=True):
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    period = latest_period(snapshot.table("estimates"))
    policy = significance_policy(snapshot)
    rows = board_rows(snapshot, config, division, period)
    columns = board_columns(snapshot, config, period)
    caption = html.Span(f"Headline indicators: {division_label(config, division)}, "
                        f"{periods.period_phrase(config, period)}", id=f"{BOARD_TABLE}-cap")
    table = _board_table(rows, columns, caption)
    overall = overall_outcome(snapshot)
    note = html.P([f"{policy.force_text} ",
                   html.Strong(f"Overall indicative outcome (force): {overall.verdict} ({overall.reasons}). ")
                   if overall is not None else "",
                   "Indicative: the statistical part of HMIC's assessment only."
                   if any(i.assessed for i in config.indicators) else ""], className="small mt-2")
    terms = terms_line("significance", "fdr", "interval", "base", "small-base", "suppression", "msf", "target",
                       "p-meets", "hmic-outcome")
    return [table, html.Div([_key(), _details(rows)], className="board-below"), note, terms]


def _table_export(_division):
    """Every indicator for the force and each division in the latest period, as on the page."""
    snapshot, config = live()
    frame = overview_frame(snapshot.table("estimates"), config)
    period = frame["period"].iat[0] if len(frame) else "none"
    return (estimates_export(frame, config, geography_names(snapshot, config), significance_policy(snapshot)),
            f"indicators-{period.replace('/', '-')}-force-and-divisions")


table_buttons = table_downloads("overview", _table_export, [State(DIVISION, "value")], what="indicator table")


dash.register_page(__name__, path="/", name="Force overview", title="Force overview", order=0, nav="Overview",
                   layout=layout)
