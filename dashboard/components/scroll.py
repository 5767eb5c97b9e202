"""A box that scrolls its own content (a wide table on a phone, a long one on a laptop) so the
page never scrolls sideways. It is focusable and named, so a keyboard can scroll it too (WCAG
2.1.1; axe's scrollable-region-focusable)."""

from __future__ import annotations

from dash import html


def scroll_box(children, label: str, box_id: str | None = None, max_height: str | None = None) -> html.Div:
    """``children`` in a named, focusable scrolling region; ``label`` says what it holds."""
    extra = {"id": box_id} if box_id else {}
    return html.Div(children, className="table-responsive", tabIndex="0", role="region",
                    style={"maxHeight": max_height} if max_height else None,
                    **{"aria-label": f"{label} (scrolls)"}, **extra)
