"""A map's keyboard and screen-reader equivalent: the map as a figure whose caption names what it
shows ("Map of SPI 1e by area, 2007/08, the whole force: 12 better, 120 similar, 13 worse than the
force"), and a collapsible "Table of this map" with every area drawn, a link to its profile, and
the map's figures (value, interval, base with the small-base flag, published verdict)."""

from __future__ import annotations

from collections.abc import Iterable

from dash import html

from ..views.words import FLAG_WORD, KEY_GLYPH, base_text, vs_force_phrase
from . import markup
from .scroll import scroll_box

FLAG_ORDER = ("better", "similar", "worse", "not tested", "suppressed")


def described_map(graph, caption_id: str, table_id: str, what: str = "Table of this map") -> html.Div:
    """``graph`` inside a <figure> named by its caption, then the table (filled by a callback
    into ``table_id``) in a disclosure that Tab reaches and Enter opens."""
    return html.Div([
        html.Figure([graph, html.Figcaption(id=caption_id, className="small mt-1")],
                    className="mb-1", **{"aria-labelledby": caption_id}),
        html.Details([html.Summary(what, className="small fw-semibold"),
                      scroll_box(None, what, box_id=table_id, max_height="30rem")],
                     className="mb-2 d-print-none"),
    ])


def flag_counts(flags: Iterable[str]) -> str:
    """'12 better, 120 similar, 13 worse (compared with the force); 2 withheld' (the flags that occur)."""
    flags = list(flags)

    def said(which):
        return [f"{flags.count(f)} {FLAG_WORD[f].lower()}" for f in which if flags.count(f)]

    tested, other = said(("better", "similar", "worse")), said(("not tested", "suppressed"))
    text = ", ".join(tested) + (" (compared with the force)" if tested else "")
    return "; ".join(t for t in (text, ", ".join(other)) if t) or "no areas"


def map_name(what: str, period: str, place: str, counts: str) -> str:
    """The map's accessible name and caption."""
    return f"Map of {what} by area, {period}, {place}: {counts}."


def estimate_rows_table(values, unit: str, interval_name: str, caption: str):
    """The areas of a value map (``views.select.area_values`` or ``crime_area_values``)."""
    head = ["Area", "Division", f"Value{'' if unit == '%' else ' ' + unit.strip()}", interval_name,
            "Base", "Compared with the force", "Resource level"]
    rows = []
    for r in values.itertuples():
        shown = not r.suppressed and r.value == r.value
        rows.append([
            markup.area_link(r.area_name, r.area_code)] + [markup.text(c) for c in (
            r.division_name,
            f"{r.value:.1f}{'%' if unit == '%' else ''}" if shown else "withheld" if r.suppressed else "no value",
            f"{r.lower_95:.1f}–{r.upper_95:.1f}" if shown else "",
            base_text(r.base, bool(getattr(r, "small_base", False)) and not r.suppressed),
            f"{KEY_GLYPH.get(r.flag, '')} {vs_force_phrase(r.flag)}".strip(), r.resource_level)])
    return _table(head, rows, caption)


def _table(head: list[str], rows: list[list[str]], caption: str):
    """The table as one block of escaped markup (components/markup.py: a component per cell made a
    257-ward map page take most of a minute to draw). Cells are markup already escaped."""
    cap = (f'<caption class="small">{markup.text(caption)} {markup.term("small-base", "† small base")}; '
           f'{markup.term("suppression", "withheld")}.</caption>')
    head_row = "".join(f'<th scope="col">{markup.text(h)}</th>' for h in head)
    body = "".join(f'<tr><th scope="row">{cells[0]}</th>' + "".join(f"<td>{c}</td>" for c in cells[1:]) + "</tr>"
                   for cells in rows)
    return markup.table_block(f'<table class="table table-sm small mb-0">{cap}<thead><tr>{head_row}</tr></thead>'
                              f"<tbody>{body}</tbody></table>")


def level_rows_table(rows: list[tuple[str, str, list]], head: list[str], caption: str):
    """A map coloured by category (resource level): (area code, area name, other cells) per area."""
    cells = [[markup.area_link(name, code)] + [markup.text(c) for c in other] for code, name, other in rows]
    return _table(head, cells, caption)
