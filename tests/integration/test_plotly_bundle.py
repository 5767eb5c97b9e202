"""The dashboard's own plotly.js (assets/plotly-partial.min.js) is what its recipe says
(tools/plotly-bundle/: package.json, package-lock.json, build.mjs, manifest.json), at the
plotly.js version the installed plotly / Dash would have served, with exactly the trace types
the pages draw (every page driven through the app's HTTP interface on the demo, the force with
every table, so every kind of chart).

Rebuilding needs the npm registry (``npm ci``, about 30-50 s here): with
tools/plotly-bundle/node_modules installed (``tools/plotly-bundle/build.sh`` does it) the last
test rebuilds into a temporary folder and compares the bytes."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO, need
from tests.protocol import IMAGE_DOWNLOAD, ROUTER_OUTPUT, URL_OUTPUT, PageDriver

RECIPE = REPO / "tools" / "plotly-bundle"
MANIFEST = json.loads((RECIPE / "manifest.json").read_text())
ASSET = REPO / MANIFEST["asset"]


def test_asset_is_the_manifests_build():
    data = ASSET.read_bytes()
    assert len(data) == MANIFEST["bytes"]
    assert hashlib.sha256(data).hexdigest() == MANIFEST["sha256"]
    assert data.startswith(f"/**\n* plotly.js v{MANIFEST['plotly_js']}, partial bundle: "
                           f"{', '.join(MANIFEST['traces'])}\n".encode())


def test_recipe_pins_the_plotly_js_that_dash_would_serve():
    """The bundle must be the plotly.js the Python plotly package writes figures for (the one
    Dash serves as package_data/plotly.min.js): another version can misread figure JSON."""
    from plotly.offline import get_plotlyjs_version

    package = json.loads((RECIPE / "package.json").read_text())
    lock = json.loads((RECIPE / "package-lock.json").read_text())
    assert MANIFEST["plotly_js"] == get_plotlyjs_version()
    assert package["dependencies"]["plotly.js"] == MANIFEST["plotly_js"]  # exact versions, no ranges
    assert lock["packages"]["node_modules/plotly.js"]["version"] == MANIFEST["plotly_js"]
    bundler, version = MANIFEST["bundler"].split()
    assert package["devDependencies"][bundler] == version == lock["packages"][f"node_modules/{bundler}"]["version"]
    assert hashlib.sha256((RECIPE / "package-lock.json").read_bytes()).hexdigest() == MANIFEST["package_lock_sha256"]
    build = (RECIPE / "build.mjs").read_text()
    assert json.loads(re.search(r"const TRACES = (\[.*?\]);", build).group(1).replace("'", '"')) == MANIFEST["traces"]
    assert MANIFEST["modules"] == ["plotly.js/lib/core"] + [f"plotly.js/lib/{t}" for t in MANIFEST["traces"]]


def _trace_types(node, found: set[str]) -> set[str]:
    """Every trace type in a JSON tree: the ``type`` of each entry of a figure's ``data``."""
    if isinstance(node, dict):
        data = node.get("data")
        if isinstance(data, list) and isinstance(node.get("layout"), dict):
            found.update(t.get("type", "scatter") for t in data if isinstance(t, dict))
        for value in node.values():
            _trace_types(value, found)
    elif isinstance(node, list):
        for value in node:
            _trace_types(value, found)
    return found


@pytest.fixture(scope="module")
def drawn_types(demo_store) -> set[str]:
    """The trace types of every chart every page draws, per force (image exports left out: kaleido
    draws them on the server with the plotly package's own plotly.js)."""
    from dashboard.app import create_app, page_paths
    from dashboard.data.store import Store

    app = create_app(demo_store)
    code = Store(demo_store).open().table("areas")["area_code"].sort_values().iloc[0]
    driver = PageDriver(app, app.server.test_client(), click_location=code)
    # Only what draws charts: the callbacks with a figure output, after the one that fills the
    # controls from the URL; the charts drawn with the page come in the router's answer.
    driver.callbacks = [c for c in driver.callbacks if ".figure" in c[0] and IMAGE_DOWNLOAD not in c[0]
                        or URL_OUTPUT in c[0] or ROUTER_OUTPUT in c[0]]
    found: set[str] = set()
    for path in page_paths(code):
        for output, answer in driver.open(path).items():
            assert answer[0] == 200, (path, output, answer)
            _trace_types(answer[1], found)
    return found


def test_bundle_has_exactly_the_trace_types_the_pages_draw(drawn_types):
    """A trace type the bundle lacks would draw an empty chart; one it has that no page draws is
    weight every first visit pays for."""
    assert drawn_types == set(MANIFEST["traces"])


@pytest.mark.slow
def test_rebuild_gives_the_same_bytes(tmp_path):
    """The recipe rebuilt (build.mjs with the installed, lockfile-pinned packages) into a
    temporary folder gives the committed asset byte for byte."""
    need((RECIPE / "node_modules" / "esbuild").is_dir() and shutil.which("node") is not None,
         "the recipe's packages are not installed: npm ci --ignore-scripts --prefix tools/plotly-bundle "
         "(.ci/run does)")
    subprocess.run(["node", str(RECIPE / "build.mjs"), "--out", str(tmp_path / "plotly.js"),
                    "--manifest", str(tmp_path / "manifest.json")], check=True, timeout=120, capture_output=True)
    assert (tmp_path / "plotly.js").read_bytes() == ASSET.read_bytes()
    assert json.loads((tmp_path / "manifest.json").read_text()) == MANIFEST
