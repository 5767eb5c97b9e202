"""The JSON bodies a browser posts for the main interactions, for the cache warmer
(``dashboard.cache.warm``), tests and benchmarks that drive the app through its HTTP interface
exactly as the page does (Dash's callback protocol: ``output``, ``outputs``, ``inputs``,
``state``, ``changedPropIds``, as ``dash.Dash._initialize_context`` reads them)."""

from __future__ import annotations

import json


def state(key: str) -> dict:
    """A URL-state control's id (dashboard.components.state.state_id): its key only."""
    return {"type": "state", "key": key}


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
    ids = {k: state(k) for k in ("indicator", "period", "colour", "division")}
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
    """The map page's selections as State entries: ``selections(indicator=ID, division=CODE)``."""
    return [(state(k), "value", v) for k, v in values.items()]


def download_request(prefix: str, clicked: str, states: list[tuple[object, str, object]]) -> dict:
    """A ``table_downloads`` callback's request: ``clicked`` is "csv" or "xlsx"."""
    return button_request(f"{prefix}-download", (f"{prefix}-csv", f"{prefix}-xlsx"), f"{prefix}-{clicked}", states)


def figure_request(graph_id: str, fmt: str, states: list[tuple[object, str, object]]) -> dict:
    """A ``figure_downloads`` callback's request: the ``fmt`` button pressed, with the page's
    selections as (component id, property, value) in the order the callback declares them (the
    server rebuilds the chart from them; it never reads the graph's figure)."""
    return button_request(f"{graph_id}-image-download", tuple(f"{graph_id}-{f}" for f in ("png", "svg", "pdf")),
                          f"{graph_id}-{fmt}", states)


# ---------------------------------------------------------------------------------------------
# Every callback of a page, as the browser would call it once the page is drawn.

ROUTER_OUTPUT = "_pages_content"
URL = "url"
URL_OUTPUT = "url.hash"
IMAGE_DOWNLOAD = "-image-download"


def _key(component_id) -> str:
    return json.dumps(component_id, separators=(",", ":"), sort_keys=True) if isinstance(component_id, dict) \
        else component_id


def _tree(component) -> dict:
    import plotly.io.json as pjson

    return json.loads(pjson.to_json_plotly(component))


def _collect(node, found: dict) -> dict:
    """Every component with an id in a layout's JSON: key -> (id, props)."""
    if isinstance(node, list):
        for item in node:
            _collect(item, found)
    elif isinstance(node, dict):
        props = node.get("props") if "namespace" in node else None
        if isinstance(props, dict):
            if "id" in props:
                found[_key(props["id"])] = (props["id"], dict(props))
            for value in props.values():
                _collect(value, found)
        else:
            for value in node.values():
                _collect(value, found)
    return found


def _matches(declared: str, component_id) -> bool:
    if not declared.startswith("{"):
        return declared == component_id
    pattern = json.loads(declared)
    return (isinstance(component_id, dict) and set(pattern) == set(component_id)
            and all(isinstance(v, list) or component_id[k] == v for k, v in pattern.items()))


def _is_multi(declared: str) -> bool:
    return declared.startswith("{") and any(v in (["ALL"], ["ALLSMALLER"]) for v in json.loads(declared).values())


