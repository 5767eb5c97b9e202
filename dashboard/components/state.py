"""Selections kept in the URL.

Every control made with :func:`select` is written to the URL's fragment
(``#division=HE&indicator=confidence``) when the user changes it, and set from the fragment
when a link is opened or the back and forward buttons are used. The fragment is used rather
than the query string because the pages router re-renders a whole page whenever the query
string changes; the fragment lets a page update in place and send only what changed.

Controls are rendered empty; the one callback here fills each from the URL (or its default),
so a pasted link reopens exactly the view it was copied from.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, html, no_update

URL = "url"


def state_id(key: str, default: str = ALL) -> dict:
    return {"type": "state", "key": key, "default": default}


def select(key: str, label: str, options: list[tuple[str, str]], default: str):
    """A labelled, keyboard-reachable select whose value lives in the URL. The label wraps the
    select, so the two are associated whatever the (pattern-matching) id looks like."""
    return html.Div(html.Label([
        html.Span(label, className="form-label small mb-0 d-block"),
        dbc.Select(id=state_id(key, default), options=[{"label": lab, "value": val} for val, lab in options],
                   value=None, className="form-select-sm", style={"minWidth": "11rem"}),
    ], className="d-block"), className="me-3 mb-2")


def parse_fragment(fragment: str | None) -> dict[str, str]:
    return dict(parse_qsl((fragment or "").lstrip("#")))


def checked(value, allowed, default):
    """Callback inputs are checked against known values; anything else gives the default."""
    return value if isinstance(value, str) and value in allowed else default


class UnknownSelection(ValueError):
    """A selection no control offers: a download refuses it rather than export something else."""


def known(value, allowed, default):
    """:func:`checked` for downloads: a control not filled yet (None) gives the default, as the
    page shows it; any other value not in ``allowed`` raises UnknownSelection."""
    if value is None:
        return default
    if isinstance(value, str) and value in allowed:
        return value
    raise UnknownSelection(f"not a selection the page offers: {str(value)[:80]!r}")


@callback(
    Output(URL, "hash"),
    Output(state_id(ALL, ALL), "value"),
    Input(URL, "hash"),
    Input(state_id(ALL, ALL), "value"),
    State(state_id(ALL, ALL), "id"),
    State(state_id(ALL, ALL), "options"),
)
def sync_url(fragment, values, ids, options):
    """One callback owns both directions, so URL and controls cannot chase each other."""
    params = parse_fragment(fragment)
    allowed = [{o["value"] for o in opts or []} for opts in options]

    def from_url(key, default, ok):
        return params[key] if params.get(key) in ok else (default if default in ok else next(iter(ok), None))

    if ctx.triggered_id in (None, URL):  # first load, a pasted link, back or forward
        new = [from_url(i["key"], i["default"], ok) for i, ok in zip(ids, allowed)]
        return no_update, [n if n != v else no_update for n, v in zip(new, values)]
    # New controls arrive empty (a page was rendered): fill them from the URL.
    filled = [from_url(i["key"], i["default"], ok) if v is None else no_update
              for i, v, ok in zip(ids, values, allowed)]
    user_changed = any(t["value"] is not None for t in ctx.triggered)
    if not user_changed:
        return no_update, filled
    current = {i["key"]: v for i, v in zip(ids, values) if v is not None}
    params.update(current)
    new_fragment = "#" + urlencode(sorted(params.items()))
    return (no_update if new_fragment == (fragment or "") else new_fragment), filled
