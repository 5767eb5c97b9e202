"""The map's indicator switch sends only new value arrays: measured with the Flask test client."""

from __future__ import annotations

import gzip
import json

from dashboard.app import create_app


def _state(key, default):
    return {"type": "state", "key": key, "default": default}


def _map_request(indicator: str, figure: dict) -> dict:
    return {
        "output": "..map-graph.figure...map-caption.children..",
        "outputs": [{"id": "map-graph", "property": "figure"}, {"id": "map-caption", "property": "children"}],
        "inputs": [{"id": _state("indicator", "confidence"), "property": "value", "value": indicator},
                   {"id": _state("period", "latest"), "property": "value", "value": "latest"},
                   {"id": _state("colour", "value"), "property": "value", "value": "value"},
                   {"id": _state("division", "all"), "property": "value", "value": "all"}],
        "changedPropIds": [json.dumps(_state("indicator", "confidence"), separators=(",", ":"), sort_keys=True)
                           + ".value"],
        "state": [{"id": "map-graph", "property": "figure", "value": figure}],
    }


def test_indicator_switch_is_a_small_patch(demo_store, capsys):
    client = create_app(demo_store).server.test_client()
    first = client.post("/_dash-update-component", json=_map_request("confidence", None))
    assert first.status_code == 200
    figure = first.get_json()["response"]["map-graph"]["figure"]
    assert len(figure["data"][0]["geojson"]["features"]) == 145  # geometry goes once, with the first render
    switch = client.post("/_dash-update-component", json=_map_request("worry_burglary", figure),
                         headers={"Accept-Encoding": "gzip"})
    assert switch.status_code == 200
    wire = len(switch.data)
    body = gzip.decompress(switch.data) if switch.headers.get("Content-Encoding") == "gzip" else switch.data
    payload = json.loads(body)
    patch = payload["response"]["map-graph"]["figure"]
    assert patch["__dash_patch_update"] == "__dash_patch_update"  # a Patch, not a figure
    assert "geojson" not in body.decode()
    with capsys.disabled():
        print(f"\nmap indicator switch at 145 areas: {wire:,} bytes on the wire (gzip), {len(body):,} bytes JSON; "
              f"first render {len(first.data):,} bytes")
    assert wire < 2048
