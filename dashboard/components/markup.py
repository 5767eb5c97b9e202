"""Large tables drawn as one block of escaped HTML rather than a Dash component per cell.

Drawn as components (one per cell: 145 areas x 16 indicators in the rug is about 2,900; 257 wards
x 7 columns in a map's table about 1,800) Chromium spends tens of seconds in Dash's renderer
before showing the page, and longer when the machine is busy; as one block of markup the same
table draws in about a second. Every text and attribute is escaped here (names, codes and words
come from the force's files), and the page's Content-Security-Policy allows no inline script, so
even unescaped markup could not run code.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from dash import dcc

from ..views.glossary import entry


def text(value) -> str:
    """A cell's text, escaped."""
    return escape(str(value))


def link(label: str, href: str) -> str:
    return f'<a href="{escape(href)}">{escape(label)}</a>'


def area_link(name: str, code: str) -> str:
    """The area's name linking to its profile."""
    return link(name, f"/area/{quote(code, safe='')}")


def term(key: str, label: str | None = None) -> str:
    """A glossary term as markup (components.glossary.term's link: keeps the page's state)."""
    e = entry(key)
    return (f'<a class="glossary-term" href="/glossary#{escape(key)}" data-keep-state="1" title="{escape(e.text)}">'
            f"{escape(label or e.term)}</a>")


def table_block(markup: str, class_name: str = "") -> dcc.Markdown:
    """Markup written by this module's helpers (every piece escaped), drawn as HTML."""
    return dcc.Markdown(markup, dangerously_allow_html=True, className=class_name)
