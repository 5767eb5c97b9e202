"""axe-core (WCAG 2.0 / 2.1 / 2.2 A and AA rules) on every page: no serious or critical violation.

axe-core comes from the npm registry: `.ci/run` installs it into `.ci/axe/`. Findings that come
from inside Dash or plotly and that the app cannot fix are listed in KNOWN with the workaround;
there are none at present.
"""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from tests.browser.test_pages import GRAPH_DRAWN, PAGES
from tests.conftest import REPO, need

pytestmark = pytest.mark.browser
AXE = REPO / ".ci" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
RUN = """var done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']}})
   .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))));"""
KNOWN: dict[str, str] = {}


@pytest.fixture(scope="module")
def axe_source() -> str:
    need(AXE.is_file(), f"axe-core missing: npm install --prefix {AXE.parents[2]} axe-core@4")
    return AXE.read_text(encoding="utf-8")


def test_no_serious_or_critical_violations(dash_duo, demo_store, axe_source):
    dash_duo.start_server(create_app(demo_store))
    dash_duo.driver.set_script_timeout(90)
    problems = {}
    for path, ready in PAGES:
        dash_duo.driver.get(dash_duo.server_url + path)
        dash_duo.wait_for_element(ready, timeout=30)
        if not ready.endswith((" tr", "spi1e")):
            WebDriverWait(dash_duo.driver, 30).until(lambda d, ready=ready: d.execute_script(GRAPH_DRAWN, ready))
        dash_duo.driver.execute_script(axe_source)
        found = [v for v in dash_duo.driver.execute_async_script(RUN)
                 if v["impact"] in ("serious", "critical") and v["id"] not in KNOWN]
        if found:
            problems[path] = found
    assert not problems, json.dumps(problems, indent=1)
