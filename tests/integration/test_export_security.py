"""Chart downloads render only what the server builds (issue #11, item 1).

Every ``*-image-download`` callback of the app is posted a figure whose images point at a
listener on loopback and at a local file, 20,000 px tall, where the old callbacks read the
graph's figure: the server must make no request, put none of the file in the image, and
render at its own size. Unknown selections give no image: a 400, not a server error.
"""

from __future__ import annotations

import base64
import json
import shutil
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dashboard.app import create_app
from dashboard.components.downloads import FIGURE_EXPORTS, MAX_HEIGHT
from dashboard.data.store import Store
from tests.conftest import need
from tests.protocol import button_request

UNKNOWN = "no-such-selection"


def _png(width: int, height: int, marker: bytes) -> bytes:
    """A tiny valid PNG carrying ``marker`` in a text chunk, so its bytes are unmistakable."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00" + marker) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def listener():
    """An HTTP server on loopback that counts every request it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def secret(tmp_path_factory):
    data = _png(4, 4, b"issue-11-secret-" + bytes(range(48, 122)))
    path = tmp_path_factory.mktemp("secret") / "secret.png"
    path.write_bytes(data)
    return path, data


@pytest.fixture(scope="module")
def app(demo_store):
    return create_app(demo_store)


@pytest.fixture(scope="module")
def image_callbacks(app):
    """Every figure download the app serves, from its callback map (a new one cannot be missed)."""
    client = app.server.test_client()
    assert client.get("/").status_code == 200  # the callback map is filled on the first request
    found = {key.removesuffix(".data"): cb for key, cb in app.callback_map.items()
             if key.endswith("-image-download.data")}
    assert len(found) >= 9
    return found


def _valid_values(demo_store) -> dict[str, str]:
    area = Store(demo_store).open().table("areas")["area_code"].sort_values().iloc[0]
    return {"division": "SH", "mperiod": "latest", "indicator": "confidence_local", "period": "latest",
            "colour": "value", "area": "none", "funnel": "confidence_local", "area-code": area}


def _states(cb, values: dict[str, str]) -> list[tuple[object, str, object]]:
    """(id, property, value) for each State the callback declares, in its order."""
    out = []
    for s in cb["state"]:
        component = json.loads(s["id"]) if s["id"].startswith("{") else s["id"]
        key = component["key"] if isinstance(component, dict) else component
        assert key in values, f"the test has no valid value for the selection {key!r}: add one"
        out.append((component, s["property"], values[key]))
    return out


def _request(cb, download_id: str, fmt: str, states: list) -> dict:
    buttons = tuple(i["id"] for i in cb["inputs"])
    clicked = next(b for b in buttons if b.endswith(f"-{fmt}"))
    return button_request(download_id, buttons, clicked, states)


def _no_image(r, download_id: str) -> bool:
    """Refused: 400 with a short message and no file (a value of the wrong kind is refused by
    the callback check of dashboard.serving, an unknown selection by the callback's own check)."""
    return r.status_code == 400 and b"content" not in r.data and download_id.encode() not in r.data


def test_every_image_download_is_registered_and_reads_no_figure(image_callbacks):
    assert set(image_callbacks) == set(FIGURE_EXPORTS)
    for download_id, cb in image_callbacks.items():
        assert all(s["property"] != "figure" for s in cb["state"]), f"{download_id} reads a figure from the request"


def test_a_hostile_figure_in_the_request_is_never_rendered(app, image_callbacks, listener, secret, demo_store):
    need(bool(shutil.which("chromium")), "chromium is needed for image exports")
    port, hits = listener
    path, data = secret
    hostile = {"data": [{"type": "bar", "x": ["a"], "y": [1]}],
               "layout": {"height": 20000, "images": [
                   {"source": f"http://127.0.0.1:{port}/x.png", "xref": "paper", "yref": "paper", "x": 0, "y": 1,
                    "sizex": 1, "sizey": 1},
                   {"source": path.as_uri(), "xref": "paper", "yref": "paper", "x": 0, "y": 0.5,
                    "sizex": 1, "sizey": 1}]}}
    values = _valid_values(demo_store)
    client = app.server.test_client()

    def no_leak(r, where):
        for leak in (data, base64.b64encode(data), b"issue-11-secret-"):
            assert leak not in r.data, f"{where} holds the local file"
        assert hits == [], f"{where} made the server fetch {hits}"

    for n, (download_id, cb) in enumerate(sorted(image_callbacks.items())):
        graph_id = download_id.removesuffix("-image-download")
        states = _states(cb, values)
        # The probe's request: the graph's figure where the old callback read it, and nothing else.
        r = client.post("/_dash-update-component",
                        json=_request(cb, download_id, "png", [(graph_id, "figure", hostile)]))
        assert r.status_code != 200 or b"content" not in r.data, (download_id, r.data[:200])
        no_leak(r, f"{download_id} (figure as its state)")
        # The figure in place of each selection: refused.
        for i in range(len(states)):
            broken = list(states)
            broken[i] = (states[i][0], states[i][1], hostile)
            r = client.post("/_dash-update-component", json=_request(cb, download_id, "svg", broken))
            assert _no_image(r, download_id), (download_id, i, r.status_code, r.data[:200])
            no_leak(r, f"{download_id} (figure as selection {i})")
        # Valid selections: the server's own chart, at the server's own size.
        export = FIGURE_EXPORTS[download_id]
        with app.server.app_context():
            fig = export.build(*(v for _, _, v in states))
        assert fig is not None, f"{download_id}: no figure for valid selections"
        width, height = export.size(fig)
        assert height <= MAX_HEIGHT
        # Each chart drawn once (kaleido takes seconds an image), in PNG and SVG by turns: both
        # formats are checked on half the charts each.
        for fmt in (("png", "svg")[n % 2],):
            r = client.post("/_dash-update-component", json=_request(cb, download_id, fmt, states))
            assert r.status_code == 200, (download_id, fmt, r.data[:300])
            out = json.loads(r.data)["response"][download_id]["data"]
            content = base64.b64decode(out["content"]) if out.get("base64") else out["content"].encode()
            no_leak(r, f"{download_id} {fmt}")
            assert data not in content and base64.b64encode(data) not in content
            # kaleido re-encodes an embedded file (a 4x4 PNG comes back as other bytes), so also:
            # none of the server's charts has a picture in it.
            if fmt == "svg":
                assert b"<image" not in content, f"{download_id} svg embeds an image"
            if fmt == "png":
                assert content[:8] == b"\x89PNG\r\n\x1a\n"
                assert struct.unpack(">II", content[16:24]) == (width, height), download_id


def test_unknown_selections_give_no_image_and_no_error(app, image_callbacks, demo_store):
    values = _valid_values(demo_store)
    client = app.server.test_client()
    for download_id, cb in sorted(image_callbacks.items()):
        states = _states(cb, values)
        for i in range(len(states)):
            for bad in (UNKNOWN, {"not": "a string"}):
                broken = list(states)
                broken[i] = (states[i][0], states[i][1], bad)
                r = client.post("/_dash-update-component", json=_request(cb, download_id, "png", broken))
                assert _no_image(r, download_id), (download_id, states[i][0], bad, r.status_code, r.data[:200])
