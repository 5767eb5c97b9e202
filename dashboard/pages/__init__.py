"""The pages: each module registers itself with ``dash.register_page`` (its path, title, place
in the order and, for the navigation, its ``nav`` label). Nothing else lists them."""

from __future__ import annotations

import importlib
import pkgutil

NOT_PAGES = {"common"}


def import_pages() -> None:
    """Import every page module of this package, so each registers itself."""
    for module in pkgutil.iter_modules(__path__):
        if module.name not in NOT_PAGES:
            importlib.import_module(f"{__name__}.{module.name}")
