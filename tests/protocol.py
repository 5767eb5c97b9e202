"""The JSON bodies a browser posts for the main interactions, for tests and benchmarks that
drive the app through its HTTP interface exactly as the page does."""

from __future__ import annotations

import json


def state(key: str, default: str) -> dict:
    return {"type": "state", "key": key, "default": default}


def _prop_id(component_id) -> str:
    return json.dumps(component_id, separators=(",", ":"), sort_keys=True) if isinstance(component_id, dict) \
        else component_id


def page_request(path: str) -> dict:
    """The pages router's request for a page's content."""
    return {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}


def map_request(indicator: str, drawn: str | None, changed: str = "indicator", division: str = "all",
                period: str = "latest", colour: str = "value") -> dict:
    """The map callback's request; ``drawn`` is the snapshot id whose geometry the browser
    holds (``map_drawn`` of the first response), None before the first render."""
    ids = {"indicator": state("indicator", "confidence"), "period": state("period", "latest"),
           "colour": state("colour", "value"), "division": state("division", "all")}
    values = {"indicator": indicator, "period": period, "colour": colour, "division": division}
    return {
        "output": "..map-graph.figure...map-caption.children...map-drawn.data..",
        "outputs": [{"id": "map-graph", "property": "figure"}, {"id": "map-caption", "property": "children"},
                    {"id": "map-drawn", "property": "data"}],
        "inputs": [{"id": ids[k], "property": "value", "value": values[k]} for k in ids],
        "changedPropIds": [_prop_id(ids[changed]) + ".value"],
        "state": [{"id": "map-drawn", "property": "data", "value": drawn}],
    }


def map_drawn(response: dict) -> str:
    """The snapshot id a first map response says the browser now holds."""
    return response["response"]["map-drawn"]["data"]


def button_request(output_id: str, buttons: tuple[str, ...], clicked: str,
                   states: list[tuple[object, str, object]]) -> dict:
    """A download callback's request: ``clicked``, one of ``buttons``, pressed; ``states`` are
    (component id, property, value) in the order the callback declares them."""
    return {
        "output": f"{output_id}.data", "outputs": {"id": output_id, "property": "data"},
        "inputs": [{"id": b, "property": "n_clicks", "value": 1 if b == clicked else None} for b in buttons],
        "changedPropIds": [f"{clicked}.n_clicks"],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in states],
    }


def selections(**values: str) -> list[tuple[object, str, object]]:
    """The map page's selections as State entries: selections(indicator="confidence", division="HE")."""
    defaults = {"indicator": "confidence", "period": "latest", "colour": "value", "division": "all"}
    return [(state(k, defaults[k]), "value", v) for k, v in values.items()]


def download_request(prefix: str, clicked: str, states: list[tuple[object, str, object]]) -> dict:
    """A ``table_downloads`` callback's request: ``clicked`` is "csv" or "xlsx"."""
    return button_request(f"{prefix}-download", (f"{prefix}-csv", f"{prefix}-xlsx"), f"{prefix}-{clicked}", states)


def figure_request(graph_id: str, fmt: str, states: list[tuple[object, str, object]]) -> dict:
    """A ``figure_downloads`` callback's request: the ``fmt`` button pressed, with the page's
    selections as (component id, property, value) in the order the callback declares them (the
    server rebuilds the chart from them; it never reads the graph's figure)."""
    return button_request(f"{graph_id}-image-download", tuple(f"{graph_id}-{f}" for f in ("png", "svg", "pdf")),
                          f"{graph_id}-{fmt}", states)
