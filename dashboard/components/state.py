"""Selections kept in the URL.

Every control made with :func:`select` is written to the URL's fragment
(``#division=HE&indicator=confidence``) when the user changes it, and set from the fragment
when a link is opened or the back and forward buttons are used. The fragment is used rather
than the query string because the pages router re-renders a whole page whenever the query
string changes; the fragment lets a page update in place and send only what changed.

Controls are rendered empty; the one callback here fills each from the URL (or its default),
so a pasted link reopens exactly the view it was copied from.

A control's id names only its key (``{"type": "state", "key": "indicator"}``): its default,
which may depend on the force's configuration and data (``dashboard.views.choices``), is put
beside it at layout time in a store of its own (``{"type": "state-default", "key": ...}``).
Callbacks are registered once at import, for every force, so an id that carried a
force-specific default could never match what the layout drew.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

URL = "url"


def state_id(key) -> dict:
    """The id of the control for ``key`` (ALL: every control)."""
    return {"type": "state", "key": key}


def default_id(key) -> dict:
    """The id of the store holding the default of the control for ``key``."""
    return {"type": "state-default", "key": key}


def select(key: str, label: str, options: list[tuple[str, str]], default: str):
    """A labelled, keyboard-reachable select whose value lives in the URL, with ``default`` (one
    of the options' values) when the URL does not say. The label wraps the select, so the two
    are associated whatever the (pattern-matching) id looks like."""
    return html.Div([html.Label([
        html.Span(label, className="form-label small mb-0 d-block"),
        dbc.Select(id=state_id(key), options=[{"label": lab, "value": val} for val, lab in options],
                   value=None, className="form-select-sm", style={"minWidth": "11rem"}),
    ], className="d-block"), dcc.Store(id=default_id(key), data=default)],
                    className="state-select me-3 mb-2")


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
    Output(state_id(ALL), "value"),
    Input(URL, "hash"),
    Input(state_id(ALL), "value"),
    State(state_id(ALL), "id"),
    State(state_id(ALL), "options"),
    State(default_id(ALL), "id"),
    State(default_id(ALL), "data"),
)
def sync_url(fragment, values, ids, options, default_ids, default_values):
    """One callback owns both directions, so URL and controls cannot chase each other."""
    params = parse_fragment(fragment)
    allowed = [[o.get("value") for o in opts or [] if isinstance(o, dict)] for opts in options]
    defaults = {i.get("key"): d for i, d in zip(default_ids, default_values)}

    def from_url(key, ok):
        """The URL's value if the control offers it, else the page's default, else the first option."""
        default = defaults.get(key)
        return params[key] if params.get(key) in ok else (default if default in ok else next(iter(ok), None))

    if ctx.triggered_id in (None, URL):  # first load, a pasted link, back or forward
        new = [from_url(i["key"], ok) for i, ok in zip(ids, allowed)]
        return no_update, [n if n != v else no_update for n, v in zip(new, values)]
    # New controls arrive empty (a page was rendered): fill them from the URL.
    filled = [from_url(i["key"], ok) if v is None else no_update for i, v, ok in zip(ids, values, allowed)]
    user_changed = any(t["value"] is not None for t in ctx.triggered)
    if not user_changed:
        return no_update, filled
    current = {i["key"]: v for i, v in zip(ids, values) if v is not None}
    params.update(current)
    new_fragment = "#" + urlencode(sorted(params.items()))
    return (no_update if new_fragment == (fragment or "") else new_fragment), filled