class PageDriver:
    """Opens a page through the pages router and calls every callback whose inputs are on it,
    with the values the page holds (the controls filled from the URL by the URL callback first).
    Image downloads are rebuilt by their figure builder (no Chromium); everything else goes
    through ``/_dash-update-component`` and the app's callback check."""

    def __init__(self, app, client, click_location: str | None = None, skip=None, apply_all: bool = False):
        """``skip(output)`` true: that callback is never called (the warmer skips downloads and clicks).
        ``apply_all``: the page takes every answer (the map then holds its snapshot's geometry, as
        in the browser), not only the URL callback's."""
        self.app, self.client, self.click_location, self.apply_all = app, client, click_location, apply_all
        self.callbacks = [(c["output"], app.callback_map[c["output"]], bool(c.get("prevent_initial_call")))
                          for c in app._callback_list if "callback" in app.callback_map.get(c["output"], {})
                          and not (skip and skip(c["output"]))]

    def post(self, body: dict):
        return self.client.post("/_dash-update-component", json=body)

    def open(self, path: str, fragment: str | None = None) -> dict[str, object]:
        """Every callback's answer for the page at ``path``: output -> (status, JSON or text).
        ``fragment`` (``#division=HE``): the URL's, from which the controls are filled."""
        page = self.post(page_request(path))
        answers: dict[str, object] = {"page": (page.status_code, page.get_json(silent=True))}
        if page.status_code != 200:
            return answers
        with self.app.server.test_request_context("/"):
            found = _collect(_tree(self.app.layout()), {})
        if fragment is not None:
            found[URL][1]["hash"] = fragment
        shell = set(found)
        _collect(page.get_json()["response"][ROUTER_OUTPUT]["children"], found)
        self.components, self.page_ids = found, set(found) - shell
        for output, cb, prevent in sorted(self.callbacks, key=lambda c: URL_OUTPUT not in c[0]):
            if ROUTER_OUTPUT in output:
                continue
            if not self._on_page(cb):
                if self._draws_on_page(output):  # its output is drawn but an input is missing: never called
                    answers[output] = (0, "an input of this callback is not on the page")
                continue
            if IMAGE_DOWNLOAD in output:
                answers[output] = self._image(output, cb)
                continue
            body = self._body(output, cb, prevent)
            response = self.post(body)
            answers[output] = (response.status_code, response.get_json(silent=True) or response.data[:500])
            if response.status_code == 200 and (URL_OUTPUT in output or self.apply_all):
                self._apply(response.get_json()["response"])
        return answers

    def options(self, key: str) -> list[str]:
        """The values the select for ``key`` offers on the open page."""
        props = self.components.get(_key(state(key)), (None, {}))[1]
        return [o.get("value") for o in props.get("options") or [] if isinstance(o, dict)]

    def switch(self, key: str, value: str) -> dict[str, object]:
        """The user picks ``value`` in the select for ``key`` on the open page: every callback
        with that control as an input is called, with it as the changed input (as the browser
        does), and the page takes their answers. Returns output -> (status, JSON or text)."""
        control = _key(state(key))
        self.components[control][1]["value"] = value
        answers: dict[str, object] = {}
        for output, cb, _ in self.callbacks:
            if ROUTER_OUTPUT in output or not self._on_page(cb) or not any(
                    _matches(spec["id"], state(key)) and spec["property"] == "value" for spec in cb["inputs"]):
                continue
            body = self._body(output, cb, False)
            body["changedPropIds"] = [f"{control}.value"]
            response = self.post(body)
            answers[output] = (response.status_code, response.get_json(silent=True) or response.data[:500])
            if response.status_code == 200:
                self._apply(response.get_json()["response"])
        return answers

    def _on_page(self, cb) -> bool:
        return all(_is_multi(s["id"]) or s["id"] in self.components for s in cb["inputs"] + cb["state"])

    def _draws_on_page(self, output: str) -> bool:
        parts = output[2:-2].split("...") if output.startswith("..") else [output]
        return any(p.rsplit(".", 1)[0] in self.page_ids for p in parts)

    def _matching(self, declared: str) -> list:
        if not declared.startswith("{"):
            return [self.components[declared][0]]
        return [cid for cid, _ in self.components.values() if _matches(declared, cid)]

    def _value(self, component_id, prop: str):
        if prop == "id":
            return component_id
        return self.components[_key(component_id)][1].get(prop)

    def _entries(self, specs: list[dict], values: bool, trigger: str | None = None):
        out = []
        for spec in specs:
            entries = []
            for cid in self._matching(spec["id"]):
                entry = {"id": cid, "property": spec["property"]}
                if values:
                    entry["value"] = self._trigger_value(spec["property"]) if trigger == spec["id"] \
                        else self._value(cid, spec["property"])
                entries.append(entry)
            out.append(entries if _is_multi(spec["id"]) else entries[0])
        return out

    def _trigger_value(self, prop: str):
        if prop == "n_clicks":
            return 1
        if prop == "clickData":
            return {"points": [{"location": self.click_location}]}
        raise AssertionError(f"no click for {prop}")

    def _body(self, output: str, cb: dict, prevent: bool) -> dict:
        parts = output[2:-2].split("...") if output.startswith("..") else [output]
        declared = [tuple(p.rsplit(".", 1)) for p in parts]
        outputs = [[{"id": cid, "property": prop} for cid in self._matching(i)] if _is_multi(i)
                   else {"id": self._matching(i)[0] if i in self.components else json.loads(i) if i.startswith("{")
                         else i, "property": prop} for i, prop in declared]
        trigger = cb["inputs"][0]["id"] if prevent else None
        inputs = self._entries(cb["inputs"], True, trigger)
        changed = []
        if trigger is not None:
            changed = [f"{_key(self._matching(trigger)[0])}.{cb['inputs'][0]['property']}"]
        return {"output": output, "outputs": outputs if output.startswith("..") else outputs[0],
                "inputs": inputs, "changedPropIds": changed, "state": self._entries(cb["state"], True)}

    def _apply(self, response: dict) -> None:
        for key, props in response.items():
            if key in self.components:
                self.components[key][1].update(props)

    def _image(self, output: str, cb: dict):
        """The figure builder of an image download, called with the page's selections."""
        from dashboard.components.downloads import FIGURE_EXPORTS

        download_id = output.rsplit(".", 1)[0]
        values = [self._value(self._matching(s["id"])[0], s["property"]) for s in cb["state"]]
        with self.app.server.test_request_context("/"):
            try:
                figure = FIGURE_EXPORTS[download_id].build(*values)
            except Exception as exc:  # noqa: BLE001 - reported as the answer, asserted by the test
                return 500, f"{type(exc).__name__}: {exc}"
        return 200, None if figure is None else figure.to_plotly_json()
