"""The map's indicator switch sends only new value arrays: measured with the Flask test client."""

from __future__ import annotations

import gzip
import json

from dashboard.app import create_app
from tests.protocol import map_drawn, map_request


def test_indicator_switch_is_a_small_patch(demo_store, capsys):
    client = create_app(demo_store).server.test_client()
    first = client.post("/_dash-update-component", json=map_request("confidence_local", None))
    assert first.status_code == 200
    figure = first.get_json()["response"]["map-graph"]["figure"]
    assert len(figure["data"][0]["geojson"]["features"]) == 145  # geometry goes once, with the first render
    request = map_request("worry_burglary", map_drawn(first.get_json()))
    assert len(json.dumps(request)) < 1024  # the browser does not send its figure back
    switch = client.post("/_dash-update-component", json=request,
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
    # The geometry of 145 areas is hundreds of kilobytes: a patch carries the values, the colour
    # scale and key (suppressed areas included) and the Source line, well under 3 KiB.
    assert wire < 3072
