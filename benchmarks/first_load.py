"""First load in headless Chromium: bytes transferred and time until the map is drawn.

Run: python benchmarks/first_load.py [--store STORE] [--repeats 5]
Serves the store with gunicorn on 127.0.0.1, opens /map in Debian's Chromium (fresh profile,
so nothing is cached) and reads the browser's own Navigation and Resource Timing: bytes over
the wire for the page, scripts, styles and callbacks, and the time from navigation start until
all 145 areas are drawn. Prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DRAWN = """var gd = document.querySelector('#map-graph .js-plotly-plot');
return !!(gd && gd._fullData && gd._fullData.length && gd._fullData[0].locations &&
          document.querySelectorAll('#map-graph path.choroplethlocation').length >= 145);"""
TIMING = """var nav = performance.getEntriesByType('navigation')[0];
var res = performance.getEntriesByType('resource');
return {transfer: nav.transferSize + res.reduce((a, r) => a + (r.transferSize || 0), 0),
        requests: res.length + 1, elapsed: performance.now()};"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from _server import demo_store, gunicorn
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    from tests.localserve import CHROMIUM_FLAGS, chromium_path

    with demo_store(args.store) as store, gunicorn(store, workers=2) as base:
        rows = []
        for _ in range(args.repeats):
            options = Options()
            for flag in CHROMIUM_FLAGS:
                options.add_argument(flag)
            options.binary_location = chromium_path()
            options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
            driver = webdriver.Chrome(options=options)
            try:
                driver.get(base + "/map")
                deadline = time.monotonic() + 60
                while not driver.execute_script(DRAWN):
                    if time.monotonic() > deadline:
                        state = driver.execute_script(
                            "var gd = document.querySelector('#map-graph .js-plotly-plot');"
                            "return gd ? {data: (gd.data || []).length, full: (gd._fullData || []).length,"
                            " paths: document.querySelectorAll('#map-graph path.choroplethlocation').length}"
                            " : document.body.innerText.slice(0, 300)")
                        logs = driver.get_log("browser")
                        raise SystemExit(f"the map was not drawn within 60 s: {state}; console: {logs[:5]}")
                    time.sleep(0.02)
                rows.append(driver.execute_script(TIMING))
            finally:
                driver.quit()
        ms = [r["elapsed"] for r in rows]
        print(f"first load of /map, {args.repeats} fresh browsers: map drawn after median "
              f"{statistics.median(ms):,.0f} ms (max {max(ms):,.0f} ms); "
              f"{statistics.median(r['transfer'] for r in rows) / 1024:,.0f} KiB over the "
              f"wire in {rows[0]['requests']} requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
