"""Hardened serving through the app (issue #11, item 3): the security headers on every kind of
response, a CSP that admits exactly the index's inline scripts, the body limit sized to the
largest real callback, malformed callbacks answered 400 without a traceback, and the gzip cache
keyed by the de-fingerprinted bundle and bounded."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re

import pytest

from dashboard import serving
from dashboard.app import create_app, page_paths
from tests.protocol import button_request, map_request, page_request

PAGES = page_paths("HE01")
# What each header must say, written here independently of dashboard.serving.
FIXED_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
                 "Cross-Origin-Opener-Policy": "same-origin"}
REQUIRED_DIRECTIVES = {"default-src": "'self'", "object-src": "'none'", "base-uri": "'self'",
                       "form-action": "'self'", "frame-ancestors": "'none'"}


@pytest.fixture(scope="module")
def app(demo_store):
    return create_app(demo_store)


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}


def _assert_headers(response, where: str) -> None:
    for name, value in FIXED_HEADERS.items():
        assert response.headers.get(name) == value, (where, name, response.headers.get(name))
    directives = _directives(response.headers.get("Content-Security-Policy", ""))
    for name, value in REQUIRED_DIRECTIVES.items():
        assert directives.get(name) == [value], (where, name, directives.get(name))
    sources = [s for values in directives.values() for s in values]
    assert not [s for s in sources if "://" in s or s in ("*", "http:", "https:", "'unsafe-eval'")], (where, sources)
    assert "'unsafe-inline'" not in directives["script-src"], where


def _bundle_urls(client) -> list[str]:
    index = client.get("/").get_data(as_text=True)
    return [u for u in re.findall(r'src="([^"]+)"', index) if u.startswith("/_dash-component-suites/")]


def _callback(app, prefix: str) -> tuple[str, dict]:
    return next((k, cb) for k, cb in app.callback_map.items() if k.startswith(prefix))


def _body(app, output: str, values: list, changed: int | None = 0, state: list | None = None) -> dict:
    """A callback request as the browser makes it, for a callback without ALL wildcards."""
    cb = app.callback_map[output]
    ids = [json.loads(i["id"]) if i["id"].startswith("{") else i["id"] for i in cb["inputs"]]
    inputs = [{"id": i, "property": spec["property"], "value": v} for i, spec, v in zip(ids, cb["inputs"], values)]
    outputs = [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
               for o in (output[2:-2].split("...") if output.startswith("..") else [output])]
    def key(i):
        return (json.dumps(i, separators=(",", ":"), sort_keys=True) if isinstance(i, dict) else i)
    return {"output": output, "outputs": outputs if output.startswith("..") else outputs[0], "inputs": inputs,
            "changedPropIds": [] if changed is None else [f"{key(ids[changed])}.{cb['inputs'][changed]['property']}"],
            "state": state or []}


def test_every_kind_of_response_carries_the_security_headers(app, client):
    """As `curl -I` would show them: page, layout, dependencies, callback, asset, bundle,
    /health, a pack refused, a missing asset and bundle (404), a refused callback (400), an
    oversized body (413). The real pack PDF is checked through nginx (test_proxy.py)."""
    bundle = _bundle_urls(client)[0]
    responses = {
        "index": client.get("/"), "page": client.get("/map"), "layout": client.get("/_dash-layout"),
        "dependencies": client.get("/_dash-dependencies"),
        "callback": client.post("/_dash-update-component", json=page_request("/")),
        "asset": client.get("/assets/bootstrap.min.css"), "bundle": client.get(bundle),
        "health": client.get("/health"), "pack 404": client.get("/pack/no-such-division.pdf"),
        "asset 404": client.get("/assets/no-such.css"),
        "bundle 404": client.get("/_dash-component-suites/dash/no-such.js"),
        "callback 400": client.post("/_dash-update-component", json=[]),
        "callback 413": client.post("/_dash-update-component", data=b"x" * (serving.MAX_CONTENT_LENGTH + 1),
                                    content_type="application/json"),
    }
    expected = {"pack 404": 404, "asset 404": 404, "bundle 404": 404, "callback 400": 400, "callback 413": 413}
    for where, response in responses.items():
        assert response.status_code == expected.get(where, 200), (where, response.status_code)
        _assert_headers(response, where)
    assert responses["bundle"].headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert responses["asset 404"].headers["Cache-Control"] == "no-store"


def test_the_csp_admits_exactly_the_inline_scripts_of_the_index(client):
    """Every inline script the index runs is allowed by its sha256 and nothing else inline is:
    an injected script would not run."""
    response = client.get("/")
    index = response.get_data(as_text=True)
    inline = [body for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", index, re.S)
              if "src=" not in attrs and "application/json" not in attrs]
    assert len(inline) >= 2  # the pages router's clientside callback and the renderer's start
    allowed = _directives(response.headers["Content-Security-Policy"])["script-src"]
    hashes = {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in inline}
    assert set(allowed) == {"'self'"} | hashes


def _sync_request(app, controls: list[tuple[dict, list]]) -> dict:
    """The URL <-> controls callback's request as the browser sends it when a control changes:
    every select on the page with its options, and every control's default beside it (the
    biggest body the pages send)."""
    output, _ = _callback(app, "..url.hash")
    def entry(i, p, v):
        return ({"id": i, "property": p, "value": v})
    selects = [(i, o) for i, o in controls if i["type"] == "state"]
    defaults = [(i, d) for i, d in controls if i["type"] == "state-default"]
    return {"output": output, "outputs": [{"id": "url", "property": "hash"}, [{"id": i, "property": "value"}
                                                                            for i, _ in selects]],
            "inputs": [entry("url", "hash", "#division=HE"), [entry(i, "value", o[0]["value"]) for i, o in selects]],
            "changedPropIds": [json.dumps(selects[0][0], separators=(",", ":"), sort_keys=True) + ".value"],
            "state": [[entry(i, "id", i) for i, _ in selects], [entry(i, "options", o) for i, o in selects],
                      [entry(i, "id", i) for i, _ in defaults], [entry(i, "data", d) for i, d in defaults]]}


def _controls(node, found: list) -> list[tuple[dict, object]]:
    """(id, options) of every URL-state select and (id, data) of every store of a default."""
    if isinstance(node, dict):
        props = node.get("props", {})
        kind = props["id"].get("type") if isinstance(props.get("id"), dict) else None
        if kind == "state" and props.get("options"):
            found.append((props["id"], props["options"]))
        elif kind == "state-default":
            found.append((props["id"], props.get("data")))
        for value in node.values():
            _controls(value, found)
    elif isinstance(node, list):
        for value in node:
            _controls(value, found)
    return found


def test_the_body_limit_leaves_a_clear_margin_over_the_largest_callback(app, client, capsys):
    """Recomputes the figure MAX_CONTENT_LENGTH's comment gives: the URL callback with every
    select of each page (the shell's division select included). The limit must stay at least
    50 times above it, and a body over the limit is refused with 413 before it is parsed."""
    shell = _controls(client.get("/_dash-layout").get_json(), [])
    sizes = {}
    for path in PAGES:
        page = client.post("/_dash-update-component", json=page_request(path)).get_json()
        body = _sync_request(app, shell + _controls(page, []))
        sizes[path] = len(json.dumps(body, separators=(",", ":")))
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 200, (path, response.data[:200])
    largest = max(sizes.values())
    with capsys.disabled():
        print(f"\nlargest callback body (URL callback, demo, 145 areas): {largest:,} bytes on "
              f"{max(sizes, key=sizes.get)}; "
              f"limit {serving.MAX_CONTENT_LENGTH:,} ({serving.MAX_CONTENT_LENGTH / largest:.0f}x)")
    assert largest > 5_000 and largest * 50 < serving.MAX_CONTENT_LENGTH, sizes
    under = client.post("/_dash-update-component", data=b" " * (serving.MAX_CONTENT_LENGTH - 10) + b"[]",
                        content_type="application/json")
    assert under.status_code == 400  # read and refused for its content, not its size
    over = client.post("/_dash-update-component", data=b" " * serving.MAX_CONTENT_LENGTH + b"[]",
                       content_type="application/json")
    assert over.status_code == 413 and "limited to" in over.get_json()["error"]


def _malformed(app) -> dict[str, tuple[bytes | dict | list | None, str]]:
    """name -> (body, content type)."""
    cards, _ = _callback(app, "overview-board")
    gap, gap_cb = _callback(app, "equality-gap-image-download")
    buttons = tuple(i["id"] for i in gap_cb["inputs"])
    division = json.loads(gap_cb["state"][0]["id"])
    deep = "[" * 10_000 + "]" * 10_000
    json_type = "application/json"
    return {
        "null": (b"null", json_type), "empty list": (b"[]", json_type), "empty object": (b"{}", json_type),
        "not JSON": (b"{'output': ", json_type), "not UTF-8": (b'{"output": "\xff"}', json_type),
        "text/plain": (json.dumps(_body(app, cards, ["HE", True])).encode(), "text/plain"),
        "unknown output": (_body(app, cards, ["HE", True]) | {"output": "no-such.children"}, json_type),
        "clientside callback": (_body(app, cards, ["HE", True]) | {"output": "_pages_dummy.children"}, json_type),
        "outputs of another callback": (_body(app, cards, ["HE", True]) | {"outputs": {"id": "map-graph",
                                                                                       "property": "figure"}},
                                        json_type),
        "inputs missing": ({k: v for k, v in _body(app, cards, ["HE", True]).items() if k != "inputs"}, json_type),
        "one input too many": (_body(app, cards, ["HE", True]) | {"inputs": _body(app, cards, ["HE", True])["inputs"]
                                                                   + [{"id": "x", "property": "value"}]}, json_type),
        "a list as the division": (_body(app, cards, [["HE"], True]), json_type),
        "a figure as the division": (_body(app, cards, [{"data": [], "layout": {}}, True]), json_type),
        "a string as n_clicks": (button_request(gap, buttons, buttons[0], [(division, "value", "all")])
                                 | {"inputs": [{"id": b, "property": "n_clicks", "value": "1"} for b in buttons]},
                                 json_type),
        "10,000 nested lists as the division": (
            json.dumps(_body(app, cards, ["@", True])).replace('"@"', deep).encode(), json_type),
        "40 nested lists as the division": (_body(app, cards, [json.loads("[" * 40 + "]" * 40), True]), json_type),
        "old-shape image download (the graph's figure as state)": (
            button_request(gap, buttons, buttons[0], [("equality-gap", "figure", {"data": [], "layout": {}})]),
            json_type),
        "changedPropIds naming no input": (_body(app, cards, ["HE", True]) | {"changedPropIds": ["url.hash"]},
                                           json_type),
        "a download with nothing clicked": (button_request(gap, buttons, buttons[0], [(division, "value", "all")])
                                            | {"changedPropIds": []}, json_type),
        "an unknown selection in a download": (
            button_request(gap, buttons, buttons[0], [(division, "value", "no-such-division")]), json_type),
    }


def test_malformed_callbacks_answer_400_without_a_traceback(app, client, caplog):
    """Each is refused with 400 and a short JSON message, and logged as one warning line: the
    request is checked against the app's callback map before Dash sees it, and an unknown
    selection raised inside a download callback is turned into 400."""
    cards, _ = _callback(app, "overview-board")
    valid = client.post("/_dash-update-component", json=_body(app, cards, ["HE", True]))
    assert valid.status_code == 200 and "overview-board" in valid.get_json()["response"]  # real calls pass
    assert client.post("/_dash-update-component", json=map_request("confidence_local", None)).status_code == 200
    cases = _malformed(app)
    with caplog.at_level(logging.INFO):
        for name, (body, content_type) in cases.items():
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            response = client.post("/_dash-update-component", data=data, content_type=content_type)
            assert response.status_code == 400, (name, response.status_code, response.data[:300])
            message = response.get_json()["error"]
            assert 0 < len(message) < 120 and "Traceback" not in message, (name, message)
    refusals = [r for r in caplog.records if "refused (400)" in r.getMessage()]
    assert len(refusals) == len(cases)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], \
        [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


def test_every_callback_property_has_a_declared_kind(app):
    """The check knows what each Input and State may hold: a new property is a decision."""
    props = {spec["property"] for cb in app.callback_map.values() for spec in cb["inputs"] + cb["state"]}
    assert props - set(serving.PROPERTY_TYPES) == set()


def test_fingerprint_variants_share_one_gzip_entry(client):
    """Dash strips the fingerprint (plotly.v1m<N>.min.js is plotly.min.js): 120 spellings of the
    plotly bundle leave one entry of its gzipped size, not 120 (issue #11: 1.47 MB each)."""
    serving.GZIPPED.clear()
    urls = [f"/_dash-component-suites/plotly/package_data/plotly.v1m{n}.min.js" for n in range(1, 121)]
    first = None
    for url in urls:
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip", url
        first = first or response.data
        assert response.data == first
    assert len(serving.GZIPPED) == 1
    assert serving.GZIPPED.nbytes == len(first) < 2_000_000


def test_the_gzip_cache_is_bounded_in_entries_and_bytes():
    cache = serving.GzipCache(max_entries=3, max_bytes=1000)
    for n in range(10):
        cache.put(f"/assets/file{n}.css", b"x" * 300)
    assert len(cache) == 3 and cache.nbytes == 900
    assert cache.get("/assets/file9.css") and cache.get("/assets/file0.css") is None  # oldest out first
    cache.put("/assets/big.js", b"x" * 800)
    assert cache.nbytes <= 1000 and cache.get("/assets/big.js")
    cache.put("/assets/huge.js", b"x" * 1001)  # larger than the whole cache: not kept
    assert cache.get("/assets/huge.js") is None and cache.nbytes <= 1000
    assert serving.GzipCache.key("/_dash-component-suites/dash/deps/react@18.v4_4_1m99.3.1.min.js") == \
        "/_dash-component-suites/dash/deps/react@18.3.1.min.js"
