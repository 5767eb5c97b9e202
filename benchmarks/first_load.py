"""First load in headless Chromium: the dashboard's /map against the floor, side by side.

Run: python benchmarks/first_load.py [--store STORE] [--repeats 7] [--port 19150]
Serves the store with the dashboard under gunicorn on 127.0.0.1, and beside it the smallest Dash
app that draws the same choropleth (the same figure: the map callback's first answer, geometry
inlined) with Dash's stock plotly.js bundle, also under gunicorn. Then opens each in turn in a
fresh Chromium (new profile, so nothing is cached), alternating which goes first, and reads the
browser's own Navigation and Resource Timing: the time from navigation start until all the
areas are drawn (the first frame after the last shape is in the page), bytes over the wire, and
whether the full plotly.js bundle was requested. Prints the medians and the ratio dashboard /
floor (issue 14's goal: 0.8 or less). Prints figures only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REPO = Path(__file__).resolve().parent.parent
# Put into every page before its own scripts run (DevTools' Page.addScriptToEvaluateOnNewDocument):
# notes the time of the first frame after the map's shapes are all in the page, as the page's own
# main thread sees it (polling from outside would wait behind the page's own work).
OBSERVER = """(function () {
  var observer = new MutationObserver(function () {
    if (window.__mapDrawnAt || document.querySelectorAll('#map-graph path.choroplethlocation').length < %d) return;
    observer.disconnect();
    requestAnimationFrame(function () { window.__mapDrawnAt = performance.now(); });
  });
  document.addEventListener('DOMContentLoaded', function () {
    observer.observe(document.body, {childList: true, subtree: true}); });
})();"""
DRAWN = "return window.__mapDrawnAt || 0;"
TIMING = """var nav = performance.getEntriesByType('navigation')[0];
var res = performance.getEntriesByType('resource');
return {transfer: nav.transferSize + res.reduce((a, r) => a + (r.transferSize || 0), 0),
        requests: res.length + 1, elapsed: window.__mapDrawnAt,
        full_plotly: res.some(r => /package_data\\/plotly[^/]*\\.js/.test(r.name)),
        scripts: res.filter(r => r.initiatorType === 'script' || /\\.js(\\?|$)/.test(r.name))
                    .reduce((a, r) => a + (r.transferSize || 0), 0)};"""

# The floor: a stock Dash app (no compression, no CSP, nothing of the dashboard's) drawing one figure.
FLOOR_APP = '''
import json, os
from dash import Dash, dcc, html
app = Dash(__name__, assets_folder=os.environ["FLOOR_ASSETS"])
with open(os.environ["FLOOR_FIGURE"]) as f:
    figure = json.load(f)
app.layout = html.Div(dcc.Graph(id="map-graph", figure=figure, config={"topojsonURL": "/assets/topojson/"}))
server = app.server
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _gunicorn(target: str, cwd: Path, port: int, env: dict[str, str], conf: str | None = None):
    """gunicorn serving ``target`` on 127.0.0.1:``port``; yields the base URL once / answers."""
    from dashboard.proxy import wait_until_answering

    args = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
            "--no-control-socket", "--access-logfile", "/dev/null", "--log-level", "warning"]
    if conf:
        args += ["-c", conf]
    proc = subprocess.Popen([*args, target], cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(proc, base + "/")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def floor_figure(base: str) -> dict:
    """The dashboard's own first map answer (what /map draws), with its geometry inlined."""
    import requests

    from tests.protocol import map_request

    answer = requests.post(base + "/_dash-update-component", json=map_request(None, None), timeout=60)
    answer.raise_for_status()
    figure = answer.json()["response"]["map-graph"]["figure"]
    trace = figure["data"][0]
    if isinstance(trace["geojson"], str):  # a URL the browser fetches (and keeps) once per snapshot
        trace["geojson"] = requests.get(base + trace["geojson"], timeout=60).json()
    return figure


def load(url: str, areas: int) -> dict:
    """One fresh Chromium: open ``url``, wait until ``areas`` shapes are drawn, read the timings."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    from tests.localserve import CHROMIUM_FLAGS, chromium_path

    options = Options()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.binary_location = chromium_path()
    driver = webdriver.Chrome(options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER % areas})
        driver.get(url)
        deadline = time.monotonic() + 60
        while not driver.execute_script(DRAWN):
            if time.monotonic() > deadline:
                raise SystemExit(f"{url}: the map was not drawn within 60 s")
            time.sleep(0.01)
        return driver.execute_script(TIMING)
    finally:
        driver.quit()


def _summary(rows: list[dict]) -> tuple[float, float]:
    return statistics.median(r["elapsed"] for r in rows), statistics.median(r["transfer"] for r in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--port", type=int, help="the dashboard's port; the floor's is the next (default: free ports)")
    args = parser.parse_args()
    from _server import demo_store

    ports = (args.port, args.port + 1) if args.port else (_free_port(), _free_port())
    with demo_store(args.store) as store, tempfile.TemporaryDirectory() as tmp, \
            _gunicorn("dashboard.app:server", REPO, ports[0], {"DASHBOARD_STORE": str(store)},
                      conf="dashboard/gunicorn_conf.py") as dashboard:
        areas = len(json.loads(_areas_json(store)))
        floor_dir = Path(tmp)
        (floor_dir / "floor_app.py").write_text(FLOOR_APP)
        (floor_dir / "figure.json").write_text(json.dumps(floor_figure(dashboard)))
        (floor_dir / "assets" / "topojson").mkdir(parents=True)
        (floor_dir / "assets" / "topojson" / "world_110m.json").write_text(
            (REPO / "assets" / "topojson" / "world_110m.json").read_text())
        with _gunicorn("floor_app:server", floor_dir, ports[1],
                       {"FLOOR_ASSETS": str(floor_dir / "assets"), "FLOOR_FIGURE": str(floor_dir / "figure.json")}) \
                as floor:
            runs: dict[str, list[dict]] = {"dashboard": [], "floor": []}
            targets = {"dashboard": dashboard + "/map", "floor": floor + "/"}
            for i in range(args.repeats):
                order = ("dashboard", "floor") if i % 2 == 0 else ("floor", "dashboard")
                for name in order:
                    runs[name].append(load(targets[name], areas))
    (d_ms, d_bytes), (f_ms, f_bytes) = _summary(runs["dashboard"]), _summary(runs["floor"])
    for name, (ms, wire) in (("dashboard /map", (d_ms, d_bytes)), ("floor (stock Dash)", (f_ms, f_bytes))):
        rows = runs["dashboard" if name.startswith("dashboard") else "floor"]
        print(f"{name:>19}: drawn after median {ms:,.0f} ms (min {min(r['elapsed'] for r in rows):,.0f}, "
              f"max {max(r['elapsed'] for r in rows):,.0f}); {wire / 1024:,.0f} KiB over the wire "
              f"({statistics.median(r['scripts'] for r in rows) / 1024:,.0f} KiB scripts) in "
              f"{rows[0]['requests']} requests; full plotly.js requested: "
              f"{sum(r['full_plotly'] for r in rows)} of {len(rows)} loads")
    print(f"ratio dashboard / floor, {args.repeats} fresh browsers each, {areas} areas: "
          f"time {d_ms / f_ms:.2f} (goal <= 0.8), bytes {d_bytes / f_bytes:.2f}")
    return 0


def _areas_json(store: Path) -> str:
    from dashboard.data.store import Store

    return json.dumps(Store(store).open().table("areas")["area_code"].tolist())


if __name__ == "__main__":
    raise SystemExit(main())
