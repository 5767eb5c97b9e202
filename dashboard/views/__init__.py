"""From a snapshot to what a page, export or pack shows: rows, text and the words for every
verdict. Figures (``go.Figure``) are built from these in ``dashboard.figures``."""
