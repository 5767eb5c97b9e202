"""The map's shapes cross the wire once a snapshot (a URL the browser fetches and keeps), and the
indicator switch sends only new value arrays: measured with the Flask test client."""

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
    snapshot_id = map_drawn(first.get_json())
    # The first render names the snapshot's shapes; the browser fetches them once and keeps them.
    assert figure["data"][0]["geojson"] == f"/geometry/{snapshot_id}.json"
    assert b"coordinates" not in first.data
    shapes = client.get(figure["data"][0]["geojson"], headers={"Accept-Encoding": "gzip"})
    assert shapes.status_code == 200 and shapes.headers["Content-Encoding"] == "gzip"
    assert shapes.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    geometry = json.loads(gzip.decompress(shapes.data))
    assert len(geometry["features"]) == 145
    assert {f["properties"]["area_code"] for f in geometry["features"]} == set(figure["data"][0]["locations"])
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
              f"first render {len(first.data):,} bytes; shapes {len(shapes.data):,} bytes gzipped, once a snapshot")
    # The geometry of 145 areas is hundreds of kilobytes: a patch carries the values, the colour
    # scale and key (suppressed areas included) and the Source line, well under 3 KiB.
    assert wire < 3072


def test_shapes_only_of_a_snapshot_in_the_store(demo_store):
    """The geometry route serves the snapshots the store holds and nothing else."""
    client = create_app(demo_store).server.test_client()
    for name in ("nosuch", "..", "%2e%2e", "CURRENT"):
        answer = client.get(f"/geometry/{name}.json")
        assert answer.status_code == 404, name
        assert answer.headers["Cache-Control"] == "no-store"
