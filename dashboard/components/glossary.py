"""A glossary term where it appears: a link to its entry on /glossary that keeps the page's
selections (assets/keyboard.js carries the URL's state fragment there and back), reachable by
Tab like any link, with the plain-English definition as its tooltip."""

from __future__ import annotations

from dash import html

from ..views.glossary import entry

KEEP_STATE = {"data-keep-state": "1"}


def term(key: str, text: str | None = None) -> html.A:
    """``text`` (default: the entry's name) linked to /glossary#KEY."""
    e = entry(key)
    return html.A(text or e.term, href=f"/glossary#{key}", className="glossary-term", title=e.text,
                  **KEEP_STATE)


def terms_line(*keys: str) -> html.P:
    """'Terms used here: Interval, Base, …': the page's words that the glossary explains."""
    links = [term(k) for k in keys]
    return html.P(["Terms used here: "] + [x for link in links for x in (link, ", ")][:-1] + ["."],
                  className="small text-body-secondary")
